#!/usr/bin/env bash
# Real daemons against the fake: the seed scenario's wall time on both, and
# the 1+3 swarm on netns made one host at a time and all at once.
#
#   tests/bench/bench_netns.sh
#
# Prints, each the median of SL_BENCH_RUNS runs (default 3): the seed
# scenario's wall time (its wall_ms in the JSON report) on the fake and on
# netns and their ratio, then the time of `swarmlab swarm create
# --hypervisor netns` with --parallel 1 and with the default, and their
# ratio. SWARMLAB names the command (default build/swarmlab); with
# SL_BENCH_JSON=FILE the figures go there as JSON too. Needs root and
# docker.io (exit 77 without). Every host is destroyed, also on failure.
set -uo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
SWARMLAB=${SWARMLAB:-$REPO/build/swarmlab}
RUNS=${SL_BENCH_RUNS:-3}
export SWARMLAB SWARMLAB_NETNS_ROOT=/run/sl-bench-$$
diff=$REPO/tests/differential/differential.sh
seed=$REPO/scenarios/seed-swarm.json

[ "$(id -u)" = 0 ] || { echo "skipped: netns needs root"; exit 77; }
PATH=$PATH:/usr/sbin:/sbin
command -v dockerd >/dev/null || { echo "skipped: no dockerd"; exit 77; }

tmp=$(mktemp -d)
state=$tmp/state.json
pid=
cleanup() {
    [ -z "$pid" ] || kill -TERM "$pid" 2>/dev/null
    [ -z "$pid" ] || wait "$pid" 2>/dev/null
    [ ! -e "$state" ] || "$SWARMLAB" destroy --state "$state" >/dev/null 2>&1
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# The seed scenario's wall time on BACKEND, in ms, into 'ms'. The
# measures run in this shell, not in $(...), so that the trap sees 'pid'.
seed_ms() {
    "$diff" report "$1" "$tmp/seed.json" "$seed" >"$tmp/seed.log" 2>&1 &
    pid=$!
    wait "$pid" || { cat "$tmp/seed.log" >&2; return 1; }
    pid=
    ms=$(jq -e '.scenarios[0] | select(.outcome == "pass") | .wall_ms' \
        "$tmp/seed.json") || { cat "$tmp/seed.log" >&2; return 1; }
}

# The time of `swarm create` on netns with OPTIONS, in ms, into 'ms'; then
# the swarm is destroyed.
create_ms() {
    local t0 t1

    t0=$(date +%s%N)
    "$SWARMLAB" swarm create --hypervisor netns --state "$state" "$@" \
        >"$tmp/create.log" 2>&1 &
    pid=$!
    wait "$pid" || { cat "$tmp/create.log" >&2; return 1; }
    pid=
    t1=$(date +%s%N)
    "$SWARMLAB" destroy --state "$state" >/dev/null ||
        { echo "bench: destroy failed" >&2; return 1; }
    ms=$(((t1 - t0) / 1000000))
}

# NAME FUNCTION ARGS...: the median of RUNS measures, in ms, into 'med'.
measure() {
    local name=$1 i all=()
    shift
    for i in $(seq 1 "$RUNS"); do
        "$@" || { echo "bench: $name failed" >&2; exit 1; }
        all+=("$ms")
    done
    med=$(printf '%s\n' "${all[@]}" | median)
}

measure "seed on fake" seed_ms fake
fake=$med
measure "seed on netns" seed_ms netns
netns=$med
measure "sequential swarm" create_ms --parallel 1
seq_ms=$med
measure "parallel swarm" create_ms
par_ms=$med

s() { awk -v v="$1" 'BEGIN { printf "%.2f s", v / 1000 }'; }
x() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1fx", b ? a / b : 0 }'; }
printf 'seed scenario (1 manager, 3 workers, a service), median of %s\n' \
    "$RUNS"
printf '  %-30s %10s\n' "fake" "$(s "$fake")" "netns (real dockerd)" \
    "$(s "$netns")" "netns / fake" "$(x "$netns" "$fake")"
printf 'swarm create --hypervisor netns, 1+3 hosts, median of %s\n' "$RUNS"
printf '  %-30s %10s\n' "sequential (--parallel 1)" "$(s "$seq_ms")" \
    "parallel (default)" "$(s "$par_ms")" "sequential / parallel" \
    "$(x "$seq_ms" "$par_ms")"
if [ -n "${SL_BENCH_JSON:-}" ]; then
    jq -n --argjson f "$fake" --argjson n "$netns" --argjson s "$seq_ms" \
        --argjson p "$par_ms" --argjson r "$RUNS" \
        '{runs: $r, seed_ms: {fake: $f, netns: $n},
          swarm_create_ms: {sequential: $s, parallel: $p}}' \
        >"$SL_BENCH_JSON"
fi
