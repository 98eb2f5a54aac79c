#!/usr/bin/env bash
# The Debian sid root in which apptainer/check.sh builds and runs the image on a machine without
# Apptainer (Debian 12 has none; sid packages Apptainer 1.4): a root filesystem made with
# debootstrap, holding apptainer, uidmap, squashfuse, debootstrap, SLURM (slurm-wlm, munge) and the
# unprivileged account that builds and runs (kalshi-build, with /etc/subuid and /etc/subgid).
# Needs root (or sudo).
#
#   apptainer/sidroot.sh prepare ROOT              # make ROOT once (idempotent; ~2 min)
#   apptainer/sidroot.sh enter [OPTIONS] ROOT CMD  # run CMD as root with ROOT as /
#       --net        a new network namespace with only loopback (nothing else is reachable)
#       --hostname H a new UTS namespace named H
#       --bind SRC:DST[:ro]   SRC of the host at DST inside ROOT
#
# `enter` makes ROOT the root of a new mount namespace (bind-mount, pivot_root) rather than a
# chroot: inside a chroot the kernel refuses user namespaces, which `apptainer build --fakeroot`
# and every unprivileged `apptainer run` need. CMD runs in a new PID namespace: whatever it leaves
# running (daemons, instances) ends with it. /dev is a fresh tmpfs with the usual nodes and
# /dev/fuse readable by everyone (squashfuse mounts the image); /tmp and /run are fresh tmpfs, so
# nothing of one entry (daemons' pid files, sockets) is seen by the next.
set -euo pipefail

BUILD_USER=kalshi-build
BUILD_UID=4242
PACKAGES=(apptainer uidmap squashfuse debootstrap ca-certificates procps iproute2 curl
  postgresql-client slurm-wlm munge)
MIRROR=${KALSHI_DEBIAN_MIRROR:-http://deb.debian.org/debian}
HOSTNAME_IN_ROOT=kalshi-node

log() { printf '[sidroot] %s\n' "$*" >&2; }
die() {
  log "$*"
  exit 1
}
[ "$(id -u)" -eq 0 ] || die "needs root: run it with sudo"

# enter [--net] [--hostname H] [--bind SRC:DST[:ro]]... ROOT CMD...
enter() {
  local net=0 host="" binds=() ns=(-m --propagation private -p -f --kill-child)
  while [ $# -gt 0 ]; do
    case "$1" in
      --net) net=1 ns+=(-n) && shift ;;
      --hostname) host=$2 ns+=(-u) && shift 2 ;;
      --bind) binds+=("$2") && shift 2 ;;
      *) break ;;
    esac
  done
  local root=$1
  shift
  [ -f "$root/.kalshi-prepared" ] || [ "${KALSHI_SIDROOT_PREPARING:-}" = "$root" ] ||
    die "$root is not a prepared root (apptainer/sidroot.sh prepare $root)"
  # shellcheck disable=SC2016 # expanded by the inner shell
  unshare "${ns[@]}" bash -c '
    set -euo pipefail
    root=$1 net=$2 host=$3 nbinds=$4
    shift 4
    mount --bind "$root" "$root"
    mount -t proc proc "$root/proc"
    mount --rbind /sys "$root/sys"
    mount -t tmpfs -o mode=0755,nosuid tmpfs "$root/dev"
    for node in null:1:3 zero:1:5 full:1:7 random:1:8 urandom:1:9 tty:5:0 fuse:10:229; do
      IFS=: read -r name major minor <<<"$node"
      mknod -m 0666 "$root/dev/$name" c "$major" "$minor"
    done
    mkdir "$root/dev/pts" "$root/dev/shm"
    mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts "$root/dev/pts"
    ln -s pts/ptmx "$root/dev/ptmx"
    mount -t tmpfs -o mode=1777 tmpfs "$root/dev/shm"
    ln -s /proc/self/fd "$root/dev/fd"
    for i in 0:stdin 1:stdout 2:stderr; do ln -s "/proc/self/fd/${i%%:*}" "$root/dev/${i#*:}"; done
    mount -t tmpfs -o mode=1777 tmpfs "$root/tmp"
    mount -t tmpfs -o mode=0755 tmpfs "$root/run"
    for ((i = 0; i < nbinds; i++)); do
      IFS=: read -r src dst opt <<<"$1"
      shift
      if [ -d "$src" ]; then mkdir -p "$root$dst"; else mkdir -p "$(dirname "$root$dst")" && touch "$root$dst"; fi
      mount --bind "$src" "$root$dst"
      [ "$opt" != ro ] || mount -o remount,bind,ro "$root$dst"
    done
    cd "$root"
    mkdir -p .oldroot
    pivot_root . .oldroot
    umount -l /.oldroot
    cd /
    [ "$net" = 0 ] || ip link set lo up
    [ -z "$host" ] || echo "$host" >/proc/sys/kernel/hostname
    # This shell stays PID 1 and reaps what is orphaned (an Apptainer instance stopped by
    # `apptainer instance stop` is gone only once reaped), and hands TERM/INT on to CMD.
    "$@" <&0 &
    child=$!
    trap "kill -TERM $child 2>/dev/null" TERM INT
    while :; do
      rc=0
      wait "$child" || rc=$?
      kill -0 "$child" 2>/dev/null || break
    done
    exit "$rc"' _ "$root" "$net" "$host" "${#binds[@]}" "${binds[@]}" "$@"
}

