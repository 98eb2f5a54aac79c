#!/usr/bin/env bash
# The one command behind every app of the image (`apptainer run --app <name> kalshi.sif`), its
# %startscript (the node-local PostgreSQL instance), and every SLURM job step when the scripts run
# without the container (KALSHI_CONTAINER=none). The permission flags are not here: each service
# runs through the launch step (`deno task launch <name>`, flags in deno.json), which derives the
# child's least-privilege flags from the service's own settings.
#
#   apptainer/app.sh <registered command> [args]   # migrator, rest_service, ws_service, ...
#   apptainer/app.sh postgres                      # node-local PostgreSQL (slurm/postgres.ts)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
app=${1:-}
[ -n "$app" ] || { echo "usage: app.sh <app> [args]  (an app of the image, e.g. ws_service)" >&2; exit 2; }
shift
cd "$root"
export DENO_NO_UPDATE_CHECK=1 NO_COLOR=1
case "$app" in
  postgres)
    data=${KALSHI_PG_DATA:?KALSHI_PG_DATA must name the PostgreSQL data directory}
    url_file=${KALSHI_PG_URL_FILE:?KALSHI_PG_URL_FILE must name the file that receives the URL}
    # As an instance's %startscript, the output would go to Apptainer's own instance log files;
    # KALSHI_PG_LOG_FILE appends it where the job keeps its logs instead.
    if [ -n "${KALSHI_PG_LOG_FILE:-}" ]; then exec >>"$KALSHI_PG_LOG_FILE" 2>&1; fi
    # embedded-postgres runs initdb/pg_ctl/postgres (and, as root, runs them as the postgres user).
    exec deno run --no-prompt --config="$root/deno.json" \
      --allow-env --allow-sys --allow-run --allow-net=127.0.0.1 --allow-read \
      --allow-write="$data,$url_file,${TMPDIR:-/tmp}" \
      "$root/slurm/postgres.ts" "$@"
    ;;
  *)
    exec deno task -q --config="$root/deno.json" launch "$app" "$@"
    ;;
esac
