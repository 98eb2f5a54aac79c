#!/usr/bin/env bash
# Starts a single-node SLURM cluster on this machine for the SLURM tests (slurm/slurm_test.ts):
# Debian's slurm-wlm + munge, no systemd, no accounting. Idempotent: a cluster that already
# answers is left alone; missing packages are installed from Debian; a node left DOWN is resumed.
# Needs root (or sudo). Exit 0 when `sinfo` shows the node ready, 1 otherwise.
#
#   slurm/testing/start_cluster.sh          # install if needed, configure, start, wait
#
# The configuration it writes (/etc/slurm/slurm.conf) carries a marker line; an existing
# slurm.conf without it belongs to someone else and is never overwritten.
set -euo pipefail

MARKER="# written by kalshi-data slurm/testing/start_cluster.sh"
CONF=/etc/slurm/slurm.conf
log() { printf '[slurm-cluster] %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

node_ready() {
  local state
  state=$(sinfo -h -o '%T' 2>/dev/null | head -n1) || return 1
  case "$state" in idle | mixed | allocated | completing) return 0 ;; *) return 1 ;; esac
}

# 1. Packages.
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  log "installing slurm-wlm and munge from Debian"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends slurm-wlm munge >/dev/null 2>&1 ||
    { as_root apt-get update >/dev/null && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends slurm-wlm munge >/dev/null; }
fi

# 2. munge (SLURM's authentication), as the munge user.
if ! (munge -n 2>/dev/null | unmunge >/dev/null 2>&1); then
  log "starting munged"
  [ -s /etc/munge/munge.key ] || as_root /usr/sbin/mungekey --create >/dev/null 2>&1 ||
    as_root sh -c 'dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null'
  as_root chown munge:munge /etc/munge/munge.key
  as_root chmod 400 /etc/munge/munge.key
  as_root mkdir -p /run/munge /var/log/munge /var/lib/munge
  as_root chown munge:munge /run/munge /var/log/munge /var/lib/munge
  as_root su munge -s /bin/sh -c /usr/sbin/munged
  for _ in $(seq 1 20); do (munge -n | unmunge >/dev/null 2>&1) && break; sleep 0.5; done
  (munge -n | unmunge >/dev/null 2>&1) || { log "munged did not start"; exit 1; }
fi

# 3. slurm.conf for this one node.
host=$(hostname -s)
if [ -f "$CONF" ] && ! grep -qF "$MARKER" "$CONF"; then
  log "$CONF exists and was not written by this script; refusing to replace it"
  exit 1
fi
node_line=$(slurmd -C | head -n1)
case "$node_line" in NodeName=*) ;; *) log "slurmd -C said: $node_line"; exit 1 ;; esac
# The jobs under test mostly wait on I/O: advertise 8 CPUs (config_overrides lets slurmd accept
# more than it counts) so an ingest job and a worker array fit on a 2-core machine at once.
mem=$(sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' <<<"$node_line")
node_line="NodeName=$host CPUs=8 RealMemory=${mem:-4096}"
want=$(
  cat <<CONF
$MARKER
ClusterName=kalshi-test
SlurmctldHost=$host
AuthType=auth/munge
SlurmUser=slurm
StateSaveLocation=/var/lib/slurm/slurmctld
SlurmdSpoolDir=/var/lib/slurm/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
JobRequeue=1
KillWait=30
# A requeued job may start again after cred_expire + 1 s (default 120 s): keep tests short.
AuthInfo=cred_expire=10
MinJobAge=600
SlurmdParameters=config_overrides
$node_line State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
CONF
)
if [ -f "$CONF" ] && [ "$(cat "$CONF")" = "$want" ] && node_ready; then
  log "already running: $(sinfo -h -o '%P %D %T' | head -n1)"
  exit 0
fi
if [ ! -f "$CONF" ] || [ "$(cat "$CONF")" != "$want" ]; then
  log "writing $CONF"
  as_root mkdir -p /etc/slurm
  printf '%s\n' "$want" | as_root tee "$CONF" >/dev/null
  # Some settings (cred_expire) are read at start only: restart whatever runs.
  for daemon in slurmctld slurmd; do
    if [ -f "/run/$daemon.pid" ] && as_root kill -0 "$(cat "/run/$daemon.pid")" 2>/dev/null; then
      log "restarting $daemon for the new configuration"
      pid=$(cat "/run/$daemon.pid")
      as_root kill -TERM "$pid"
      for _ in $(seq 1 40); do as_root kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    fi
  done
fi
as_root mkdir -p /var/lib/slurm/slurmctld /var/lib/slurm/slurmd /var/log/slurm
as_root chown slurm: /var/lib/slurm/slurmctld /var/log/slurm

# 4. Daemons (they fork into the background); restart whichever is not answering.
if ! scontrol ping 2>/dev/null | grep -q 'is UP'; then
  log "starting slurmctld"
  as_root slurmctld
  for _ in $(seq 1 30); do scontrol ping 2>/dev/null | grep -q 'is UP' && break; sleep 0.5; done
fi
if ! { [ -f /run/slurmd.pid ] && as_root kill -0 "$(cat /run/slurmd.pid)" 2>/dev/null; }; then
  log "starting slurmd"
  as_root slurmd
fi

# 5. Wait for the node; resume it if it came back DOWN (e.g. after an unclean stop).
for i in $(seq 1 60); do
  node_ready && break
  state=$(sinfo -h -o '%T' 2>/dev/null | head -n1 || true)
  case "$state" in down* | drain*) [ "$i" -gt 4 ] && as_root scontrol update NodeName="$host" State=RESUME 2>/dev/null || true ;; esac
  sleep 0.5
done
node_ready || { log "node not ready: $(sinfo -h -o '%T %E' 2>&1 | head -n1)"; exit 1; }
log "ready: $(sinfo -h -o '%P %D %T' | head -n1)"
