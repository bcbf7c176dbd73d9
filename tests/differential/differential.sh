#!/usr/bin/env bash
# Runs scenarios on the fake and on real daemons and compares their outcomes.
#
#   differential.sh run OUTDIR SCENARIO...
#   differential.sh report BACKEND OUT.json [--uri U] [--pool P] ARG...
#   differential.sh compare A.json B.json
#
# run: `report fake` and `report netns` of the scenarios into
# OUTDIR/fake.json and OUTDIR/netns.json, then `compare` them.
#
# report: `swarmlab run --json OUT.json ARG...` (scenarios and options) on
# BACKEND: "fake" (the scenarios' own backend), "netns" or "libvirt"
# (--hypervisor BACKEND, with --uri and --pool when given). What it leaves
# when it is interrupted is destroyed from the state files it wrote.
# The netns hosts live under $SWARMLAB_NETNS_ROOT, by default a root of
# their own (/run/sl-diff-PID) that is gone afterwards.
#
# compare: both reports normalized by normalize.jq, scenario by scenario:
# "same NAME", "not compared NAME: WHY" when one side skipped it, or
# "DIFFERENT NAME" with both sides (one line each) and their diff; then
# a line "N same, N different, N not compared".
#
# Exit: 0 when every scenario compared is the same, 1 on a difference or a
# failed command, 2 on bad use, 77 when nothing could be compared.
# Environment: SWARMLAB, the command (default: swarmlab on PATH).
set -u

here=$(cd "$(dirname "$0")" && pwd)
SWARMLAB=${SWARMLAB:-swarmlab}

usage() {
    sed -n '3,5p' "$0" | sed 's/^# *//' >&2
    exit 2
}

# Runs `swarmlab run` in the background so that a signal reaches this
# shell, which then stops it and destroys what its state files still hold.
report() {
    local out=$2 rc
    local args=(run --json "$out")

    rep_backend=$1
    shift 2
    rep_where=()
    [ "$rep_backend" = fake ] || rep_where=(--hypervisor "$rep_backend")
    # The hypervisor's options, for destroy too.
    while [ $# -ge 2 ] && [[ $1 == --uri || $1 == --pool ]]; do
        rep_where+=("$1" "$2")
        shift 2
    done
    args+=("${rep_where[@]}")
    rep_tmp=$(mktemp -d "${TMPDIR:-/tmp}/sl-diff.XXXXXX") || return 1
    export SWARMLAB_NETNS_ROOT=${SWARMLAB_NETNS_ROOT:-/run/sl-diff-$$}
    trap report_cleanup EXIT
    trap 'exit 130' INT TERM HUP
    TMPDIR=$rep_tmp "$SWARMLAB" "${args[@]}" "$@" &
    rep_child=$!
    wait "$rep_child"
    rc=$?
    rep_child=
    report_cleanup
    trap - EXIT INT TERM HUP
    # 0: every scenario passed; 1: one failed, which is still an outcome.
    [ "$rc" -le 1 ] ||
        echo "differential: swarmlab run on $rep_backend: exit $rc" >&2
    [ "$rc" -le 1 ] && [ -s "$out" ]
}

# Stops the runner if it still runs (on SIGTERM it tears down what it made)
# and destroys what its state files still record; they name the
# hypervisor and URI but not the pool, so the options go along.
report_cleanup() {
    local st i

    if [ -n "${rep_child:-}" ] && kill -0 "$rep_child" 2>/dev/null; then
        kill -TERM "$rep_child" 2>/dev/null
        for i in $(seq 1 20); do
            kill -0 "$rep_child" 2>/dev/null || break
            sleep 0.5
        done
        kill -KILL "$rep_child" 2>/dev/null
        wait "$rep_child" 2>/dev/null
    fi
    rep_child=
    [ -d "${rep_tmp:-}" ] || return 0
    while IFS= read -r st; do
        [ "$rep_backend" = fake ] && break
        "$SWARMLAB" destroy "${rep_where[@]}" --state "$st" >/dev/null 2>&1 ||
            echo "differential: cannot destroy what '$st' records" >&2
    done < <(find "$rep_tmp" -name state.json 2>/dev/null)
    rm -rf "$rep_tmp"
    rep_tmp=
    if [ -e "$SWARMLAB_NETNS_ROOT" ]; then
        echo "differential: '$SWARMLAB_NETNS_ROOT' is left" >&2
    fi
}

# The backend a report ran on, for labels.
backend_of() {
    jq -r '[.scenarios[].backend] | unique | join("+") |
           if . == "" then "none" else . end' "$1"
}

compare() {
    local a=$1 b=$2 la lb na nb names name sa sb why
    local same=0 different=0 skipped=0

    la=$(backend_of "$a") && lb=$(backend_of "$b") || return 2
    [ "$la" != "$lb" ] || { la="$la (A)"; lb="$lb (B)"; }
    na=$(jq -S -f "$here/normalize.jq" "$a") &&
        nb=$(jq -S -f "$here/normalize.jq" "$b") || return 2
    names=$(jq -rn --argjson a "$na" --argjson b "$nb" \
        '($a | keys) + ($b | keys) | unique | .[]')
    for name in $names; do
        sa=$(jq -S --arg n "$name" '.[$n]' <<<"$na")
        sb=$(jq -S --arg n "$name" '.[$n]' <<<"$nb")
        why=$(jq -rn --argjson a "$sa" --argjson b "$sb" \
            --arg la "$la" --arg lb "$lb" '
            if $a == null then "not run on \($la)"
            elif $b == null then "not run on \($lb)"
            elif $a.outcome == "skip"
            then "skipped on \($la): \($a.skipped_because)"
            elif $b.outcome == "skip"
            then "skipped on \($lb): \($b.skipped_because)"
            else "" end')
        if [ -n "$why" ]; then
            echo "not compared $name: $why"
            skipped=$((skipped + 1))
        elif [ "$sa" = "$sb" ]; then
            echo "same $name"
            same=$((same + 1))
        else
            echo "DIFFERENT $name"
            echo "$la: $(jq -c . <<<"$sa")"
            echo "$lb: $(jq -c . <<<"$sb")"
            diff -u --label "$la" --label "$lb" <(echo "$sa") <(echo "$sb")
            different=$((different + 1))
        fi
    done
    echo "$same same, $different different, $skipped not compared"
    [ "$different" = 0 ] || return 1
    [ "$same" -gt 0 ] || return 77
    return 0
}

run() {
    local dir=$1 rc=0
    shift
    mkdir -p "$dir" || return 2
    report fake "$dir/fake.json" "$@" || rc=1
    report netns "$dir/netns.json" "$@" || rc=1
    [ "$rc" = 0 ] || return 1
    compare "$dir/fake.json" "$dir/netns.json"
}

command -v jq >/dev/null || { echo "differential: jq not found" >&2; exit 2; }
[ $# -ge 1 ] || usage
cmd=$1
shift
case $cmd in
run) [ $# -ge 2 ] || usage; run "$@" ;;
report)
    [ $# -ge 3 ] || usage
    case $1 in fake | netns | libvirt) ;; *) usage ;; esac
    report "$@"
    ;;
compare) [ $# = 2 ] || usage; compare "$@" ;;
*) usage ;;
esac
