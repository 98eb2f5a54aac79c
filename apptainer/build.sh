#!/usr/bin/env bash
# Builds the image from the project root, unprivileged (--fakeroot), on a cluster login node or a
# GitHub runner:   apptainer/build.sh [kalshi.sif]
# Needs network access to Docker Hub (debian:12-slim), Debian's mirrors and the npm registry at
# build time only. Then: `apptainer test kalshi.sif` runs the %test smoke check. Behind a
# TLS-inspecting proxy, SSL_CERT_FILE names the CA bundle to trust: it is bound in for %post only
# (/mnt/kalshi-build/ca.pem, see kalshi.def) and not part of the image. On a machine without
# Apptainer or without a registry, apptainer/check.sh builds the same body in a Debian sid root.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=$(realpath -m "${1:-kalshi.sif}")
cd "$root"
command -v apptainer >/dev/null || { echo "apptainer not found (module load apptainer?)" >&2; exit 1; }
# Build in node-local scratch when the home folder is on a slow or quota-limited filesystem.
export APPTAINER_TMPDIR=${APPTAINER_TMPDIR:-${TMPDIR:-/tmp}}
args=(--force)
[ "$(id -u)" -eq 0 ] || args+=(--fakeroot)
if [ -n "${SSL_CERT_FILE:-}" ] && [ -r "$SSL_CERT_FILE" ]; then
  site=$(mktemp -d "$APPTAINER_TMPDIR/kalshi-build-site.XXXXXX")
  trap 'rm -rf "$site"' EXIT
  mkdir "$site/kalshi-build" && cp "$SSL_CERT_FILE" "$site/kalshi-build/ca.pem"
  args+=(--bind "$site:/mnt")
fi
apptainer build "${args[@]}" "$out" apptainer/kalshi.def
