#!/usr/bin/env bash
# The docker CLI against `swarmlab fake-dockerd --no-registry`: services run
# the images imported into the hosts; one of an image no host holds shows
# 0 replicas and tasks rejected "No such image", as a real swarm without a
# registry shows them (fixtures/real/traces/service-missing-image.txt).
set -u

: "${SWARMLAB:?path of the built swarmlab command}"

DOCKER=${DOCKER:-/usr/bin/docker}
[ -x "$DOCKER" ] || { echo "FAIL: no docker CLI (ci/install installs docker.io)"; exit 1; }

work=$(mktemp -d)
fake_pid=
cleanup() {
    [ -n "$fake_pid" ] && kill "$fake_pid" 2>/dev/null && wait "$fake_pid"
    rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$SWARMLAB" fake-dockerd --hosts 2 --listen 127.0.0.1:0 --no-registry \
    --addresses 10.99.0.10 >"$work/hosts" 2>"$work/fake.err" &
fake_pid=$!
for _ in $(seq 50); do
    [ "$(wc -l <"$work/hosts")" -ge 2 ] && break
    sleep 0.1
done
[ "$(wc -l <"$work/hosts")" -ge 2 ] || fail "fake-dockerd did not start: $(cat "$work/fake.err")"
h0=$(sed -n '1s/.*DOCKER_HOST=//p' "$work/hosts")
h1=$(sed -n '2s/.*DOCKER_HOST=//p' "$work/hosts")
d0() { "$DOCKER" -H "$h0" "$@"; }

d0 swarm init --advertise-addr 10.99.0.10 >/dev/null || fail "swarm init"
"$DOCKER" -H "$h1" swarm join --token "$(d0 swarm join-token -q worker)" \
    10.99.0.10:2377 >/dev/null || fail "swarm join"

mkdir "$work/root" && echo hello >"$work/root/hello"
tar -C "$work/root" -cf "$work/rootfs.tar" hello
for h in "$h0" "$h1"; do
    "$DOCKER" -H "$h" import "$work/rootfs.tar" here:1 >/dev/null || fail "import into $h"
done

d0 service create -d -q --name here --replicas 2 --no-resolve-image here:1 \
    /hello >/dev/null || fail "service create here"
d0 service create -d -q --name ghost --replicas 2 --no-resolve-image nosuch:1 \
    /hello >/dev/null || fail "service create ghost"

for _ in $(seq 50); do
    [ "$(d0 service ls --filter name=here --format '{{.Replicas}}')" = 2/2 ] && break
    sleep 0.1
done
got=$(d0 service ls --filter name=here --format '{{.Replicas}}')
[ "$got" = 2/2 ] || fail "service of an imported image: $got replicas, expected 2/2"
echo "ok: a service of an imported image runs (2/2)"

got=$(d0 service ls --filter name=ghost --format '{{.Replicas}}')
[ "$got" = 0/2 ] || fail "service of an image nobody holds: $got, expected 0/2"
d0 service ps --format '{{.DesiredState}} {{.CurrentState}} {{.Error}}' ghost >"$work/ps"
grep -q '^Ready Rejected .* "No such image: nosuch:1"$' "$work/ps" ||
    fail "no task of ghost waits, rejected, for its restart: $(cat "$work/ps")"
grep -q '^Shutdown Rejected .* "No such image: nosuch:1"$' "$work/ps" ||
    fail "no task of ghost was replaced: $(cat "$work/ps")"
echo "ok: a service of an image nobody holds is 0/2, its tasks rejected \"No such image\""

# The restart delay is 5 s: after it, each slot has one more attempt.
before=$(wc -l <"$work/ps")
sleep 5.5
after=$(d0 service ps --format '{{.ID}}' ghost | wc -l)
[ "$after" -gt "$before" ] || fail "no new attempt after the restart delay ($before, then $after tasks)"
echo "ok: a new attempt after the restart delay ($before, then $after tasks)"
