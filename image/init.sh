#!/bin/busybox sh
# Boot of a swarmlab Docker host: tmpfs root, modules, config, data disk, DHCP,
# TLS, dockerd.
#
# One script, several roles, chosen by $1:
#   (other)   PID 1 in the initramfs: copy it to a tmpfs, switch_root there
#   stage2    PID 1 in the tmpfs: mount the kernel's filesystems, run init
#   boot      busybox init's sysinit: modules, config, hostname, network
#   dockerd   busybox init's respawn: dockerd with TLS on 2376
#   deconfig, bound, renew, leasefail, nak: udhcpc's events
# runc cannot pivot_root out of an initramfs, hence the tmpfs root.

export PATH=/usr/sbin:/usr/bin:/sbin:/bin
CONFIG=/run/swarmlab/config
TLS=/etc/docker/tls

log() {
    echo "swarmlab: $*" >/dev/console 2>/dev/null || echo "swarmlab: $*"
}

stage1() {
    /bin/busybox mkdir -p /proc /sys /dev /newroot
    /bin/busybox mount -t devtmpfs devtmpfs /dev
    /bin/busybox --install -s
    mount -t tmpfs -o mode=0755 rootfs /newroot
    cd /
    for f in * .[!.]*; do
        case "$f" in
        proc | sys | dev | newroot | '.[!.]*') continue ;;
        esac
        cp -a "/$f" /newroot/
    done
    mkdir -p /newroot/proc /newroot/sys /newroot/dev
    umount /dev
    exec switch_root /newroot /init stage2
}

stage2() {
    mount -t proc proc /proc
    mount -t sysfs sysfs /sys
    mount -t devtmpfs devtmpfs /dev
    mkdir -p /dev/pts /dev/shm /run /tmp /var/lib/docker /var/log
    mount -t devpts -o gid=5,mode=0620 devpts /dev/pts
    mount -t tmpfs -o mode=1777 shm /dev/shm
    mount -t tmpfs -o mode=0755 run /run
    mount -t cgroup2 cgroup2 /sys/fs/cgroup
    ln -sf /run /var/run
    exec /sbin/init
}

load_modules() {
    depmod -a
    for m in $(cat /etc/swarmlab/modules); do
        modprobe "$m" 2>/dev/null || log "cannot load module '$m'"
    done
    for c in $(cat /sys/fs/cgroup/cgroup.controllers); do
        echo "+$c" >/sys/fs/cgroup/cgroup.subtree_control 2>/dev/null
    done
}

# The config disk holds a cpio archive written by swarmlab: hostname,
# labels, tls/{ca,server-cert,server-key}.pem.
read_config() {
    mkdir -p "$CONFIG"
    for d in /dev/vd? /dev/sd?; do
        [ -b "$d" ] || continue
        [ "$(head -c 6 "$d" 2>/dev/null)" = 070701 ] || continue
        (cd "$CONFIG" && cpio -i -d -m <"$d" 2>/dev/null) && {
            log "config read from $d"
            return 0
        }
    done
    log "no config disk found"
    return 1
}

# The data disk is the virtio disk whose serial is swarmlab-data: an ext2
# file system (busybox's mke2fs, one inode per 64 KiB) made on first boot,
# mounted with the kernel's ext4 driver as Docker's data root. Without it
# Docker keeps its data in the tmpfs root.
mount_data() {
    for s in /sys/block/*/serial; do
        [ "$(cat "$s" 2>/dev/null)" = swarmlab-data ] || continue
        d=/dev/$(basename "$(dirname "$s")")
        magic=$(dd if="$d" bs=1 skip=1080 count=2 2>/dev/null | od -An -tx1)
        if [ "$(echo $magic)" != "53 ef" ]; then
            log "formatting data disk $d"
            mke2fs -i 65536 -m 0 -L swarmlab-data "$d" >/dev/null 2>&1 ||
                { log "cannot format $d"; return 1; }
        fi
        if mount -t ext4 -o noatime "$d" /var/lib/docker; then
            log "data disk $d on /var/lib/docker"
            return 0
        fi
        log "cannot mount data disk $d"
        return 1
    done
    log "no data disk: Docker keeps its data in memory"
    return 1
}

set_hostname() {
    name=swarmlab
    [ -s "$CONFIG/hostname" ] && name=$(cat "$CONFIG/hostname")
    hostname "$name"
    echo "$name" >/etc/hostname
    printf '127.0.0.1 localhost\n127.0.1.1 %s\n' "$name" >/etc/hosts
}

network() {
    ip link set lo up
    for i in 1 2 3 4 5 6 7 8 9 10; do
        [ -e /sys/class/net/eth0 ] && break
        sleep 0.2
    done
    ip link set eth0 up
    udhcpc -b -i eth0 -s /init -x "hostname:$(hostname)" -t 20 -T 2 -A 3 \
        -S || log "no DHCP lease on eth0"
}

install_tls() {
    mkdir -p "$TLS"
    for f in ca.pem server-cert.pem server-key.pem; do
        [ -s "$CONFIG/tls/$f" ] || return 1
        cp "$CONFIG/tls/$f" "$TLS/$f"
    done
    chmod 0600 "$TLS/server-key.pem"
}

boot() {
    log "booting $(uname -r)"
    load_modules
    read_config
    mount_data
    set_hostname
    network
    if install_tls; then
        log "tls material installed"
    else
        log "no tls material: dockerd serves its unix socket only"
    fi
    log "network up: $(ip -4 -o addr show eth0 | awk '{print $4}')"
}

run_dockerd() {
    set -- --data-root /var/lib/docker --storage-driver overlay2 \
        -H unix:///var/run/docker.sock
    if [ -s "$TLS/server-key.pem" ]; then
        set -- "$@" --tlsverify --tlscacert "$TLS/ca.pem" \
            --tlscert "$TLS/server-cert.pem" --tlskey "$TLS/server-key.pem" \
            -H tcp://0.0.0.0:2376
    fi
    if [ -s "$CONFIG/labels" ]; then
        while read -r label; do
            [ -n "$label" ] && set -- "$@" --label "$label"
        done <"$CONFIG/labels"
    fi
    log "starting dockerd"
    dockerd "$@" >>/var/log/dockerd.log 2>&1
    log "dockerd exited ($?): $(tail -n 3 /var/log/dockerd.log | tr '\n' ' ')"
    sleep 5 # busybox init starts it again
}

# udhcpc calls this script with the event as $1 and the lease in the
# environment.
dhcp_event() {
    case "$1" in
    deconfig)
        ip -4 addr flush dev "$interface"
        ;;
    bound | renew)
        ip -4 addr flush dev "$interface"
        ip addr add "$ip/${mask:-24}" dev "$interface"
        ip route del default 2>/dev/null
        for r in $router; do
            ip route add default via "$r" dev "$interface"
            break
        done
        : >/etc/resolv.conf
        for s in $dns; do
            echo "nameserver $s" >>/etc/resolv.conf
        done
        log "lease $ip on $interface"
        ;;
    esac
}

case "$1" in
stage2) stage2 ;;
boot) boot ;;
dockerd) run_dockerd ;;
deconfig | bound | renew | leasefail | nak) dhcp_event "$1" ;;
*)
    # The kernel passes unknown boot parameters on to init as arguments.
    if [ "$$" = 1 ]; then stage1; fi
    log "unknown role '$1'"
    ;;
esac
