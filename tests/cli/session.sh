#!/usr/bin/env bash
# Drive a whole swarm session with the docker CLI against 4 daemons and print a normalized transcript.
#
# Usage: SL_HOST0=... SL_HOST1=... SL_HOST2=... SL_HOST3=... [DOCKER=docker] tests/cli/session.sh [--raw]
#
#   SL_HOSTi     DOCKER_HOST of daemon i (unix://... or tcp://...); all four fresh,
#                not in a swarm, each holding the image bb:1
#   SL_ADDR0     address node 0 advertises at swarm init (default: the host of
#                SL_HOST0 when it is tcp://, else 127.0.0.1)
#   DOCKER       docker CLI to use (default: docker)
#   SL_TIMEOUT   seconds to wait for each convergence (default 120)
#   SL_RAW       if set, also write the raw transcript there
#   SL_POLL_HOSTi  if set, the DOCKER_HOST used for the silent polls on host i
#   --raw        print the raw transcript instead of the normalized one
#
# Transcript: for each command "hostN$ docker ARGS" (the command as typed,
# "| sort" when the script sorts its output), then its stdout, then its stderr
# with each line prefixed "[stderr] ", then "[exit CODE]". Waits print one
# "# waited: WHAT" line (or "# TIMEOUT: WHAT"), never the polls themselves.
# Sorted outputs ("| sort", C locale): task listings of services whose tasks
# land on more than one node are printed with --format and sorted, because the
# CLI orders tasks by name and the slot a node gets is chosen at random by the
# scheduler; stack deploy and stack rm print their "Creating/Removing service"
# lines in Go map order. Table rows of node ls, service ls, service ps of a
# one-node service and stack services are ordered by the CLI.
# The normalizer (tests/cli/normalize.awk) then replaces IDs, tokens,
# addresses, times and build strings; see that file.
# Exit status: 0 when every wait converged, 1 otherwise.
# shellcheck disable=SC2317 # the conditions below are called through wait_until
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
DOCKER=${DOCKER:-docker}
TIMEOUT=${SL_TIMEOUT:-120}
case $DOCKER in
/*) ;;
*/*) DOCKER=$(cd "$(dirname "$DOCKER")" && pwd)/$(basename "$DOCKER") ;;
esac
# Run from the top of the tree so that the stack file shows as a relative path.
cd "$REPO" || exit 2
STACK_FILE=fixtures/cli/stack.yml
MODE=normalized
[ "${1-}" != --raw ] || MODE=raw

for i in 0 1 2 3; do
    var=SL_HOST$i
    [ -n "${!var-}" ] || { echo "session.sh: $var is not set" >&2; exit 2; }
done

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
RAW=$WORK/raw
: >"$RAW"
FAILED=0

# A private CLI configuration: no user formats, contexts or hints.
export DOCKER_CONFIG=$WORK/config
mkdir -p "$DOCKER_CONFIG"
export DOCKER_CLI_HINTS=false
unset DOCKER_CONTEXT DOCKER_TLS_VERIFY DOCKER_CERT_PATH

# The command line as a user would type it.
show() {
    local a out=""
    for a in "$@"; do
        case $a in
        *[!A-Za-z0-9_./:=,@+-]* | '') out="$out '$a'" ;;
        *) out="$out $a" ;;
        esac
    done
    printf '%s' "$out"
}

# q I ARGS...: run docker on host I quietly (for polls); through
# SL_POLL_HOSTi when set, so that a traced session shows no polls.
q() {
    local var=SL_POLL_HOST$1
    [ -n "${!var-}" ] || var=SL_HOST$1
    shift
    DOCKER_HOST=${!var} "$DOCKER" "$@" 2>/dev/null
}

# dk I ARGS...: run docker on host I and record it in the transcript; its
# stdout is left in $WORK/out.
dk() {
    local h=$1 var=SL_HOST$1 rc
    shift
    printf 'host%s$ docker%s\n' "$h" "$(show "$@")" >>"$RAW"
    DOCKER_HOST=${!var} "$DOCKER" "$@" >"$WORK/out" 2>"$WORK/err"
    rc=$?
    emit "$rc"
}

# dks I ARGS...: like dk, with stdout sorted.
dks() {
    local h=$1 var=SL_HOST$1 rc
    shift
    printf 'host%s$ docker%s | sort\n' "$h" "$(show "$@")" >>"$RAW"
    DOCKER_HOST=${!var} "$DOCKER" "$@" >"$WORK/unsorted" 2>"$WORK/err"
    rc=$?
    LC_ALL=C sort "$WORK/unsorted" >"$WORK/out"
    emit "$rc"
}

emit() {
    {
        awk '{ print }' "$WORK/out"
        awk '{ print "[stderr] " $0 }' "$WORK/err"
        printf '[exit %s]\n' "$1"
    } >>"$RAW"
}

