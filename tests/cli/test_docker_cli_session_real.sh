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
# A real swarm is not deterministic everywhere: right after a demotion
# the scheduler may still place a manager-only task on the demoted node,
# which then rejects it (fixtures/README.md). Such a run differs from the
# recorded transcript through no fault of ours, so a mismatch is tried
# once more on fresh daemons; two in a row fail.
status=0
for docker in /usr/bin/docker /usr/local/bin/docker; do
    [ -x "$docker" ] || continue
    if DOCKER=$docker "$SL_SOURCE_DIR/tests/cli/run-real.sh" ||
        { echo "retrying $docker once on fresh daemons";
          DOCKER=$docker "$SL_SOURCE_DIR/tests/cli/run-real.sh"; }; then
        echo "ok: $docker against real daemons"
    else
        echo "FAIL: $docker against real daemons"
        status=1
    fi
done
exit $status
