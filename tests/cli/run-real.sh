#!/usr/bin/env bash
# Run the CLI session against 4 real dockerd hosts and compare it with the recorded transcript.
#
# Usage (root): tests/cli/run-real.sh [--update] [--trace DIR]
#
#   DOCKER        docker CLI (default /usr/local/bin/docker if present, else docker);
#                 a 20.10 client is compared with fixtures/cli/session-20.10.expected,
#                 any other with fixtures/cli/session.expected
#   --update      write the expected file instead of comparing
#   --trace DIR   send the CLI through socat recorders: DIR/hostN.log
#                 on ports SL_TRACE_PORT.. (default 23750..23753); the
#                 session's silent polls bypass them
#   SL_ARTIFACTS  on a mismatch, keep the transcripts and dockerd logs there
#
# Exit status: 0 when the transcript matches, 1 when it does not or the
# session timed out, 2 on bad usage. Everything started is torn down.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
UPDATE=0
TRACE=""
while [ $# -gt 0 ]; do
    case $1 in
    --update) UPDATE=1 ;;
    --trace) TRACE=$2; shift ;;
    *) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0" >&2; exit 2 ;;
    esac
    shift
done

if [ -z "${DOCKER-}" ]; then
    if [ -x /usr/local/bin/docker ]; then DOCKER=/usr/local/bin/docker; else DOCKER=docker; fi
fi
export DOCKER
case $("$DOCKER" version --format '{{.Client.Version}}' 2>/dev/null) in
20.10.*) EXPECTED=$REPO/fixtures/cli/session-20.10.expected ;;
*) EXPECTED=$REPO/fixtures/cli/session.expected ;;
esac

LAB=$(mktemp -d /tmp/swarmlab-real.XXXXXX)
WORK=$(mktemp -d /tmp/swarmlab-cli.XXXXXX)
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
    "$REPO/ci/real-dockerd" down "$LAB" || true
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

eval "$("$REPO/ci/real-dockerd" up 4 "$LAB")"
if [ -n "$TRACE" ]; then
    mkdir -p "$TRACE"
    TRACE=$(cd "$TRACE" && pwd)
    for i in 0 1 2 3; do
        eval "$("$REPO/ci/real-dockerd" record "$LAB" "$i" $((${SL_TRACE_PORT:-23750} + i)) "$TRACE/host$i.log")"
        # Polls go straight to the socket: the traces hold the transcript's commands.
        var=SL_HOST$i
        export "SL_POLL_HOST$i=${!var}" "SL_HOST$i=$DOCKER_HOST"
    done
    unset DOCKER_HOST
fi

status=0
SL_RAW=$WORK/raw "$HERE/session.sh" >"$WORK/actual" || status=$?

if [ "$UPDATE" = 1 ]; then
    cp "$WORK/actual" "$EXPECTED"
    echo "run-real: wrote $EXPECTED" >&2
    exit "$status"
fi
if ! diff -u "$EXPECTED" "$WORK/actual"; then
    status=1
fi
if [ "$status" != 0 ] && [ -n "${SL_ARTIFACTS-}" ]; then
    mkdir -p "$SL_ARTIFACTS"
    cp "$WORK/actual" "$WORK/raw" "$SL_ARTIFACTS/"
    for i in 0 1 2 3; do
        cp "$LAB/host$i/dockerd.log" "$SL_ARTIFACTS/dockerd-host$i.log" 2>/dev/null || true
    done
fi
if [ "$status" = 0 ]; then
    echo "run-real: transcript matches $(basename "$EXPECTED")" >&2
else
    echo "run-real: FAILED against $(basename "$EXPECTED")" >&2
fi
exit "$status"