out() { cat "$WORK/out"; }

note() { printf '# %s\n' "$*" >>"$RAW"; }

# wait_until WHAT CMD...: poll CMD every second until it succeeds.
wait_until() {
    local what=$1
    shift
    for _ in $(seq 1 "$TIMEOUT"); do
        if "$@"; then
            note "waited: $what"
            return 0
        fi
        sleep 1
    done
    note "TIMEOUT: $what"
    FAILED=1
    return 1
}

# --- Conditions polled on the manager (host 0) ----------------------------
# Every task of SERVICE that should run is running and there are N of them.
tasks_running() {
    local svc=$1 n=$2 states
    states=$(q 0 service ps --filter desired-state=running --format '{{.CurrentState}}' "$svc") || return 1
    [ "$(printf '%s\n' "$states" | grep -c '^Running')" = "$n" ] &&
        [ "$(printf '%s\n' "$states" | grep -vc '^Running')" = 0 ]
}
# Every task of SERVICE is where it is meant to be: running if it should
# run, stopped if it should be shut down (no task waiting to start).
tasks_settled() {
    ! q 0 service ps --format '{{.DesiredState}} {{.CurrentState}}' "$1" |
        grep -Ev '^Running Running|^(Shutdown|Remove) (Shutdown|Failed|Rejected|Complete|Orphaned|Remove)' |
        grep -q .
}
service_converged() {
    # REPLICAS reads "2/2" or "2/2 (max 1 per node)".
    case $(q 0 service ls --filter "name=$1" --format '{{.Replicas}}') in
    "$2/$2" | "$2/$2 "*) ;;
    *) return 1 ;;
    esac
    tasks_running "$1" "$2" && tasks_settled "$1"
}
# No task on NODE is meant to run any more.
node_drained() {
    [ -z "$(q 0 node ps --filter desired-state=running -q "$1")" ]
}
manager_status_is() {
    [ "$(q 0 node inspect --format '{{with .ManagerStatus}}{{.Reachability}}{{end}}' "$1")" = "$2" ]
}
node_status_is() {
    [ "$(q 0 node inspect --format '{{.Status.State}}' "$1")" = "$2" ]
}
services_gone() {
    [ -z "$(q 0 service ls -q)" ] && [ -z "$(q 0 network ls -q --filter name=demo_default)" ]
}
local_state_is() {
    [ "$(q "$1" info --format '{{.Swarm.LocalNodeState}}')" = "$2" ]
}
# Host I runs (true) or no longer runs (false) its manager.
manager_ready() {
    [ "$(q "$1" info --format '{{.Swarm.ControlAvailable}}')" = "${2:-true}" ]
}
# NODE has role ROLE as the scheduler sees it: the role filter of node ls
# and the scheduler's node.role constraints both read the role the swarm has
# observed, which a demotion changes only after the node has left the raft
# and stopped its manager (seconds later on a real swarm).
role_is() {
    q 0 node ls --filter "role=$2" --format '{{.Hostname}}' | grep -qx "$1"
}

# --- The session -----------------------------------------------------------
note "versions and hosts"
dk 0 version
for i in 0 1 2 3; do
    dk "$i" info --format '{{.Name}} {{.ServerVersion}} {{.OSType}}/{{.Architecture}} swarm={{.Swarm.LocalNodeState}}'
done
# Node names as the daemons report them (node-1.. on real hosts).
NAME1=$(q 1 info --format '{{.Name}}')
NAME2=$(q 2 info --format '{{.Name}}')
NAME3=$(q 3 info --format '{{.Name}}')

note "swarm init on host0"
if [ -z "${SL_ADDR0-}" ]; then
    case $SL_HOST0 in
    tcp://*) SL_ADDR0=${SL_HOST0#tcp://} SL_ADDR0=${SL_ADDR0%:*} ;;
    *) SL_ADDR0=127.0.0.1 ;;
    esac
fi
dk 0 swarm init --advertise-addr "$SL_ADDR0"
dk 0 info --format '{{.Swarm.NodeAddr}}'
JOIN_ADDR=$(out):2377
dk 0 info --format '{{.Swarm.LocalNodeState}} control={{.Swarm.ControlAvailable}} nodes={{.Swarm.Nodes}} managers={{.Swarm.Managers}}'
dk 0 swarm join-token worker
dk 0 swarm join-token -q worker
WORKER_TOKEN=$(out)
dk 0 swarm join-token -q manager
MANAGER_TOKEN=$(out)

note "a join with a wrong token is refused"
# Well formed: the swarm's CA digest with another secret.
BAD_TOKEN=$(printf '%s' "$WORKER_TOKEN" | cut -d- -f1-3)-abcdefghijklmnopqrstuvwxy
dk 1 swarm join --token "$BAD_TOKEN" "$JOIN_ADDR"
wait_until "host1 outside the swarm" local_state_is 1 inactive

