#!/usr/bin/env bash
# The whole stack from the image with no network but loopback. apptainer/check.sh runs it in the
# sid root, in a network namespace of its own, as the unprivileged build account; it works the same
# on any machine with Apptainer (`unshare -rn` or `ip netns exec` gives the namespace):
#
#   apptainer/testing/offline_run.sh kalshi.sif [RESULT_FILE]
#
# The image's `postgres` app as an Apptainer instance (the machine's PostgreSQL is not reachable
# from the namespace), then `apptainer run --app` migrator, sim, rest_service, worker_service,
# ws_service and portal. Passes when rows land (markets from discovery, live capture, succeeded
# backfill jobs), every service and the portal answer /healthz, the portal serves its overview and
# its built assets, every app stops cleanly on TERM (exit 0), and no log mentions an attempt to
# reach the network. Prints each app's cold start (command to ready) and writes them, one
# `name seconds` per line, to RESULT_FILE when given.
set -euo pipefail
sif=$(realpath "${1:?usage: offline_run.sh IMAGE [RESULT_FILE]}")
result=${2:-}
work=$(mktemp -d "${TMPDIR:-/tmp}/kalshi-offline.XXXXXX")
data=$work/data
logs=$data/logs
mkdir -p "$logs"
instance=kalshi-offline-$$
declare -A pid=() cold=()
order=()

