#!/usr/bin/env bash
# swarmlab run on real dockerd hosts (netns): signals, kept runs, jobs.
#
# A run stopped by SIGINT or SIGTERM tears down what it made and exits 130
# or 143 (with --jobs, the signal is passed on to each scenario); a run
# kept with --keep is destroyed by `swarmlab destroy --state FILE` alone,
# without $SWARMLAB_NETNS_ROOT; two scenarios with --jobs 2 run at once,
# each under a netns root of its own that its state file names, as do two
# kept one after the other. Each time nothing is left: no process, mount
# or directory of the hosts. Needs root, docker.io, busybox-static and jq;
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
cd "$SL_SOURCE_DIR" || exit 2

# Roots of our own: labs that nothing else on this machine uses.
export SWARMLAB_NETNS_ROOT=/run/sl-runtest-$$
work=$(mktemp -d)
export TMPDIR=$work/tmp
mkdir -p "$TMPDIR"
failures=0

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# Whatever a failed check left: destroyed from the state files.
cleanup() {
    local st
    [ -n "${pid:-}" ] && kill -KILL "$pid" 2>/dev/null
    while IFS= read -r st; do
        "$SWARMLAB" destroy --state "$st" >/dev/null 2>&1
    done < <(find "$TMPDIR" -name state.json 2>/dev/null)
    rm -rf "$work"
}
trap cleanup EXIT

# What is left of the hosts under the roots ROOT*: processes, mounts,
# directories.
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

# 1. SIGINT, then SIGTERM with two jobs, while the scenarios wait after
# their deploy.
cat >"$work/long.json" <<'JSON'
{"name": "long", "swarm": {"managers": {"count": 1}, "workers": {"count": 1}},
 "deploy": {"services": [{"name": "web", "image": "bb:1",
                          "command": ["sleep", "1d"], "replicas": 2}]},
 "faults": [{"at": "after-deploy", "kind": "wait", "duration": "10m"}],
 "expect": {"services": [{"name": "web", "running": 2}]}}
