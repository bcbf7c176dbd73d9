#!/usr/bin/env bash
# The docker CLI drives `swarmlab fake-dockerd --hosts 4` through a whole swarm
# session and must print what it printed against four real dockerd 20.10.
set -u

: "${SWARMLAB:?path of the built swarmlab command}"
: "${SL_SOURCE_DIR:?path of the source tree}"
cd "$SL_SOURCE_DIR" || exit 2

work=$(mktemp -d)
fake_pid=
cleanup() {
    [ -n "$fake_pid" ] && kill "$fake_pid" 2>/dev/null && wait "$fake_pid"
    rm -rf "$work"
}
trap cleanup EXIT

# Runs the session with one docker client against fresh fake hosts and
# compares its normalized transcript with the one recorded from real daemons.
run_with() {
    local docker=$1 expected=$2 i

    "$SWARMLAB" fake-dockerd --hosts 4 --listen 127.0.0.1:0 \
        --addresses 10.99.0.10 >"$work/hosts" 2>"$work/fake.err" &
    fake_pid=$!
    for i in $(seq 50); do
        [ "$(wc -l <"$work/hosts")" -ge 4 ] && break
        sleep 0.1
    done
    if [ "$(wc -l <"$work/hosts")" -lt 4 ]; then
        echo "fake-dockerd did not start:"; cat "$work/fake.err"
        return 1
    fi
    for i in 0 1 2 3; do
        export "SL_HOST$i=$(sed -n "$((i + 1))s/.*DOCKER_HOST=//p" "$work/hosts")"
    done
    DOCKER=$docker SL_ADDR0=10.99.0.10 SL_TIMEOUT=30 \
        tests/cli/session.sh >"$work/got" 2>"$work/session.err"
    kill "$fake_pid"; wait "$fake_pid"; fake_pid=
    if ! diff -u "$expected" "$work/got"; then
        echo "FAIL: $docker against the fake differs from $expected"
        cat "$work/session.err"
        return 1
    fi
    echo "ok: $docker ($($docker --version)) matches $expected"
}

status=0
ran=0
if [ -x /usr/bin/docker ]; then
    run_with /usr/bin/docker fixtures/cli/session-20.10.expected || status=1
    ran=$((ran + 1))
fi
if [ -x /usr/local/bin/docker ]; then
    run_with /usr/local/bin/docker fixtures/cli/session.expected || status=1
    ran=$((ran + 1))
fi
if [ "$ran" = 0 ]; then
    echo "FAIL: no docker CLI found (ci/install installs docker.io)"
    exit 1
fi
exit $status
