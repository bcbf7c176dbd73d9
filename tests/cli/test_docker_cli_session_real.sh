#!/usr/bin/env bash
# The same docker CLI session against four real dockerd hosts in network
# namespaces: reality must still print what the fake is compared with.
set -u

: "${SL_SOURCE_DIR:?path of the source tree}"
if [ "$(id -u)" != 0 ]; then
    echo "skipped: real dockerd hosts need root"
    exit 77
fi
if ! command -v dockerd >/dev/null; then
    echo "skipped: dockerd not found (ci/install installs docker.io)"
    exit 77
fi
status=0
for docker in /usr/bin/docker /usr/local/bin/docker; do
    [ -x "$docker" ] || continue
    if DOCKER=$docker "$SL_SOURCE_DIR/tests/cli/run-real.sh"; then
        echo "ok: $docker against real daemons"
    else
        echo "FAIL: $docker against real daemons"
        status=1
    fi
done
exit $status