note "workers and a second manager join"
dk 1 swarm join --token "$WORKER_TOKEN" "$JOIN_ADDR"
dk 2 swarm join --token "$WORKER_TOKEN" "$JOIN_ADDR"
dk 3 swarm join --token "$MANAGER_TOKEN" "$JOIN_ADDR"
dk 1 info --format '{{.Swarm.LocalNodeState}} control={{.Swarm.ControlAvailable}} nodes={{.Swarm.Nodes}} managers={{.Swarm.Managers}}'
wait_until "$NAME3 reachable" manager_status_is "$NAME3" reachable
wait_until "host3 runs its manager" manager_ready 3
dk 0 node ls
dk 3 info --format '{{.Swarm.LocalNodeState}} control={{.Swarm.ControlAvailable}} nodes={{.Swarm.Nodes}} managers={{.Swarm.Managers}}'

note "labels"
dk 0 node update --label-add zone=east "$NAME1"
dk 0 node inspect --format '{{.Spec.Labels}}' "$NAME1"
dk 0 node inspect --format '{{json .Spec.Labels}} {{.Spec.Role}} {{.Spec.Availability}}' "$NAME1"

note "a service constrained to the labelled node"
dk 0 service create --detach --name web --constraint node.labels.zone==east --replicas 3 bb:1 sleep 1d
wait_until "web converged at 3" service_converged web 3
dk 0 service ps web
dk 0 service scale --detach web=5
wait_until "web converged at 5" service_converged web 5
dk 0 service ps web
dk 0 service ls
dk 0 service inspect --format '{{.Spec.Name}} replicas={{.Spec.Mode.Replicated.Replicas}} constraints={{.Spec.TaskTemplate.Placement.Constraints}}' web

note "promote and demote"
dk 0 node promote "$NAME2"
# A demote right after a promote fails ("can't find manager in raft
# memberlist"), and the scheduler still sees a demoted node as a manager
# for a while after it has left the raft and stopped its manager: wait
# for all of these.
wait_until "$NAME2 reachable" manager_status_is "$NAME2" reachable
wait_until "host2 runs its manager" manager_ready 2
dk 0 node ls
dk 0 node demote "$NAME2"
wait_until "$NAME2 no longer a manager" manager_status_is "$NAME2" ''
wait_until "host2 stopped its manager" manager_ready 2 false
wait_until "$NAME2 scheduled as a worker" role_is "$NAME2" worker
dk 0 node ls

note "a stack: a global service, one on managers, one on workers"
dks 0 stack deploy -c "$STACK_FILE" demo
wait_until "demo_agent converged" service_converged demo_agent 4
wait_until "demo_ctl converged" service_converged demo_ctl 2
wait_until "demo_cache converged" service_converged demo_cache 2
dk 0 stack ls
dk 0 stack services demo
dks 0 stack ps demo --format '{{index (split .Name ".") 0}} {{.Node}} {{.DesiredState}} {{.CurrentState}} {{.Error}}'

note "drain a worker: its demo_cache task moves"
dk 0 node update --availability drain "$NAME2"
wait_until "$NAME2 drained" node_drained "$NAME2"
wait_until "demo_cache converged after the drain" service_converged demo_cache 2
wait_until "demo_agent settled after the drain" tasks_settled demo_agent
dk 0 node ls
# The current state of a task shut down by the drain is not shown: the last
# tasks leaving a node's overlay network race to remove it, and now and then
# one ends "Failed ... error while removing network" instead of "Shutdown".
DRAINED='{{index (split .Name ".") 0}} {{.Node}} {{.DesiredState}}{{if eq .DesiredState "Running"}} {{.CurrentState}} {{.Error}}{{end}}'
dks 0 service ps demo_cache --format "$DRAINED"
dks 0 service ps demo_agent --format "$DRAINED"

note "remove a service and the stack"
dk 0 service rm web
dks 0 stack rm demo
wait_until "services and stack network gone" services_gone
dk 0 service ls

note "a manager may not leave without force"
dk 3 swarm leave

note "a worker leaves and shows Down"
dk 1 swarm leave
wait_until "$NAME1 down" node_status_is "$NAME1" down
dk 0 node ls
dk 0 node rm "$NAME1"
dk 0 node ls

note "everyone else leaves"
dk 2 swarm leave
dk 3 swarm leave --force
dk 0 swarm leave --force
for i in 0 1 2 3; do
    dk "$i" info --format '{{.Name}} swarm={{.Swarm.LocalNodeState}}'
done

[ -z "${SL_RAW-}" ] || cp "$RAW" "$SL_RAW"
if [ "$MODE" = raw ]; then
    cat "$RAW"
else
    awk -f "$HERE/normalize.awk" "$RAW"
fi
exit "$FAILED"
