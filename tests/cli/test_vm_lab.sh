#!/usr/bin/env bash
# One real VM in a private libvirt lab: built image, mutual TLS, clear failures, nothing left.
#
# The CI form of the real lane (ci/nightly runs the whole seed swarm):
# ci/vm-lab up, swarmlab image build and its import over qemu+ssh:// (the
# lab's sshd, as on a remote hypervisor), a host on a network without DHCP
# (fails naming the network and quoting the console, leaves nothing),
# one host made over qemu+ssh:// and booted to an answering Docker API over
# mutual TLS with its data on its own disk, destroy, a host whose Docker API cannot be reached
# (fails the same way), ci/vm-lab down. Skips (77) without root, QEMU, libvirtd or apt, and in
# sanitizer builds (the lane runs once per CI run, in the plain build).
set -euo pipefail

SWARMLAB=${SWARMLAB:?path to the swarmlab command}
REPO=${SL_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
CACHE=${SL_DEB_CACHE:-/var/cache/swarmlab/debs}
export SL_VMLAB_NAME=sl-vmtest-$$
export SL_VMLAB_DIR=/tmp/$SL_VMLAB_NAME
LAB=$REPO/ci/vm-lab

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }

[ "$(id -u)" = 0 ] || skip "needs root (network namespaces, libvirtd)"
for t in qemu-system-x86_64 libvirtd virtlogd virsh dnsmasq nsenter curl \
    /usr/sbin/sshd nc; do
    command -v "$t" >/dev/null || skip "'$t' is not installed"
done
if ldd "$SWARMLAB" 2>/dev/null | grep -q 'libasan'; then
    skip "sanitizer build: the VM lane runs once, in the plain build"
fi
apt-cache show --no-all-versions linux-image-cloud-amd64 >/dev/null 2>&1 ||
    skip "apt knows no linux-image-cloud-amd64 (run apt-get update)"

