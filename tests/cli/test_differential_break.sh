#!/usr/bin/env bash
# The differential suite can fail: a fake broken on purpose is told apart
# from real daemons.
#
# The seed scenario runs once on real dockerd hosts (netns) and twice on the
# fake: as it is, and with SWARMLAB_FAKE_BREAK=ignore-constraints, which
# makes the fake scheduler ignore placement constraints. The fake as it is
# must match the real run; the broken one must differ from it, with a task
# of the worker-only service on a manager. Needs root, docker.io,
# busybox-static and jq; exits 77 (skipped) without them.
set -u

: "${SWARMLAB:?path of the built swarmlab command}"
: "${SL_SOURCE_DIR:?path of the source tree}"
export SWARMLAB

skip() { echo "skipped: $*"; exit 77; }

[ "$(id -u)" = 0 ] || skip "real dockerd hosts need root"
PATH=$PATH:/usr/sbin:/sbin
command -v dockerd >/dev/null || skip "dockerd not found: install docker.io"
[ -x /bin/busybox ] || skip "busybox not found: install busybox-static"
command -v jq >/dev/null || skip "jq not found: install jq"
cd "$SL_SOURCE_DIR" || exit 2

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
diff=tests/differential/differential.sh
seed=scenarios/seed-swarm.json
passed=0
failed=0

# A report, in the background so that a signal stops it (and it tears
# down) at once.
report() {
    "$diff" report "$@" &
    pid=$!
    wait "$pid"
}
trap 'kill -TERM "$pid" 2>/dev/null; wait "$pid"; exit 130' INT TERM HUP

check() {
    if [ "$1" = 0 ]; then
        echo "ok: $2"
        passed=$((passed + 1))
    else
        echo "FAIL: $2"
        failed=$((failed + 1))
    fi
}

report netns "$work/netns.json" "$seed" >"$work/netns.out" 2>&1
check $? "the seed scenario runs on real daemons" || cat "$work/netns.out"
report fake "$work/fake.json" "$seed" >/dev/null 2>&1
check $? "the seed scenario runs on the fake"
SWARMLAB_FAKE_BREAK=ignore-constraints \
    report fake "$work/broken.json" "$seed" >/dev/null 2>&1
check $? "the seed scenario runs on the broken fake"
if [ "$failed" != 0 ]; then
    echo "$passed passed, $failed failed"
    exit 1
fi

"$diff" compare "$work/fake.json" "$work/netns.json" >"$work/same.out"
rc=$?
[ "$rc" = 0 ] && grep -q '^same seed-swarm$' "$work/same.out"
check $? "the fake as it is matches the real run" || cat "$work/same.out"

"$diff" compare "$work/broken.json" "$work/netns.json" >"$work/broken.out"
rc=$?
cat "$work/broken.out"
[ "$rc" = 1 ] && grep -q '^DIFFERENT seed-swarm$' "$work/broken.out"
check $? "the broken fake differs from the real run (exit $rc)"
# In the diff, the fake side ('-') has a manager among the nodes of web.
grep -q '^- *"manager ' "$work/broken.out"
check $? "the difference shows a task of the worker-only service on a manager"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
