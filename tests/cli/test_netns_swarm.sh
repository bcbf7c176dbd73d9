#!/usr/bin/env bash
# swarm create --hypervisor netns: a real 4-host swarm; destroy leaves nothing.
#
# Four real dockerd 20.10 hosts (1 manager, 3 workers) in network namespaces
# of their own; a service constrained to workers runs on workers only, as the
# docker CLI sees it on the manager; `swarmlab destroy` then leaves no
# process, namespace, mount, cgroup, link, iptables rule or directory.
# Needs root and docker.io; exits 77 (skipped) without them.
set -u

: "${SWARMLAB:?path of the built swarmlab command}"
: "${SL_SOURCE_DIR:?path of the source tree}"

skip() { echo "skipped: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }

[ "$(id -u)" = 0 ] || skip "the netns backend needs root"
PATH=$PATH:/usr/sbin:/sbin
command -v dockerd >/dev/null || skip "dockerd not found: install docker.io"
[ -x /bin/busybox ] || skip "busybox not found: install busybox-static"
DOCKER=
for d in /usr/bin/docker /usr/local/bin/docker; do
    [ -x "$d" ] && DOCKER=$d && break
done
[ -n "$DOCKER" ] || skip "no docker CLI: install docker.io"
command -v jq >/dev/null || skip "jq not found"

# A root of our own: a lab that nothing else on this machine uses.
tag=sl-cli-$$
export SWARMLAB_NETNS_ROOT=/run/$tag
work=$(mktemp -d)
state=$work/state.json
cleanup() {
    [ -f "$state" ] && "$SWARMLAB" destroy --state "$state" >/dev/null 2>&1
    rm -rf "$work"
}
trap cleanup EXIT

# The root namespace's links and DOCKER iptables rules, to compare after.
outside() {
    ip -o link show | awk -F': ' '{print $2}' | sort
    echo "iptables DOCKER rules: $(iptables-save 2>/dev/null | grep -c DOCKER)"
}
outside >"$work/before"

start=$(date +%s.%N)
if ! "$SWARMLAB" swarm create --hypervisor netns --state "$state" --json \
    >"$work/swarm.json" 2>"$work/swarm.err"; then
    cat "$work/swarm.err"
    fail "swarm create failed"
fi
echo "swarm formed in $(awk -v a="$start" -v b="$(date +%s.%N)" \
    'BEGIN { printf "%.1f", b - a }') s"

manager=$(jq -r '.hosts[] | select(.role == "manager") | .docker_host' \
    "$work/swarm.json")
[ "$(jq '.managers' "$work/swarm.json")" = 1 ] || fail "not one manager"
[ "$(jq '.workers' "$work/swarm.json")" = 3 ] || fail "not three workers"
dk() { "$DOCKER" -H "$manager" "$@"; }

ready=$(dk node ls --format '{{.Hostname}} {{.Status}}' | grep -c ' Ready$')
[ "$ready" = 4 ] || { dk node ls; fail "$ready nodes ready, not 4"; }

dk service create --quiet --detach --no-resolve-image --name sleepers \
    --replicas 3 --constraint node.role==worker bb:1 sleep 1d >/dev/null ||
    fail "cannot create the service"
running=0
for _ in $(seq 1 120); do
    running=$(dk service ps sleepers --filter desired-state=running \
        --format '{{.CurrentState}}' | grep -c '^Running')
    [ "$running" = 3 ] && break
    sleep 0.5
done
dk service ps sleepers --format '{{.Name}} {{.Node}} {{.CurrentState}}'
[ "$running" = 3 ] || fail "$running of 3 tasks running after 60 s"
nodes=$(dk service ps sleepers --filter desired-state=running \
    --format '{{.Node}}' | sort -u)
for n in $nodes; do
    case $n in
    n2d-wrkr-*) ;;
    *) fail "a task of a worker-only service runs on '$n'" ;;
    esac
done

# Every process of every host, to check that they are gone.
pids=
for ns in "$SWARMLAB_NETNS_ROOT"/netns/n2d-*; do
    want="net:[$(stat -c %i "$ns")]"
    for p in /proc/[0-9]*; do
        [ "$(readlink "$p/ns/net" 2>/dev/null)" = "$want" ] &&
            pids="$pids ${p#/proc/}"
    done
done
for c in /sys/fs/cgroup/pids/"$tag"/*/*/cgroup.procs; do
    [ -f "$c" ] && pids="$pids $(tr '\n' ' ' <"$c")"
done
[ "$(echo "$pids" | wc -w)" -ge 16 ] || fail "only these processes: $pids"

"$SWARMLAB" destroy --state "$state" || fail "destroy failed"
[ ! -e "$state" ] || fail "the state file is still there"

left=
for p in $pids; do
    st=$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)
    [ -n "$st" ] && [ "$st" != Z ] && left="$left process $p;"
done
for p in /proc/[0-9]*; do
    tr '\0' ' ' 2>/dev/null <"$p/cmdline" | grep -qF "$SWARMLAB_NETNS_ROOT/" &&
        [ "$(awk '{print $3}' "$p/stat" 2>/dev/null)" != Z ] &&
        left="$left process ${p#/proc/};"
done
grep -qF "$SWARMLAB_NETNS_ROOT" /proc/self/mountinfo && left="$left mounts;"
[ -e "$SWARMLAB_NETNS_ROOT" ] && left="$left directory $SWARMLAB_NETNS_ROOT;"
for c in /sys/fs/cgroup/*/"$tag"; do
    [ -e "$c" ] && left="$left cgroup $c;"
done
outside >"$work/after"
diff -u "$work/before" "$work/after" || left="$left links or iptables rules;"
[ -z "$left" ] || fail "left behind:$left"
echo "ok: a real 4-host swarm ran a worker-only service; destroy left nothing"
