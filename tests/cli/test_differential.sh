#!/usr/bin/env bash
# The fakes against reality: each library scenario both backends can run,
# on the fake and on real dockerd hosts (netns), must end the same.
#
# A scenario is compared when netns runs it: the runner skips, with the
# reason, those netns cannot (Windows hosts, more than 8, faults it cannot
# make, images other than bb:1 unless the scenario reaches no registry
# either: "registry": false). What the comparison keeps and drops is said
# in tests/differential/normalize.jq. SL_DIFF_SCENARIOS="a b" compares
# those library scenarios only. Needs root, docker.io, busybox-static and
# jq; exits 77 (skipped) without them.
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

# Library scenarios netns could run that are left out for now, as
# [name]="why". SL_DIFF_ALL=1 takes them in.
declare -A not_yet=()
[ -z "${SL_DIFF_ALL:-}" ] || not_yet=()

files=()
for f in scenarios/*.json; do
    name=$(basename "$f" .json)
    if [ -n "${SL_DIFF_SCENARIOS:-}" ] &&
        ! [[ " $SL_DIFF_SCENARIOS " == *" $name "* ]]; then
        continue
    fi
    why=${not_yet[$name]:-}
    if [ -n "$why" ]; then
        echo "not compared $name: $why"
    else
        files+=("$f")
    fi
done
[ ${#files[@]} -gt 0 ] || skip "no scenario to compare"

# In the background, so that a signal stops it (and it tears down) at once.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$SL_SOURCE_DIR/tests/differential/differential.sh" run "$work" \
    "${files[@]}" >"$work/out" 2>&1 &
pid=$!
trap 'kill -TERM "$pid" 2>/dev/null; wait "$pid"; exit 130' INT TERM HUP
wait "$pid"
rc=$?
cat "$work/out"
passed=$(grep -c '^same ' "$work/out")
failed=$(grep -c '^DIFFERENT ' "$work/out")
if [ -z "${SL_DIFF_SCENARIOS:-}" ] && ! grep -q '^same seed-swarm$' "$work/out"; then
    echo "FAIL: the seed scenario was not compared the same"
    failed=$((failed + 1))
fi
case $rc in
0 | 1) ;;
77) skip "nothing could be compared" ;;
*) failed=$((failed + 1)) ;;
esac
[ "$rc" = 0 ] || [ "$failed" -gt 0 ] || failed=1
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
