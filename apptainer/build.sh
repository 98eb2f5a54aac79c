#!/usr/bin/env bash
# Builds the image from the project root, unprivileged (--fakeroot), on a cluster login node or a
# GitHub runner:   apptainer/build.sh [kalshi.sif]
# Needs network access to Docker Hub (debian:12-slim), Debian's mirrors and the npm registry at
# build time only. Then: `apptainer test kalshi.sif` runs the %test smoke check.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=$(realpath -m "${1:-kalshi.sif}")
cd "$root"
command -v apptainer >/dev/null || { echo "apptainer not found (module load apptainer?)" >&2; exit 1; }
# Build in node-local scratch when the home folder is on a slow or quota-limited filesystem.
export APPTAINER_TMPDIR=${APPTAINER_TMPDIR:-${TMPDIR:-/tmp}}
args=(--force)
[ "$(id -u)" -eq 0 ] || args+=(--fakeroot)
exec apptainer build "${args[@]}" "$out" apptainer/kalshi.def
