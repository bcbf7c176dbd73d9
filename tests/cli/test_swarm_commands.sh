#!/usr/bin/env bash
# The provisioning commands end to end on the fakes: create, ls, destroy, bad input.
set -u

: "${SWARMLAB:?path of the built swarmlab command}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export SWARMLAB_STATE="$work/state.json"
failures=0
checks=0

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# Runs the command, keeps stdout, stderr and the exit code.
run() {
    checks=$((checks + 1))
    "$SWARMLAB" "$@" >"$work/out" 2>"$work/err"
    code=$?
}

expect_code() {
    [ "$code" = "$1" ] || fail "$2: exit $code, expected $1: $(cat "$work/err")"
}

expect_err() {
    grep -qF -- "$1" "$work/err" || fail "stderr lacks '$1': $(cat "$work/err")"
}

run swarm create --json
expect_code 0 "swarm create"
[ "$(grep -c '"name"' "$work/out")" = 4 ] || fail "swarm create made $(grep -c '"name"' "$work/out") hosts, expected 4"
grep -q '"leader": "n2d-mngr-0"' "$work/out" || fail "no leader n2d-mngr-0 in: $(cat "$work/out")"
[ "$(stat -c %a "$SWARMLAB_STATE")" = 600 ] || fail "state file is not 0600"

run ls
expect_code 0 "ls"
for h in n2d-mngr-0 n2d-wrkr-0 n2d-wrkr-1 n2d-wrkr-2; do
    grep -q "^$h " "$work/out" || fail "ls does not show $h"
done
grep -qi "token\|SWMTKN" "$SWARMLAB_STATE" && fail "state file holds a join token"

run destroy
expect_code 0 "destroy"
grep -q "destroyed 4 hosts" "$work/out" || fail "destroy said: $(cat "$work/out")"
[ -e "$SWARMLAB_STATE" ] && fail "state file left after destroy"

run swarm create --managers 0
expect_code 2 "swarm create --managers 0"
expect_err "a swarm needs at least one manager"
[ -e "$SWARMLAB_STATE" ] && grep -q n2d "$SWARMLAB_STATE" && fail "hosts recorded after a refused create"

run swarm create --workers many
expect_code 2 "swarm create --workers many"
expect_err "invalid --workers 'many'"

run swarm create --worker-label notalabel
expect_code 2 "swarm create --worker-label notalabel"
expect_err "invalid label 'notalabel': expected KEY=VALUE"

run swarm create --cpus 100 --workers 3
expect_code 1 "swarm create over capacity"
expect_err "cannot create the hosts: they need 400 CPUs, 64 are free"

run swarm create --prefix lab --managers 3 --workers 5 --worker-os windows
expect_code 0 "swarm create of 3 managers and 5 windows workers"
grep -q "swarm .* formed: 3 managers, 5 workers" "$work/out" || fail "3+5 swarm: $(cat "$work/out")"
run destroy
expect_code 0 "destroy of the 3+5 swarm"

run swarm create --hypervisor libvirt --uri test:///default --pool default-pool --memory 256 --cpus 1
expect_code 0 "swarm create on libvirt's test driver"
grep -q "formed: 1 managers, 3 workers" "$work/out" || fail "test driver swarm: $(cat "$work/out")"
run ls
grep -q "^n2d-wrkr-2 " "$work/out" || fail "ls after the test driver swarm: $(cat "$work/out")"
# The state file says where its hosts are: URI and pool, so that destroy
# needs nothing more; another pool or URI than the hosts' is refused.
grep -q '"uri": "test:///default"' "$SWARMLAB_STATE" || fail "the state file does not record the URI"
grep -q '"pool": "default-pool"' "$SWARMLAB_STATE" || fail "the state file does not record the pool"
run destroy --pool other
expect_code 2 "destroy in another pool than the hosts'"
expect_err "state file '$SWARMLAB_STATE' holds hosts made in pool 'default-pool', not in 'other'"
run host create extra --uri test:///other
expect_code 2 "host create on another URI than the state's hosts"
expect_err "holds hosts made on 'test:///default', not on 'test:///other'"
grep -q '"extra"' "$SWARMLAB_STATE" && fail "a refused host create recorded its host"
run destroy
expect_code 0 "destroy on the test driver"
grep -q "destroyed 4 hosts" "$work/out" || fail "destroy from the state alone said: $(cat "$work/out")"

# Images imported into every host: a file that is not there is unusable
# input, refused before anything is made; a tarball the daemons refuse
# fails the build with their words and leaves nothing.
run swarm create --import-image bb:1="$work/none.tar"
expect_code 2 "swarm create --import-image of a missing file"
expect_err "cannot read '$work/none.tar'"
[ -e "$SWARMLAB_STATE" ] && fail "state file made for a missing tarball"

run swarm create --import-image bb1.tar
expect_code 2 "swarm create --import-image without REF="
expect_err "invalid --import-image 'bb1.tar': expected REF=TARBALL"

printf 'not a tarball' >"$work/bad.tar"
run swarm create --import-image bb:1="$work/bad.tar"
expect_code 1 "swarm create with a tarball the daemons refuse"
expect_err "cannot import 'bb:1' into 'n2d-"
expect_err "Error processing tar file(exit status 1): unexpected EOF"
run ls
grep -q "^n2d-" "$work/out" && fail "hosts left after a refused import: $(cat "$work/out")"

mkdir -p "$work/root/bin"
printf '#!/bin/sh\necho hello\n' >"$work/root/bin/hello"
tar -C "$work/root" -cf "$work/hello.tar" bin
run swarm create --workers 1 --import-image hello:1="$work/hello.tar" --import-image hello:2="$work/hello.tar"
expect_code 0 "swarm create with two imports"
run destroy
expect_code 0 "destroy after the imports"

run host create lone --import-image hello:1="$work/hello.tar" --json
expect_code 0 "host create with an import"
run host create lone2 --import-image hello:1="$work/none.tar"
expect_code 2 "host create --import-image of a missing file"
run destroy
expect_code 0 "destroy after host create"

if [ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1; then
    run swarm create --workers 1 --import-busybox bb:1
    expect_code 0 "swarm create --import-busybox"
    run destroy
fi

run swarm --help
expect_code 0 "swarm --help"
grep -q -- "--managers N" "$work/out" || fail "swarm --help lacks --managers"
for cmd in "image build" "host create" "ls" "destroy" "fake-dockerd"; do
    # shellcheck disable=SC2086
    run $cmd --help
    expect_code 0 "$cmd --help"
done

echo "$((checks - failures < 0 ? 0 : checks - failures)) passed, $failures failed"
[ "$failures" = 0 ]