work=$(mktemp -d /tmp/sl-vmtest.XXXXXX)
cleanup() {
    "$LAB" down >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

echo "== the lab: libvirtd in its own namespaces"
eval "$("$LAB" up)"
export SWARMLAB_CONSOLE_LOG_DIR=$SL_VMLAB_CONSOLE
state=$work/state/state.json
S=(--hypervisor libvirt --uri "$SL_VMLAB_URI" --pool "$SL_VMLAB_POOL"
   --state "$state")
# The same lab reached the way a remote hypervisor is.
R=(--hypervisor libvirt --uri "${SL_VMLAB_SSH_URI:?the lab has no sshd}"
   --pool "$SL_VMLAB_POOL" --state "$state")
lab_virsh() { virsh -q -c "$SL_VMLAB_URI" "$@"; }
sl() { "$LAB" exec "$SWARMLAB" "$@"; }

echo "== libvirtd not running is an environment error"
rc=0
sl host create nobody --hypervisor libvirt --state "$work/other.json" \
    --uri "qemu:///system?socket=$work/no-such.sock" >"$work/out" 2>&1 ||
    rc=$?
[ "$rc" = 3 ] || fail "exit $rc for a missing libvirtd: $(cat "$work/out")"
grep -q "cannot connect to" "$work/out" || fail "unclear: $(cat "$work/out")"

echo "== image build, and its import over qemu+ssh"
mkdir -p "$CACHE" 2>/dev/null || CACHE=$work/debs
mkdir -p "$CACHE"
(
    flock 9
    "$SWARMLAB" image build --no-import --apt-cache "$CACHE" \
        --output "$work/image" >/dev/null
) 9>"$CACHE/.lock"
sl image build "${R[@]}" --artifact "$work/image" >/dev/null
lab_virsh vol-list "$SL_VMLAB_POOL" | grep -q 'swarmlab-base.initrd' ||
    fail "initramfs not in the pool"

echo "== a host on a network without DHCP fails clearly and leaves nothing"
cat >"$work/nodhcp.xml" <<EOF
<network><name>sl-nodhcp</name><bridge name='slvmbr1' stp='off'/>
<ip address='10.78.0.1' netmask='255.255.255.0'/></network>
EOF
lab_virsh net-define "$work/nodhcp.xml" >/dev/null
lab_virsh net-start sl-nodhcp >/dev/null
rc=0
sl host create n2d-nolease "${S[@]}" --network sl-nodhcp --cpus 1 \
    --memory 1024 --address-timeout 30 >"$work/out" 2>&1 || rc=$?
cat "$work/out"
[ "$rc" = 1 ] || fail "exit $rc for a host without a lease"
grep -q "no address for 'n2d-nolease' on network 'sl-nodhcp' after" \
    "$work/out" || fail "the error does not name the network"
grep -q "console" "$work/out" || fail "the error does not show the console"
[ -z "$(lab_virsh list --all --name)" ] || fail "a domain is left"
lab_virsh vol-list "$SL_VMLAB_POOL" | grep -q 'n2d-nolease' &&
    fail "its config disk is left"
[ -e "$work/state/tls/hosts/n2d-nolease" ] && fail "its TLS files are left"

echo "== one host made over qemu+ssh boots and answers over mutual TLS"
start=$(date +%s)
# Generous limits: CI runs other tests beside this one on two cores.
sl host create n2d-one "${R[@]}" --network "$SL_VMLAB_NETWORK" --cpus 1 \
    --memory 1024 --disk 4 --boot-timeout 300 --address-timeout 300 \
    --docker-timeout 300 >"$work/out" 2>&1 ||
    fail "host create: $(cat "$work/out")"
echo "docker-ready after $(($(date +%s) - start)) s: $(cat "$work/out")"
addr=$(awk '{print $2}' "$work/out")
tls=$work/state/tls
"$LAB" exec curl -sf --max-time 10 --cacert "$tls/ca.pem" \
    --cert "$tls/cert.pem" --key "$tls/key.pem" \
    "https://$addr:2376/_ping" | grep -qx OK || fail "no ping over TLS"
if "$LAB" exec curl -sf --max-time 10 --cacert "$tls/ca.pem" \
    "https://$addr:2376/_ping" >/dev/null 2>&1; then
    fail "answered a client without a certificate"
fi
if "$LAB" exec curl -s --max-time 5 "http://$addr:2375/_ping" >/dev/null; then
    fail "plain TCP 2375 answers"
fi
lab_virsh net-dumpxml "$SL_VMLAB_NETWORK" | grep -q "ip='$addr'" ||
    fail "no DHCP reservation for $addr"
[ "$(stat -c %a "$tls/hosts/n2d-one/server-key.pem")" = 600 ] ||
    fail "server key not 0600"

echo "== Docker keeps its data on the host's own disk, not in memory"
lab_virsh vol-info --pool "$SL_VMLAB_POOL" n2d-one.data --bytes |
    grep -q "Capacity: *4294967296 bytes" || fail "no 4 GiB data disk"
backing=$("$LAB" exec curl -sf --max-time 10 --cacert "$tls/ca.pem" \
    --cert "$tls/cert.pem" --key "$tls/key.pem" "https://$addr:2376/info" |
    jq -r '.DriverStatus[] | select(.[0] == "Backing Filesystem") | .[1]')
[ "$backing" = extfs ] || fail "overlay2 backed by '$backing', not the disk"

echo "== destroy over qemu+ssh leaves nothing but the image"
sl ls "${R[@]}" | grep -q "n2d-one .*running" || fail "ls does not show it"
sl destroy "${R[@]}" >/dev/null
[ -z "$(lab_virsh list --all --name)" ] || fail "a domain is left"
[ "$(lab_virsh vol-list "$SL_VMLAB_POOL" | grep -vc swarmlab-base)" = 0 ] ||
    fail "volumes are left: $(lab_virsh vol-list "$SL_VMLAB_POOL")"
lab_virsh net-dumpxml "$SL_VMLAB_NETWORK" | grep -q '<host' &&
    fail "a DHCP reservation is left"
[ -e "$tls/hosts/n2d-one" ] && fail "the host's TLS files are left"
[ -e "$state" ] && fail "the state file is left"

echo "== a host whose Docker API never answers fails clearly, leaves nothing"
"$LAB" exec iptables -I OUTPUT -p tcp --dport 2376 -j REJECT
rc=0
sl host create n2d-mute "${S[@]}" --network "$SL_VMLAB_NETWORK" --cpus 1 \
    --memory 1024 --docker-timeout 15 >"$work/out" 2>&1 || rc=$?
"$LAB" exec iptables -D OUTPUT -p tcp --dport 2376 -j REJECT
cat "$work/out"
[ "$rc" = 1 ] || fail "exit $rc for a Docker API that never answers"
grep -q "docker on 'n2d-mute' did not answer at 'tcp://.*:2376' within 15 s" \
    "$work/out" || fail "the error does not say which host and endpoint"
grep -q "console of 'n2d-mute'" "$work/out" || fail "no console shown"
[ -z "$(lab_virsh list --all --name)" ] || fail "a domain is left"
lab_virsh net-dumpxml "$SL_VMLAB_NETWORK" | grep -q '<host' &&
    fail "a DHCP reservation is left"
[ -e "$tls/hosts/n2d-mute" ] && fail "its TLS files are left"

echo "== the lab goes"
"$LAB" down
ip netns list | grep -qw "$SL_VMLAB_NAME" && fail "the namespace is left"
[ -e "$SL_VMLAB_DIR" ] && fail "the lab directory is left"
echo "PASS"