JSON
# Runs the long scenarios FILE... with OPTIONS, stops the run with SIGNAL
# once every one waits, and checks that it exits CODE having torn down.
interrupt() {
    local signal=$1 code=$2 jobs=$3 n took states
    shift 3
    n=$#
    "$SWARMLAB" run --hypervisor netns --jobs "$jobs" \
        --json "$work/long-report.json" "$@" >"$work/long.out" \
        2>"$work/long.err" &
    pid=$!
    # every scenario's hosts are made and its service deployed
    for _ in $(seq 1 480); do
        states=$(ls "$TMPDIR"/swarmlab-run-*/state.json 2>/dev/null | wc -l)
        [ "$states" = "$n" ] &&
            [ "$(cat "$TMPDIR"/swarmlab-run-*/state.json |
                jq -s '[.[].hosts | length] | min')" = 2 ] && break
        sleep 0.25
    done
    sleep 8
    started=$(date +%s)
    kill "-$signal" "$pid" # the parent only: it passes the signal on
    wait "$pid"
    rc=$?
    pid=
    took=$(($(date +%s) - started))
    [ "$rc" = "$code" ] ||
        fail "$signal: exit $rc, expected $code: $(cat "$work/long.err")"
    grep -q "interrupted" "$work/long.err" ||
        fail "$signal: no word of it on stderr"
    [ "$took" -le 60 ] || fail "$signal: the run took ${took} s to stop"
    [ "$(jq -r '[.scenarios[].failures[0].observed] | unique | join(",")' \
        "$work/long-report.json")" = "interrupted by SIG$signal" ] ||
        fail "$signal: the report does not say so: $(jq -c \
            '[.scenarios[].failures]' "$work/long-report.json")"
    [ "$(jq -r '[.scenarios[].steps[-1] | "\(.step) \(.outcome)"] | unique
        | join(",")' "$work/long-report.json")" = "teardown ok" ] ||
        fail "$signal: no teardown"
    left=$(left_of "$SWARMLAB_NETNS_ROOT")
    [ -z "$left" ] || fail "$signal: left behind:$left"
    [ -z "$(ls -A "$TMPDIR")" ] || fail "$signal: left $(ls "$TMPDIR")"
    echo "$signal, $n scenario(s), --jobs $jobs: torn down, exit $rc in ${took} s"
}
sed 's/"long"/"long-2"/' "$work/long.json" >"$work/long-2.json"
interrupt INT 130 1 "$work/long.json"
interrupt TERM 143 2 "$work/long.json" "$work/long-2.json"

# 2. A kept run, destroyed from its state file alone.
"$SWARMLAB" run --hypervisor netns --keep scenarios/seed-swarm.json \
    >"$work/keep.out" 2>&1 || fail "--keep: $(cat "$work/keep.out")"
state=$(ls "$TMPDIR"/swarmlab-run-*/state.json 2>/dev/null | head -1)
if [ -z "$state" ]; then
    fail "--keep: no state file kept"
else
    [ "$(jq -r .hypervisor "$state")" = netns ] ||
        fail "--keep: the state file does not name netns"
    [ "$(jq -r .netns_root "$state")" = "$SWARMLAB_NETNS_ROOT" ] ||
        fail "--keep: the state file does not name the netns root"
    [ -n "$(left_of "$SWARMLAB_NETNS_ROOT")" ] || fail "--keep: nothing kept"
    # the state file is enough: the root is not said again
    env -u SWARMLAB_NETNS_ROOT "$SWARMLAB" destroy --state "$state" \
        >"$work/destroy.out" 2>&1 ||
        fail "destroy --state: $(cat "$work/destroy.out")"
    left=$(left_of "$SWARMLAB_NETNS_ROOT")
    [ -z "$left" ] || fail "destroy --state: left behind:$left"
fi
rm -rf "${TMPDIR:?}"/*

# destroy_two_kept WHAT: destroys each kept run from its state file alone
# and checks that the two state files named ROOT-1 and ROOT-2 and that
# nothing of the hosts is left.
destroy_two_kept() {
    local what=$1 roots= state left
    for state in "$TMPDIR"/swarmlab-run-*/state.json; do
        [ -f "$state" ] || continue
        roots="$roots $(jq -r .netns_root "$state")"
        env -u SWARMLAB_NETNS_ROOT "$SWARMLAB" destroy --state "$state" \
            >"$work/destroy.out" 2>&1 ||
            fail "$what: destroy --state: $(cat "$work/destroy.out")"
        rm -rf "$(dirname "$state")"
    done
    [ "$(echo "$roots" | tr ' ' '\n' | sort | xargs)" = \
        "$SWARMLAB_NETNS_ROOT-1 $SWARMLAB_NETNS_ROOT-2" ] ||
        fail "$what: the state files name the roots$roots"
    left=$(left_of "$SWARMLAB_NETNS_ROOT")
    [ -z "$left" ] || fail "$what: left behind:$left"
}

# 3. Two scenarios at once, each under a root of its own, seen side by
# side, kept, and destroyed each from its state file alone.
"$SWARMLAB" run --hypervisor netns --jobs 2 --json "$work/jobs.json" --keep \
    scenarios/seed-swarm.json scenarios/scale.json >"$work/jobs.out" 2>&1 &
pid=$!
both=
while kill -0 "$pid" 2>/dev/null; do
    [ -d "$SWARMLAB_NETNS_ROOT-1/netns" ] &&
        [ -d "$SWARMLAB_NETNS_ROOT-2/netns" ] && both=yes
    sleep 0.2
done
wait "$pid"
code=$?
pid=
[ "$code" = 0 ] || fail "--jobs 2: exit $code: $(cat "$work/jobs.out")"
[ "$(jq '.summary.passed' "$work/jobs.json")" = 2 ] ||
    fail "--jobs 2: not both passed: $(cat "$work/jobs.out")"
[ -n "$both" ] || fail "--jobs 2: the two scenarios did not run at once"
destroy_two_kept "--jobs 2"
[ -z "$(ls -A "$TMPDIR")" ] || fail "--jobs 2: left $(ls "$TMPDIR")"

# 4. Two kept scenarios one after the other (no --jobs): each keeps its
# hosts under a root of its own, as jobs do, and goes with its state file.
"$SWARMLAB" run --hypervisor netns --keep scenarios/seed-swarm.json \
    scenarios/wrong-token.json >"$work/keep2.out" 2>&1 ||
    fail "--keep, two scenarios: $(cat "$work/keep2.out")"
destroy_two_kept "--keep, two scenarios"

[ "$failures" = 0 ] || exit 1
echo "ok: interrupted, kept and parallel netns runs leave nothing"
