#!/usr/bin/env bash
# SIGINT or SIGTERM during a build on real dockerd hosts (netns) undoes it.
#
# `swarmlab swarm create --hypervisor netns` stopped by SIGINT once its
# first host exists exits 130 having removed every host it made, and
# `swarmlab run` stopped by SIGTERM in the middle of its build exits 143
# with the build step interrupted and torn down. Each time nothing is
# left: no process, namespace, mount or directory of the hosts, and no
# host in the state file. Needs root, docker.io, busybox-static and jq;
# exits 77 (skipped) without them.
set -u

: "${SWARMLAB:?path of the built swarmlab command}"
: "${SL_SOURCE_DIR:?path of the source tree}"

skip() { echo "skipped: $*"; exit 77; }

[ "$(id -u)" = 0 ] || skip "the netns backend needs root"
PATH=$PATH:/usr/sbin:/sbin
command -v dockerd >/dev/null || skip "dockerd not found: install docker.io"
[ -x /bin/busybox ] || skip "busybox not found: install busybox-static"
command -v jq >/dev/null || skip "jq not found: install jq"

# A root of our own: a lab that nothing else on this machine uses.
export SWARMLAB_NETNS_ROOT=/run/sl-cancel-$$
work=$(mktemp -d)
export TMPDIR=$work/tmp
mkdir -p "$TMPDIR"
state=$work/state.json
failures=0
pid=

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

cleanup() {
    local st
    [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
    for st in "$state" $(find "$TMPDIR" -name state.json 2>/dev/null); do
        [ -f "$st" ] && "$SWARMLAB" destroy --state "$st" >/dev/null 2>&1
    done
    rm -rf "$work"
}
trap cleanup EXIT

# What is left of the hosts under the root: processes, namespaces (bind
# mounts), directories.
left_of() {
    local root=$1 left= p
    for p in /proc/[0-9]*; do
        tr '\0' ' ' 2>/dev/null <"$p/cmdline" | grep -qF "$root" &&
            [ "$(awk '{print $3}' "$p/stat" 2>/dev/null)" != Z ] &&
            left="$left process ${p#/proc/};"
    done
    grep -qF "$root" /proc/self/mountinfo && left="$left mounts;"
    for p in "$root"*; do
        [ -e "$p" ] && left="$left directory $p;"
    done
    echo "$left"
}

# Waits (up to 60 s) until the state file FILE records a host.
wait_for_a_host() {
    local file=$1
    for _ in $(seq 1 1200); do
        [ -f "$file" ] &&
            [ "$(jq '.hosts | length' "$file" 2>/dev/null)" -ge 1 ] 2>/dev/null &&
            return 0
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.05
    done
    return 1
}

# 1. swarm create, SIGINT once the first host is made.
"$SWARMLAB" swarm create --hypervisor netns --state "$state" \
    >"$work/swarm.out" 2>"$work/swarm.err" &
pid=$!
wait_for_a_host "$state" || fail "swarm create: no host recorded: $(cat "$work/swarm.err")"
kill -INT "$pid"
wait "$pid"
rc=$?
pid=
[ "$rc" = 130 ] || fail "swarm create: exit $rc after SIGINT, expected 130: $(cat "$work/swarm.err")"
grep -qF "swarm create: interrupted by SIGINT: what was made is removed" \
    "$work/swarm.err" || fail "swarm create: no word of it: $(cat "$work/swarm.err")"
[ ! -f "$state" ] || [ "$(jq '.hosts | length' "$state")" = 0 ] ||
    fail "swarm create: the state file still records $(jq -c '.hosts | keys' "$state")"
left=$(left_of "$SWARMLAB_NETNS_ROOT")
[ -z "$left" ] || fail "swarm create: left behind:$left"
echo "swarm create, SIGINT during the build: exit $rc, nothing left"

# 2. swarmlab run, SIGTERM in the middle of its build.
"$SWARMLAB" run --hypervisor netns --json "$work/run.json" \
    "$SL_SOURCE_DIR/scenarios/seed-swarm.json" >"$work/run.out" 2>"$work/run.err" &
pid=$!
run_state=
for _ in $(seq 1 1200); do
    run_state=$(ls "$TMPDIR"/swarmlab-run-*/state.json 2>/dev/null | head -1)
    [ -n "$run_state" ] && break
    sleep 0.05
done
wait_for_a_host "$run_state" || fail "run: no host recorded: $(cat "$work/run.err")"
kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
[ "$rc" = 143 ] || fail "run: exit $rc after SIGTERM, expected 143: $(cat "$work/run.err")"
[ "$(jq -r '.scenarios[0].failures[0].observed' "$work/run.json")" = \
    "interrupted by SIGTERM" ] || fail "run: the report does not say so"
[ "$(jq -r '[.scenarios[0].steps[] | "\(.step) \(.outcome)"] | join(",")' \
    "$work/run.json")" = "build interrupted,teardown ok" ] ||
    fail "run: steps $(jq -c '[.scenarios[0].steps[] | [.step, .outcome]]' \
        "$work/run.json")"
left=$(left_of "$SWARMLAB_NETNS_ROOT")
[ -z "$left" ] || fail "run: left behind:$left"
[ -z "$(ls -A "$TMPDIR")" ] || fail "run: left $(ls "$TMPDIR")"
echo "run, SIGTERM during the build: exit $rc, nothing left"

[ "$failures" = 0 ] || exit 1
echo "ok: builds interrupted on netns leave nothing"
