#!/usr/bin/env bash
# Real VMs: time to one Docker-ready VM, and to the 1+3 swarm made one host at a time and all at once.
#
# Runs against a libvirt hypervisor that holds the image already
# (swarmlab image build): ci/nightly calls it in its lab, or against a
# remote URI. Settings from the environment:
#   SWARMLAB      the command (default build/swarmlab)
#   SL_RUN        prefix to run it with (ci/nightly: "ci/vm-lab exec")
#   SL_URI, SL_POOL, SL_NETWORK   where the hosts go (required)
#   SL_STATE      state file (default: a temporary one)
#   SL_CPUS, SL_MEMORY            per host (1, 1024)
#   SL_BENCH_JSON write the figures there as JSON too
#   SL_BENCH_KEEP=1  leave the parallel swarm up (its state in SL_STATE)
set -euo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
SWARMLAB=${SWARMLAB:-$REPO/build/swarmlab}
: "${SL_URI:?libvirt URI}" "${SL_POOL:?storage pool}" "${SL_NETWORK:?network}"
read -r -a RUN <<<"${SL_RUN:-}"
tmp=$(mktemp -d /tmp/sl-bench-vm.XXXXXX)
STATE=${SL_STATE:-$tmp/state.json}
trap 'rm -rf "$tmp"' EXIT

sl() {
    "${RUN[@]}" "$SWARMLAB" "$@" --hypervisor libvirt --uri "$SL_URI" \
        --pool "$SL_POOL" --state "$STATE"
}
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# Times one command; prints the seconds. Fails with its output.
timed() {
    local t0 t1
    t0=$(now)
    if ! "$@" >"$tmp/out" 2>&1; then
        cat "$tmp/out" >&2
        return 1
    fi
    t1=$(now)
    secs "$t0" "$t1"
}

shape=(--network "$SL_NETWORK" --cpus "${SL_CPUS:-1}"
       --memory "${SL_MEMORY:-1024}")

one=$(timed sl host create n2d-bench-0 "${shape[@]}")
sl destroy >/dev/null
seq=$(timed sl swarm create "${shape[@]}" --parallel 1)
sl destroy >/dev/null
par=$(timed sl swarm create "${shape[@]}" --parallel 8)
[ "${SL_BENCH_KEEP:-0}" = 1 ] || sl destroy >/dev/null

ratio=$(awk -v s="$seq" -v p="$par" 'BEGIN { printf "%.1f", s / p }')
printf '%-28s %12s %12s %8s\n' "real VMs (TCG here)" sequential parallel ratio
printf '%-28s %10s s %12s %8s\n' "one Docker-ready VM" "$one" - -
printf '%-28s %10s s %10s s %7sx\n' "1+3 swarm formed" "$seq" "$par" "$ratio"
if [ -n "${SL_BENCH_JSON:-}" ]; then
    fmt='{"one_vm_docker_ready_s": %s, "swarm_1_3_sequential_s": %s, '
    fmt+='"swarm_1_3_parallel_s": %s}\n'
    # shellcheck disable=SC2059
    printf "$fmt" "$one" "$seq" "$par" >"$SL_BENCH_JSON"
fi
