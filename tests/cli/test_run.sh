#!/usr/bin/env bash
# swarmlab run end to end: the library, bad input, jobs, reports, test driver.
set -u

: "${SWARMLAB:?path of the built swarmlab command}"
: "${SL_SOURCE_DIR:?path of the source tree}"
cd "$SL_SOURCE_DIR" || exit 2

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export TMPDIR="$work/tmp"
mkdir -p "$TMPDIR"
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

# A JSON report without its wall-clock fields.
strip_wall() {
    grep -v '"wall_' "$1"
}

nothing_provisioned() {
    [ -z "$(ls -A "$TMPDIR")" ] || fail "$1: left $(ls "$TMPDIR")"
}

# The library on the fakes: every scenario passes.
run run scenarios/ --json "$work/one.json" --tap "$work/one.tap" \
    --junit "$work/one.xml"
expect_code 0 "run scenarios/"
n=$(ls scenarios/*.json | wc -l)
[ "$(grep -c '^ok ' "$work/out")" = "$n" ] ||
    fail "expected $n ok lines: $(cat "$work/out")"
grep -q "^$n passed, 0 failed, 0 skipped in " "$work/out" ||
    fail "no totals line: $(tail -1 "$work/out")"
nothing_provisioned "run scenarios/"

# The same with four at once: the same results, the same JSON report but
# for wall-clock fields.
run run scenarios/ --jobs 4 --json "$work/four.json"
expect_code 0 "run scenarios/ --jobs 4"
strip_wall "$work/one.json" >"$work/one.stripped"
strip_wall "$work/four.json" >"$work/four.stripped"
cmp -s "$work/one.stripped" "$work/four.stripped" ||
    fail "--jobs 4 report differs: $(diff "$work/one.stripped" \
        "$work/four.stripped" | head -20)"
grep -q '"virtual_ms": ' "$work/one.json" || fail "JSON report lacks times"

# TAP and JUnit reports.
checks=$((checks + 1))
head -2 "$work/one.tap" | tr '\n' ' ' | grep -q "^TAP version 13 1\.\.$n " ||
    fail "TAP header: $(head -2 "$work/one.tap")"
[ "$(grep -c '^ok [0-9]* - ' "$work/one.tap")" = "$n" ] ||
    fail "TAP lacks $n test points: $(cat "$work/one.tap")"
[ "$(grep -c '<testcase ' "$work/one.xml")" = "$n" ] ||
    fail "JUnit lacks $n testcases"
if command -v xmllint >/dev/null 2>&1; then
    xmllint --noout "$work/one.xml" || fail "JUnit report is not XML"
fi

# A wrong expectation: exit 1, with what was observed.
cat >"$work/wrong.json" <<'EOF'
{"name": "wrong", "swarm": {"managers": {"count": 1}, "workers": {"count": 3}},
 "deploy": {"services": [{"name": "web", "image": "nginx", "replicas": 3}]},
 "expect": {"services": [{"name": "web", "running": 4}]}}
EOF
run run "$work/wrong.json" scenarios/seed-swarm.json
expect_code 1 "a wrong expectation"
grep -q "^FAIL  wrong " "$work/out" || fail "no FAIL line: $(cat "$work/out")"
grep -q "expect.services\[0\]: expected 'web': 4 running tasks" "$work/out" ||
    fail "no failed expectation: $(cat "$work/out")"
grep -q "observed: 3 running (" "$work/out" ||
    fail "no observed value: $(cat "$work/out")"
grep -q "^ok    seed-swarm " "$work/out" || fail "seed-swarm did not run"

# Unusable input: exit 2 with the loader's message, nothing provisioned,
# not even the good files given with it.
for f in fixtures/scenarios/bad/*.json; do
    name=$(basename "$f")
    checks=$((checks + 1))
    (cd fixtures/scenarios/bad &&
        "$SWARMLAB" run "$SL_SOURCE_DIR/scenarios/seed-swarm.json" "$name" \
            >"$work/out" 2>"$work/err")
    code=$?
    [ "$code" = 2 ] || fail "$name: exit $code, expected 2"
    [ "$(cat "$work/err")" = "swarmlab run: $(cat "${f%.json}.expected")" ] ||
        fail "$name: stderr '$(cat "$work/err")', expected 'swarmlab run:" \
            "$(cat "${f%.json}.expected")'"
    [ -s "$work/out" ] && fail "$name: something ran: $(cat "$work/out")"
done
nothing_provisioned "bad scenarios"

run run "$work/missing.json"
expect_code 2 "a missing file"
grep -q "^swarmlab run: .*missing.json" "$work/err" ||
    fail "missing file: $(cat "$work/err")"
run run scenarios/ --jobs 0
expect_code 2 "--jobs 0"
run run
expect_code 2 "no file"
run run --help
expect_code 0 "--help"
grep -q -- "--hypervisor NAME" "$work/out" || fail "--help lacks --hypervisor"

# libvirt's test driver: the scenarios whose faults it can produce pass,
# the seed scenario among them; the others are skipped with the reason.
run run scenarios/ --hypervisor libvirt --uri test:///default \
    --json "$work/libvirt.json"
expect_code 0 "run scenarios/ on test:///default"
grep -q "^ok    seed-swarm " "$work/out" ||
    fail "seed-swarm did not pass on test:///default: $(cat "$work/out")"
grep -q "^skip  boot-retry  .*boot-failure: 'libvirt' cannot make a boot fail" \
    "$work/out" || fail "boot-retry not skipped: $(cat "$work/out")"
grep -q "^FAIL" "$work/out" &&
    fail "failures on test:///default: $(cat "$work/out")"
grep -q '"backend": "libvirt"' "$work/libvirt.json" ||
    fail "the JSON report does not name libvirt"
nothing_provisioned "test:///default"

# netns hosts are a few Linux dockerd processes: Windows hosts and a
# hundred nodes are skipped with the reason, in every report, before
# anything is made (root or not).
run run --hypervisor netns scenarios/mixed-os.json scenarios/hundred-nodes.json \
    --tap "$work/netns.tap" --junit "$work/netns.xml" --json "$work/netns.json"
expect_code 0 "Windows hosts and a hundred nodes on netns"
grep -q "^skip  mixed-os  .*'netns' hosts run Linux only: 2 of the 5 hosts" \
    "$work/out" || fail "mixed-os not skipped on netns: $(cat "$work/out")"
grep -q "^ok 2 - hundred-nodes # SKIP 'netns' runs at most 8 hosts" \
    "$work/netns.tap" || fail "TAP: $(cat "$work/netns.tap")"
[ "$(grep -c '<skipped message="&apos;netns&apos; ' "$work/netns.xml")" = 2 ] ||
    fail "JUnit: $(cat "$work/netns.xml")"
grep -qF "\"reason\": \"'netns' runs at most 8 hosts on this machine, not 100\"" \
    "$work/netns.json" || fail "JSON: no reason for hundred-nodes"
nothing_provisioned "Windows hosts and a hundred nodes on netns"

# --cpus and --memory size every host whatever the scenario says: four
# hosts of 4 CPUs and 2 GiB do not fit a server of 4 CPUs, four of 1 CPU
# and 512 MiB do.
sed 's/"boot_time": "20s"}/"boot_time": "20s", "capacity": {"cpus": 4, "memory": "4G"}}/' \
    scenarios/seed-swarm.json >"$work/small-server.json"
grep -q '"cpus": 4, "memory": "4G"' "$work/small-server.json" ||
    fail "cannot make a scenario with a small server"
run run "$work/small-server.json"
expect_code 1 "hosts bigger than the server"
grep -q "they need 16 CPUs, 4 are free" "$work/out" ||
    fail "no capacity refusal: $(cat "$work/out")"
run run --cpus 1 --memory 512 "$work/small-server.json"
expect_code 0 "hosts sized down to fit the server"
run run --cpus 0 "$work/small-server.json"
expect_code 2 "--cpus 0"
grep -q "invalid --cpus '0'" "$work/err" || fail "--cpus 0: $(cat "$work/err")"
nothing_provisioned "--cpus and --memory"

passed=$((checks - failures < 0 ? 0 : checks - failures))
echo "$passed passed, $failures failed"
[ "$failures" = 0 ]