log() { printf '[offline] %s\n' "$*" >&2; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
cleanup() {
  local name
  for name in "${!pid[@]}"; do kill -KILL "${pid[$name]}" 2>/dev/null || true; done
  apptainer instance stop "$instance" >/dev/null 2>&1 || true
}
trap cleanup EXIT
fail() {
  local f
  log "FAILED: $*"
  for f in "$logs"/*.log; do
    [ -e "$f" ] || continue
    log "--- last lines of $f"
    tail -n 15 "$f" >&2
  done
  exit 1
}
# wait_until WHAT SECONDS CMD...: polls CMD every 0.2 s.
wait_until() {
  local what=$1 limit=$2 deadline
  shift 2
  deadline=$(awk -v a="$(now)" -v l="$limit" 'BEGIN { printf "%.3f", a + l }') # print would say 1.76e+09
  until "$@"; do
    awk -v d="$deadline" -v n="$(now)" 'BEGIN { exit !(n > d) }' && fail "$what: not within $limit s"
    sleep 0.2
  done
}
healthy() { curl -fsS -m 2 -o /dev/null "http://127.0.0.1:$1/healthz" 2>/dev/null; }
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
alive() { kill -0 "${pid[$1]}" 2>/dev/null || fail "$1 exited early"; }
# start NAME [ARGS]: `apptainer run --app NAME` in the background, its output in $logs/NAME.log.
start() {
  local name=$1
  shift
  apptainer run --bind "$data" --app "$name" "$sif" "$@" >>"$logs/$name.log" 2>&1 &
  pid[$name]=$!
  order+=("$name")
}
sql() { psql "$DATABASE_URL" -XAtqc "$1" 2>>"$logs/psql.log"; }
positive() { [ "$(sql "$1" || echo 0)" -gt 0 ] 2>/dev/null; }

# 0. The namespace: loopback only, and nothing outside answers.
links=$(ip -o link show | awk -F': ' '{ print $2 }' | tr '\n' ' ')
[ "$links" = "lo " ] || fail "expected a network namespace with only loopback, found: $links"
if curl -s -m 3 -o /dev/null http://deb.debian.org/; then fail "deb.debian.org is reachable: not an offline namespace"; fi
log "network namespace: interfaces $links(no route out)"

# 1. The node-local PostgreSQL: the image's own postgres app, as an instance.
export KALSHI_PG_DATA=$data/postgres KALSHI_PG_URL_FILE=$data/postgres.url
export KALSHI_PG_LOG_FILE=$logs/postgres.log
t=$(now)
apptainer instance start --bind "$data" "$sif" "$instance" >>"$logs/instance.log" 2>&1 ||
  fail "apptainer instance start failed"
wait_until "postgres (instance $instance) writing $KALSHI_PG_URL_FILE" 300 test -s "$KALSHI_PG_URL_FILE"
cold[postgres]=$(since "$t")
DATABASE_URL=$(cat "$KALSHI_PG_URL_FILE")
export DATABASE_URL
log "postgres ready in ${cold[postgres]} s"

# 2. The migrator, to completion.
t=$(now)
apptainer run --bind "$data" --app migrator "$sif" >>"$logs/migrator.log" 2>&1 || fail "migrator exited $?"
cold[migrator]=$(since "$t")
log "migrator done in ${cold[migrator]} s: $(sql 'SELECT count(*) FROM schema_migrations') migrations applied"

# 3. The simulator, and every service pointed at it.
sim_port=8787
t=$(now)
SIM_SPEED=60 start sim --port "$sim_port" --markets 8
wait_until "sim listening on $sim_port" 300 eval 'alive sim && listening $sim_port'
cold[sim]=$(since "$t")
export KALSHI_REST_URL="http://127.0.0.1:$sim_port/trade-api/v2"
export KALSHI_WS_URL="ws://127.0.0.1:$sim_port/trade-api/ws/v2"
export WS_SPOOL_DIR=$data/spool/ws WS_REFRESH_MS=1000 WORKER_POLL_MS=1000
export METRICS_HOST=127.0.0.1 SHUTDOWN_TIMEOUT_MS=20000 LOG_LEVEL=info
# One at a time, so that each cold start (command to /healthz) is its own on a shared machine.
port=9400
for name in rest_service worker_service ws_service; do
  t=$(now)
  METRICS_PORT=$port start "$name"
  wait_until "$name answering /healthz on $port" 300 eval "alive $name && healthy $port"
  cold[$name]=$(since "$t")
  port=$((port + 1))
done
portal_port=8000
t=$(now)
PORT=$portal_port PORTAL_HOSTNAME=127.0.0.1 start portal
wait_until "portal answering /healthz on $portal_port" 300 eval "alive portal && healthy $portal_port"
cold[portal]=$(since "$t")
log "services healthy: $(for n in rest_service worker_service ws_service portal; do printf '%s %s s; ' "$n" "${cold[$n]}"; done)"

# 4. Rows land.
wait_until "markets from rest_service" 300 positive "SELECT count(*) FROM markets"
wait_until "live capture from ws_service" 300 positive \
  "SELECT (SELECT count(*) FROM ticks) + (SELECT count(*) FROM market_lifecycle) + (SELECT count(*) FROM trades WHERE source = 'ws')"
wait_until "succeeded backfill jobs from worker_service" 300 positive \
  "SELECT count(*) FROM backfill_jobs WHERE state = 'succeeded'"
rows=$(sql "SELECT format('markets %s, ticks %s, trades %s, candles %s, backfill jobs succeeded %s',
  (SELECT count(*) FROM markets), (SELECT count(*) FROM ticks), (SELECT count(*) FROM trades),
  (SELECT count(*) FROM candles), (SELECT count(*) FROM backfill_jobs WHERE state = 'succeeded'))")
log "rows: $rows"

# 5. The portal: healthy, ready, its overview from the database, its built assets from the image.
curl -fsS -m 5 -o /dev/null "http://127.0.0.1:$portal_port/readyz" || fail "portal /readyz"
overview=$(curl -fsS -m 10 "http://127.0.0.1:$portal_port/api/overview") || fail "portal /api/overview"
curl -fsS -m 10 "http://127.0.0.1:$portal_port/" >"$work/index.html" || fail "portal /"
mapfile -t assets < <(grep -o '/static/build/[A-Za-z0-9._-]*' "$work/index.html" | sort -u)
[ ${#assets[@]} -gt 0 ] || fail "portal / names no built asset (/static/build/...): $(head -c 400 "$work/index.html")"
for asset in "${assets[@]}"; do
  curl -fsS -m 10 -o /dev/null "http://127.0.0.1:$portal_port$asset" || fail "portal $asset"
done
log "portal: /healthz /readyz / ${assets[*]} answer; /api/overview: $(printf '%s' "$overview" | cut -c1-160)"

# 6. TERM stops every app cleanly (portal and services first, the simulator last), then the
# database instance.
for name in portal ws_service worker_service rest_service sim; do
  kill -TERM "${pid[$name]}"
  rc=0
  wait "${pid[$name]}" || rc=$?
  unset "pid[$name]"
  [ "$rc" -eq 0 ] || fail "$name exited $rc on TERM"
done
apptainer instance stop --timeout 60 "$instance" >>"$logs/instance.log" 2>&1 || fail "apptainer instance stop"
grep -q '"message":"stopped"' "$logs/postgres.log" || fail "postgres logged no clean stop"
log "every app stopped cleanly on TERM (exit 0); postgres instance stopped"

# 7. Nothing tried to reach the network (the namespace would refuse it; the logs would say so).
if grep -l -i -E 'network is unreachable|ENETUNREACH|dns error|failed to lookup address|Temporary failure in name resolution|registry\.npmjs\.org|deno\.land|jsr\.io' "$logs"/*.log; then
  fail "a log above mentions a network attempt"
fi
log "no network attempt in any log"

{
  for name in postgres migrator sim rest_service worker_service ws_service portal; do
    printf '%s %s\n' "$name" "${cold[$name]}"
  done
} >"${result:-/dev/null}"
log "cold starts (s): $(for n in postgres migrator sim rest_service worker_service ws_service portal; do printf '%s %s, ' "$n" "${cold[$n]}"; done)"
rm -rf "$work"
log "passed"
