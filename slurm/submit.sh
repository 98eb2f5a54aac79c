#!/usr/bin/env bash
# Submits a job with the scheduler settings of slurm/site.env (or $KALSHI_SITE_ENV):
#
#   slurm/submit.sh ingest [sbatch options]
#   slurm/submit.sh workers [sbatch options, e.g. --array=0-7 --dependency=after:<ingest job>]
#   slurm/submit.sh export [sbatch options]   (the Parquet archive; resubmits itself, see the script)
#
# Prints the job id. Options given here win over site.env and over the scripts' #SBATCH lines.
set -euo pipefail
home=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
kind=${1:-}
case "$kind" in
  ingest | workers | export) shift ;;
  *) echo "usage: slurm/submit.sh ingest|workers|export [sbatch options]" >&2; exit 2 ;;
esac
site=${KALSHI_SITE_ENV:-$home/slurm/site.env}
[ -f "$site" ] || { echo "no $site: copy slurm/site.env.example to slurm/site.env and edit it" >&2; exit 1; }
set -a
# shellcheck source=/dev/null
. "$site"
set +a
args=(--parsable --chdir="$home" --export="ALL,KALSHI_HOME=$home,KALSHI_SITE_ENV=$site")
[ -n "${KALSHI_ACCOUNT:-}" ] && args+=("--account=$KALSHI_ACCOUNT")
[ -n "${KALSHI_PARTITION:-}" ] && args+=("--partition=$KALSHI_PARTITION")
[ -n "${KALSHI_TIME:-}" ] && args+=("--time=$KALSHI_TIME")
[ -n "${KALSHI_DATA_DIR:-}" ] && mkdir -p "$KALSHI_DATA_DIR/logs" &&
  args+=("--output=$KALSHI_DATA_DIR/logs/kalshi-$kind-%j.out")
# shellcheck disable=SC2206 # a list of options
[ -n "${KALSHI_SBATCH_ARGS:-}" ] && args+=($KALSHI_SBATCH_ARGS)
exec sbatch "${args[@]}" "$@" "$home/slurm/$kind.sbatch"