# The host's apt settings the root and the image build must share: a mirror snapshot whose Release
# files are past their Valid-Until date is usable only when the host says so too.
host_apt_conf() {
  local dump
  dump=$(apt-config dump 2>/dev/null || true)
  if grep -qi '^Acquire::Check-Valid-Until "false"' <<<"$dump"; then
    echo 'Acquire::Check-Valid-Until "false";'
  fi
}

prepare() {
  local root=$1 tmp
  if [ -f "$root/.kalshi-prepared" ]; then
    log "reusing $root"
    return 0
  fi
  command -v debootstrap >/dev/null || {
    log "installing debootstrap on the host"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends debootstrap >/dev/null 2>&1 ||
      { apt-get update >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends debootstrap >/dev/null; } ||
      die "debootstrap is missing and could not be installed"
  }
  mkdir -p "$(dirname "$root")"
  tmp="$root.partial"
  rm -rf "$tmp"
  log "debootstrap sid into $tmp ($MIRROR)"
  debootstrap --variant=minbase sid "$tmp" "$MIRROR" >"$tmp.log" 2>&1 ||
    { tail -n 20 "$tmp.log" >&2; die "debootstrap sid failed (log: $tmp.log)"; }
  host_apt_conf >"$tmp/etc/apt/apt.conf.d/99kalshi-host"
  cp /etc/resolv.conf "$tmp/etc/resolv.conf"
  printf '127.0.0.1 localhost\n127.0.1.1 %s\n::1 localhost ip6-localhost ip6-loopback\n' \
    "$HOSTNAME_IN_ROOT" >"$tmp/etc/hosts"
  export KALSHI_SIDROOT_PREPARING=$tmp
  log "apt-get install ${PACKAGES[*]}"
  enter "$tmp" env DEBIAN_FRONTEND=noninteractive PATH=/usr/sbin:/usr/bin:/sbin:/bin bash -c '
    set -e
    apt-get update -q
    apt-get install -y -q --no-install-recommends "$@"
    apt-get clean
    rm -rf /var/lib/apt/lists/*' _ "${PACKAGES[@]}" >>"$tmp.log" 2>&1 ||
    { tail -n 20 "$tmp.log" >&2; die "apt-get install in the sid root failed (log: $tmp.log)"; }
  enter "$tmp" env PATH=/usr/sbin:/usr/bin:/sbin:/bin bash -c '
    set -e
    useradd --create-home --uid "$2" --user-group --shell /bin/bash "$1"
    chmod 0755 "/home/$1"
    echo "$1:200000:65536" >/etc/subuid
    echo "$1:200000:65536" >/etc/subgid' _ "$BUILD_USER" "$BUILD_UID" >>"$tmp.log" 2>&1 ||
    die "could not create $BUILD_USER in the sid root (log: $tmp.log)"
  log "$(enter "$tmp" apptainer --version 2>/dev/null), $(enter "$tmp" sh -c 'slurmctld -V' 2>/dev/null)"
  touch "$tmp/.kalshi-prepared"
  rm -rf "$root"
  mv "$tmp" "$root"
  mv "$tmp.log" "$root.log"
}

case "${1:-}" in
  prepare)
    [ $# -eq 2 ] || die "usage: sidroot.sh prepare ROOT"
    prepare "$2"
    ;;
  enter)
    shift
    enter "$@"
    ;;
  host-apt-conf) host_apt_conf ;;
  # What a root is made of (apptainer/check.sh keys its cache with it): changes to `enter` keep it.
  recipe)
    declare -p PACKAGES BUILD_USER BUILD_UID MIRROR HOSTNAME_IN_ROOT
    declare -f prepare host_apt_conf
    ;;
  *) die "usage: sidroot.sh prepare ROOT | enter [--net] [--hostname H] [--bind SRC:DST[:ro]] ROOT CMD..." ;;
esac
