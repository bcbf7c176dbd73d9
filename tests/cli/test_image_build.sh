#!/usr/bin/env bash
# swarmlab image build: the kernel and initramfs from Debian packages, twice, same bytes.
#
# Needs apt (the packages come from its cache or `apt-get download`) and
# busybox to list the archive; skips (77) with the reason when they are
# missing. SL_DEB_CACHE keeps downloaded packages between runs (default
# /var/cache/swarmlab/debs).
set -euo pipefail

SWARMLAB=${SWARMLAB:?path to the swarmlab command}
CACHE=${SL_DEB_CACHE:-/var/cache/swarmlab/debs}
work=$(mktemp -d /tmp/sl-image-test.XXXXXX)
trap 'rm -rf "$work"' EXIT

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }

command -v apt-cache >/dev/null || skip "no apt on this machine"
command -v busybox >/dev/null || skip "no busybox to list the initramfs"
apt-cache show --no-all-versions linux-image-cloud-amd64 >/dev/null 2>&1 ||
    skip "apt knows no linux-image-cloud-amd64 (run apt-get update)"
mkdir -p "$CACHE" 2>/dev/null || CACHE=$work/debs
mkdir -p "$CACHE"
# One build at a time downloads into the cache (test_vm_lab.sh shares it).
exec 9>"$CACHE/.lock"
flock 9

echo "== a directory without the packages is refused, naming what is missing"
mkdir "$work/empty"
if "$SWARMLAB" image build --no-import --debs "$work/empty" \
    --output "$work/none" >"$work/out" 2>&1; then
    fail "built from an empty directory"
fi
grep -q "package 'linux-image-cloud-amd64' missing from" "$work/out" ||
    fail "unclear error: $(cat "$work/out")"

echo "== first build (apt, downloading into $CACHE what its cache lacks)"
if ! "$SWARMLAB" image build --no-import --apt-cache "$CACHE" \
    --output "$work/a" >"$work/out" 2>&1; then
    if grep -q "cannot download" "$work/out"; then
        skip "packages cannot be had: $(tail -1 "$work/out")"
    fi
    fail "build failed: $(cat "$work/out")"
fi
cat "$work/out"

echo "== second build, offline, into another directory"
"$SWARMLAB" image build --no-import --apt-cache "$CACHE" --offline \
    --output "$work/b" >/dev/null

for f in vmlinuz initrd.img manifest.json; do
    a=$(sha256sum <"$work/a/$f")
    b=$(sha256sum <"$work/b/$f")
    [ "$a" = "$b" ] || fail "$f differs between two builds"
done
echo "same checksums: $(sha256sum "$work/a/initrd.img" | cut -c1-16)..."

echo "== the manifest names the packages, modules and artifacts"
m=$work/a/manifest.json
for p in docker.io containerd runc tini busybox-static iptables libc6; do
    grep -q "\"name\": \"$p\"" "$m" || fail "manifest lacks package $p"
done
grep -q '"name": "linux-image-[0-9.-]*-cloud-amd64"' "$m" ||
    fail "manifest lacks the kernel package"
for mod in overlay br_netfilter bridge veth vxlan ip_vs nf_nat virtio_net \
    virtio_blk; do
    grep -q "\"$mod\"" "$m" || fail "manifest lacks module $mod"
done
for f in vmlinuz initrd.img; do
    sum=$(sha256sum "$work/a/$f" | cut -d' ' -f1)
    grep -q "\"sha256\": \"$sum\"" "$m" || fail "manifest has no sha256 of $f"
done
grep -q '"source_date_epoch": 0' "$m" || fail "manifest lacks the epoch"

echo "== the initramfs holds what a Docker host needs"
zcat "$work/a/initrd.img" | busybox cpio -t 2>/dev/null >"$work/list"
kver=$(sed -n 's/.*"kernel_version": "\(.*\)".*/\1/p' "$m")
for p in init dev/console etc/inittab usr/bin/busybox usr/sbin/dockerd \
    usr/bin/containerd usr/bin/containerd-shim-runc-v2 usr/sbin/runc \
    usr/bin/docker-init usr/sbin/iptables usr/sbin/xtables-legacy-multi \
    usr/lib/x86_64-linux-gnu/libseccomp.so.2 \
    "usr/lib/modules/$kver/kernel/fs/overlayfs/overlay.ko"; do
    grep -qx "$p" "$work/list" || fail "initramfs lacks $p"
done
grep -q '^usr/share/' "$work/list" && fail "initramfs holds usr/share"
LC_ALL=C sort -c "$work/list" 2>/dev/null ||
    fail "initramfs entries are not sorted"

echo "PASS"
