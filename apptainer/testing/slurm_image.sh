#!/usr/bin/env bash
# slurm/slurm_test.ts with the real image (KALSHI_CONTAINER=apptainer): apptainer/check.sh runs it
# as root inside the sid root, in network, UTS and PID namespaces of its own, where sid's
# slurm-wlm and munge make a single-node cluster (slurm/testing/start_cluster.sh) that can start
# Apptainer (the host's SLURM cannot: Apptainer lives in the sid root). The jobs run as the
# unprivileged build account; the database the test's external-database case uses is the image's
# own postgres app as an instance (nothing else is reachable from the namespace).
#
#   slurm_image.sh IMAGE PROJECT USER     # PROJECT: the checkout with node_modules (read-only)
set -euo pipefail
sif=${1:?usage: slurm_image.sh IMAGE PROJECT USER}
project=${2:?usage: slurm_image.sh IMAGE PROJECT USER}
user=${3:?usage: slurm_image.sh IMAGE PROJECT USER}
home=$(getent passwd "$user" | cut -d: -f6)
log() { printf '[slurm-image] %s\n' "$*" >&2; }

# SLURM resolves its host name with AI_ADDRCONFIG, which counts no loopback address: the node gets
# an address of its own on lo (still no other interface, no route out).
ip addr add 10.77.0.1/32 dev lo
printf '127.0.0.1 localhost\n10.77.0.1 %s\n' "$(hostname)" >/tmp/hosts
mount --bind /tmp/hosts /etc/hosts
# Nothing of an earlier run: SLURM's and munge's state and logs on fresh tmpfs.
for dir in /var/lib/slurm /var/log/slurm /var/spool/slurmd /var/lib/munge /var/log/munge; do
  mkdir -p "$dir" && mount -t tmpfs -o mode=0755 tmpfs "$dir"
done
chown munge:munge /var/lib/munge /var/log/munge
rm -rf "$home/.apptainer/instances"
"$project/slurm/testing/start_cluster.sh"
log "$(sinfo -V): $(sinfo -h -o '%P %D %T %c CPUs' | head -n1)"

# as_user VAR=VALUE... CMD...: CMD as the build account, with only what it needs in its environment.
as_user() {
  runuser -u "$user" -- env -i HOME="$home" USER="$user" LOGNAME="$user" LANG=C.UTF-8 \
    PATH=/opt/deno:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin NO_COLOR=1 DENO_NO_UPDATE_CHECK=1 "$@"
}

# The external database of the first test case: the image's postgres app.
db=$(as_user mktemp -d /tmp/kalshi-test-db.XXXXXX)
as_user KALSHI_PG_DATA="$db/data" KALSHI_PG_URL_FILE="$db/url" KALSHI_PG_LOG_FILE="$db/postgres.log" \
  apptainer instance start --bind "$db" "$sif" kalshi-test-db >"$db/instance.log" 2>&1 ||
  { cat "$db/instance.log" >&2; exit 1; }
for _ in $(seq 1 240); do [ -s "$db/url" ] && break; sleep 0.5; done
[ -s "$db/url" ] || { log "the test database did not start"; tail -n 20 "$db/postgres.log" >&2; exit 1; }

rc=0
as_user TEST_DATABASE_URL="$(cat "$db/url")" KALSHI_TEST_IMAGE="$sif" KALSHI_STRICT_TESTS=1 \
  DENO_DIR=/tmp/kalshi-slurm-deno bash -c 'cd "$1" && exec deno test --no-check --allow-net \
    --allow-read --allow-write --allow-env --allow-run --allow-sys slurm/slurm_test.ts' _ "$project" ||
  rc=$?
as_user apptainer instance stop kalshi-test-db >/dev/null 2>&1 || true
if [ "$rc" -ne 0 ]; then
  # The namespace's /tmp goes with it: keep the failed jobs' files where the image is.
  kept=$home/image/slurm-failed
  rm -rf "$kept" && mkdir -p "$kept"
  cp -a /tmp/kalshi-slurm-* "$kept/" 2>/dev/null || true
  cp -a /var/log/slurm "$kept/slurm-logs" 2>/dev/null || true
  log "the jobs' files and SLURM's logs are kept in $kept (inside the root)"
fi
exit "$rc"
