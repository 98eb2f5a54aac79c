#!/usr/bin/env bash
# Builds the portal's Azure App Service artifact (Linux, Node stack):
#
#   .github/scripts/build_portal_artifact.sh dist/portal    # -> dist/portal/ and dist/portal.zip
#
# App Service has no Deno stack, so the artifact carries Deno itself: the native binary of the npm
# package `deno` (same version as .deno-version), in bin/deno. The Node stack is only the host
# that runs the startup command `bash startup.sh`; no `npm install` or Oryx build happens on
# deploy (SCM_DO_BUILD_DURING_DEPLOYMENT=false). Also inside: deno.json/deno.lock, lib/, portal/
# with its built static assets, and node_modules/ from `deno install --frozen` for the portal's
# module graph only, so the app downloads nothing at start.
#
# PORTAL_DENO_BINARY=/path/to/deno skips the npm download (it must be the pinned version).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
[ $# -eq 1 ] || { echo "usage: $0 <output folder>" >&2; exit 2; }
out=$(realpath -m "$1")
version=$(tr -d '[:space:]' <"$root/.deno-version")
log() { printf '[portal-artifact] %s\n' "$*" >&2; }

rm -rf "$out" "$out.zip"
mkdir -p "$out/bin" "$out/services"
cd "$root"

# 1. Sources: the workspace root, lib/, portal/ (tests left out), and the workspace members'
#    deno.json files (the workspace must resolve; service code is not shipped).
cp deno.json deno.lock .deno-version "$out/"
tar --exclude='*_test.ts' --exclude='*_test.tsx' --exclude='portal/static/build' -cf - lib portal |
  tar -xf - -C "$out"
for member in services/*/deno.json; do
  mkdir -p "$out/$(dirname "$member")"
  cp "$member" "$out/$member"
done

# 2. Deno from npm (the native binary the package's postinstall puts in place).
if [ -n "${PORTAL_DENO_BINARY:-}" ]; then
  install -m 0755 "$PORTAL_DENO_BINARY" "$out/bin/deno"
else
  npm_dir=$(mktemp -d)
  trap 'rm -rf "$npm_dir"' EXIT
  log "npm install deno@$version"
  npm install --prefix "$npm_dir" --no-save --no-audit --no-fund "deno@$version" >/dev/null
  install -m 0755 "$npm_dir/node_modules/deno/deno" "$out/bin/deno"
fi
have=$("$out/bin/deno" --version | head -n1 | awk '{print $2}')
[ "$have" = "$version" ] || { log "bin/deno is $have, expected $version"; exit 1; }

# 3. Static assets and the portal's npm dependencies, with the shipped binary.
cd "$out"
export DENO_NO_UPDATE_CHECK=1 NO_COLOR=1
# node_modules/ first (deno.json's nodeModulesDir is "manual": nothing installs on its own): the
# portal's graph, the launch step, and the client bundle's packages for the asset build.
log "deno install --frozen (portal graph)"
bin/deno install --frozen --entrypoint portal/main.ts lib/launch/entry.ts lib/launch/main.ts \
  portal/build.ts portal/client.ts >/dev/null
log "building static assets"
bin/deno run --allow-read --allow-write=portal/static/build --allow-run --allow-env --allow-net \
  portal/build.ts >/dev/null

# 4. The App Service startup command.
cat >startup.sh <<'SH'
#!/usr/bin/env bash
# Azure App Service startup command: `bash startup.sh` (run in /home/site/wwwroot; App Service
# sets PORT). The portal runs through the launch step like every service: its permission flags
# come from its settings (the database host, the port, portal/static), never -A.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
export PATH="$PWD/bin:$PATH" DENO_NO_UPDATE_CHECK=1 NO_COLOR=1
export DENO_DIR=${DENO_DIR:-$PWD/.deno-cache}
# The launch step starts an embedded PostgreSQL when DATABASE_URL is unset; the portal's own
# PORTAL_DATABASE_URL (the read-only login) stands in for it.
if [ -z "${DATABASE_URL:-}" ] && [ -n "${PORTAL_DATABASE_URL:-}" ]; then
  export DATABASE_URL=$PORTAL_DATABASE_URL
fi
exec deno task -q launch portal
SH
chmod +x startup.sh

# 5. The zip azure/webapps-deploy uploads.
if command -v zip >/dev/null; then
  zip -qr "$out.zip" .
else
  python3 -c 'import shutil, sys; shutil.make_archive(sys.argv[1], "zip", sys.argv[2])' "$out" "$out"
fi
log "built $out ($(du -sh "$out" | cut -f1)) and $out.zip"
