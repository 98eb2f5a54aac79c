#!/usr/bin/env bash
# Builds the Apptainer image from apptainer/kalshi.def and runs it, on a machine without Apptainer
# of its own (Debian 12 has none): what CI (.ci/run) and contributors run. Needs root or sudo (it
# makes namespaces and a debootstrap root); the build needs Debian's mirror and the npm registry,
# the runs need no network at all.
#
#   apptainer/check.sh [build|run|all] [--def FILE]      # default: all
#
# build  root    the Debian sid build root (apptainer/sidroot.sh: apptainer, uidmap, squashfuse,
#                debootstrap, slurm-wlm, munge), cached
#        image   kalshi.sif, built by the unprivileged account of that root with
#                `apptainer build --fakeroot`, from the definition with only its bootstrap header
#                swapped (`Bootstrap: debootstrap`, bookworm, Debian's mirror: no container
#                registry is reachable here); %files, %post, %test and the apps are the same body
#                image.yml publishes. The host's CA bundle (SSL_CERT_FILE) and its apt settings are
#                bound in for %post only (/mnt/kalshi-build); a failing %post line is named.
#        test    `apptainer test`, and the host's CA bundle is nowhere in the image
# run    offline apptainer/testing/offline_run.sh in a network namespace with only loopback: the
#                image's postgres instance, migrator, sim, services and portal; rows land
#        slurm   apptainer/testing/slurm_image.sh: slurm/slurm_test.ts with
#                KALSHI_CONTAINER=apptainer on a single-node SLURM inside the sid root (TERM ->
#                clean stop; the time-limit warning -> requeue -> resume)
#
# Each step prints `[image] step NAME: N s` (`reused` when its cache hit). The cache
# ($KALSHI_IMAGE_CACHE, default $XDG_CACHE_HOME/kalshi-ci/apptainer, else
# /var/cache/kalshi-ci/apptainer) holds sid-KEY/, the root, keyed by the definition, deno.lock and
# the root's recipe (`sidroot.sh recipe`; a new key replaces the old root), and in it the image,
# reused while its inputs are unchanged (the definition, every %files source, the CA bundle, apt
# settings); `$cache/kalshi.sif` links to the last image built.
#
# --def FILE   build FILE (e.g. a copy of kalshi.def with a deliberate error) in the same root
# KALSHI_IMAGE_SQUASH  mksquashfs options of this build; default `-comp gzip -Xcompression-level 1`
#              (the published image's format at a fast level: ~10% larger, ~15x faster to make
#              here); `default` leaves Apptainer's (gzip, level 9), as image.yml does.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tree=$(dirname "$here")
if [ "$(id -u)" -ne 0 ]; then
  exec sudo --preserve-env=SSL_CERT_FILE,KALSHI_IMAGE_CACHE,KALSHI_IMAGE_SQUASH,XDG_CACHE_HOME,http_proxy,https_proxy,no_proxy "$0" "$@"
fi

what=all
def=$tree/apptainer/kalshi.def
while [ $# -gt 0 ]; do
  case "$1" in
    build | run | all) what=$1 && shift ;;
    --def) def=$(realpath "$2") && shift 2 ;;
    *) echo "usage: apptainer/check.sh [build|run|all] [--def FILE]" >&2 && exit 2 ;;
  esac
done
[ -f "$def" ] || { echo "no definition $def" >&2 && exit 2; }

USER_NAME=kalshi-build
USER_HOME=/home/$USER_NAME
cache=${KALSHI_IMAGE_CACHE:-${XDG_CACHE_HOME:+$XDG_CACHE_HOME/kalshi-ci/apptainer}}
cache=${cache:-/var/cache/kalshi-ci/apptainer}
squash=${KALSHI_IMAGE_SQUASH:--comp gzip -Xcompression-level 1}
key=$(cat "$tree/apptainer/kalshi.def" "$tree/deno.lock" <("$here/sidroot.sh" recipe) | sha256sum | cut -c1-16)
root=$cache/sid-$key
work=$root$USER_HOME/image # the same folder is $USER_HOME/image inside the root

log() { printf '[image] %s\n' "$*" >&2; }
die() {
  log "$*"
  exit 1
}
now() { date +%s.%N; }
step_begin() { step_name=$1 step_t0=$(now) step_note=""; }
step_end() {
  log "step $step_name: $(awk -v a="$step_t0" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }') s${step_note:+ ($step_note)}"
}
sidroot() { "$here/sidroot.sh" "$@"; }
# uid:gid of the build account (it exists in the root only).
owner() { awk -F: -v u="$USER_NAME" '$1 == u { print $3 ":" $4 }' "$root/etc/passwd"; }
# as_user [enter options] -- CMD...: CMD as the build account inside the root.
as_user() {
  local opts=()
  while [ "$1" != -- ]; do opts+=("$1") && shift; done
  shift
  sidroot enter "${opts[@]}" "$root" runuser -u "$USER_NAME" -- env -i HOME="$USER_HOME" \
    USER="$USER_NAME" LOGNAME="$USER_NAME" LANG=C.UTF-8 PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin \
    APPTAINER_TMPDIR=/tmp "$@"
}

# The sources %files copies (first word of each line of the section).
files_sources() {
  awk '/^%/ { section = $1; next } section == "%files" && NF && $1 !~ /^#/ { print $1 }' "$1"
}

# The definition with its bootstrap header (Bootstrap:/From: before the first section) replaced.
swap_header() {
  awk 'BEGIN { header = 1 }
    /^%/ { header = 0 }
    header && /^(Bootstrap|From):/ {
      if (!done) {
        print "Bootstrap: debootstrap"
        print "OSVersion: bookworm"
        print "MirrorURL: http://deb.debian.org/debian"
        done = 1
      }
      next
    }
    { print }' "$1"
}

# Names the %post line a failed build stopped at: %post runs under `sh -e -x`, so the last traced
# command before Apptainer's FATAL line is the one that failed.
report_build_failure() {
  local build_log=$1 fatal cmd line
  fatal=$(grep -m1 '^FATAL' "$build_log" || true)
  cmd=$(awk '/^FATAL/ { exit } /^\+ / { last = $0 } END { print last }' "$build_log")
  cmd=${cmd#+ }
  # The line as written: the traced command itself, or followed by a comment (variables show
  # expanded in the trace, so a line with one is not found and the command is named instead).
  line=$(awk -v t="$cmd" '/^%/ { section = $1; next }
    section == "%post" {
      s = $0; sub(/^[ \t]+/, "", s); sub(/[ \t]+#.*$/, "", s); sub(/[ \t]+$/, "", s)
      if (s == t) { print NR; exit }
    }' "$def")
  tail -n 25 "$build_log" >&2
  log "build failed: ${fatal:-no FATAL line} (log: $build_log)"
  if [[ "$fatal" != *%post* ]]; then
    log "not in %post; last command traced: ${cmd:-none}"
  elif [ -n "$line" ]; then
    log "failing %post line: $def:$line: $(sed -n "${line}p" "$def" | sed 's/^[ \t]*//')"
  else
    log "failing %post command: $cmd"
  fi
}

# ── build ──────────────────────────────────────────────────────────────────────────────────────
build_root() {
  step_begin root
  if [ -f "$root/.kalshi-prepared" ]; then
    step_note="reused $root"
  else
    mkdir -p "$cache"
    local old
    for old in "$cache"/sid-*; do
      case "$old" in "$root" | "$root".*) continue ;; esac
      if [ -e "$old" ]; then
        log "removing the root of another key: $old"
        rm -rf "$old"
      fi
    done
    sidroot prepare "$root"
    step_note="made $root"
  fi
  step_end
}

build_image() {
  step_begin image
  local ctx=$work/context site=$work/site/kalshi-build sources=() inputs
  rm -rf "$ctx" "$work/site" "$work/kalshi.def"
  mkdir -p "$ctx" "$site"
  mapfile -t sources < <(files_sources "$def")
  [ ${#sources[@]} -gt 0 ] || die "$def has no %files"
  # Tracked and untracked-but-not-ignored files only (no node_modules, .data, built assets).
  git -C "$tree" ls-files -co --exclude-standard -z -- "${sources[@]}" |
    (cd "$tree" && while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done) |
    tar -C "$tree" --null -T - -cf - | tar -xf - -C "$ctx"
  swap_header "$def" >"$work/kalshi.def"
  if [ -n "${SSL_CERT_FILE:-}" ] && [ -r "$SSL_CERT_FILE" ]; then cp "$SSL_CERT_FILE" "$site/ca.pem"; fi
  sidroot host-apt-conf >"$site/apt.conf"
  [ -s "$site/apt.conf" ] || rm -f "$site/apt.conf"
  local args=()
  [ "$squash" = default ] || args+=(--mksquashfs-args "$squash")
  (
    cd "$work"
    find context site -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
    sha256sum kalshi.def
    printf 'mksquashfs %s\n' "${args[*]}"
  ) >"$work/inputs.new"
  inputs=$(sha256sum <"$work/inputs.new" | cut -c1-16)
  local sif=$work/kalshi-$inputs.sif
  if [ -f "$sif" ]; then
    step_note="reused $(basename "$sif"): inputs unchanged"
  else
    if [ -f "$work/inputs.txt" ]; then
      local changed
      changed=$(diff "$work/inputs.txt" "$work/inputs.new" | sed -n 's/^> [0-9a-f]*  //p')
      log "inputs changed since the last image: $(wc -l <<<"$changed") ($(head -n 5 <<<"$changed" | tr '\n' ' '))"
    fi
    rm -f "$work/kalshi.sif.partial"
    chown -R "$(owner)" "$work"
    log "building from $def (header swapped: debootstrap bookworm), log: $work/build.log"
    if ! as_user -- bash -c 'cd ~/image/context && exec apptainer build --fakeroot --force \
        --bind ~/image/site:/mnt "$@" ~/image/kalshi.sif.partial ~/image/kalshi.def' _ "${args[@]}" \
      >"$work/build.log" 2>&1; then
      report_build_failure "$work/build.log"
      step_end
      return 1
    fi
    rm -f "$work"/kalshi-*.sif
    mv "$work/kalshi.sif.partial" "$sif"
    mv "$work/inputs.new" "$work/inputs.txt"
    step_note="built"
  fi
  ln -sfn "$(basename "$sif")" "$work/kalshi.sif"
  ln -sfn "$sif" "$cache/kalshi.sif"
  log "image: $sif ($(du -m "$sif" | cut -f1) MB)"
  step_end
}

# The host's CA bundle: every certificate of it that Debian's bundle lacks is absent from the image.
check_ca_absent() {
  local site=$work/site/kalshi-build
  [ -f "$site/ca.pem" ] || { log "no host CA bundle (SSL_CERT_FILE unset): nothing to check" && return 0; }
  # One distinctive line (the 6th of base64) of each certificate of the host's bundle.
  awk '/BEGIN CERT/ { n = 0; next } { n++ } n == 6 { print }' "$site/ca.pem" >"$work/ca.lines"
  chown "$(owner)" "$work/ca.lines"
  as_user -- bash -c '
    set -euo pipefail
    sif=~/image/kalshi.sif lines=~/image/ca.lines
    [ -z "$(apptainer -q exec "$sif" ls -A /mnt)" ] || { echo "/mnt of the image is not empty"; exit 1; }
    apptainer -q exec "$sif" cat /etc/ssl/certs/ca-certificates.crt >/tmp/image-ca.pem
    grep -vxF -f <(grep -xF -f "$lines" /tmp/image-ca.pem) "$lines" >/tmp/host-only || true
    total=$(wc -l <"$lines") extra=$(wc -l </tmp/host-only)
    if [ "$extra" -gt 0 ] && apptainer -q exec "$sif" grep -rlF -f /tmp/host-only /etc /usr/local /opt /root 2>/dev/null; then
      echo "a certificate of the host bundle only is in the image (files above)"
      exit 1
    fi
    echo "host CA bundle: $total certificates, $extra not in Debian'"'"'s; none of those in the image; /mnt empty"'
}

test_image() {
  step_begin test
  as_user -- apptainer test "$USER_HOME/image/kalshi.sif" >"$work/test.log" 2>&1 ||
    { tail -n 30 "$work/test.log" >&2 && step_end && return 1; }
  log "$(grep -c '^ok ' "$work/test.log") apps planned without -A; $(tail -n1 "$work/test.log")"
  local said
  said=$(check_ca_absent 2>&1) || { log "$said" && step_end && return 1; }
  log "$said"
  step_end
}

# ── run ────────────────────────────────────────────────────────────────────────────────────────
need_image() {
  [ -f "$root/.kalshi-prepared" ] && [ -e "$work/kalshi.sif" ] ||
    die "no image in $root: run apptainer/check.sh build first"
  mkdir -p "$work/bin"
  cp "$here/testing/offline_run.sh" "$here/testing/slurm_image.sh" "$work/bin/"
  chown -R "$(owner)" "$work/bin"
}

run_offline() {
  step_begin offline
  as_user --net -- bash "$USER_HOME/image/bin/offline_run.sh" "$USER_HOME/image/kalshi.sif" \
    "$USER_HOME/image/cold-starts.txt" || { step_end && return 1; }
  step_end
}

run_slurm() {
  step_begin slurm
  local deno_bin
  deno_bin=$(readlink -f "$(command -v deno)") || die "deno is not on PATH (the SLURM test runs with it)"
  if [ ! -d "$tree/node_modules" ]; then
    log "installing node_modules for the test (deno task install)"
    (cd "$tree" && deno task install >/dev/null) || die "deno task install failed"
  fi
  # The test and the batch scripts run from the snapshot the image was built from (its build
  # context), with the checkout's node_modules: a tree others edit meanwhile cannot disagree with
  # the image (a migration added since, say).
  local ctx=$USER_HOME/image/context
  [ -d "$root$ctx/slurm" ] || die "no build context in $root$ctx: run apptainer/check.sh build first"
  sidroot enter --net --hostname kalshi-node --bind "$tree/node_modules:$ctx/node_modules:ro" \
    --bind "$deno_bin:/opt/deno/deno:ro" \
    "$root" bash "$USER_HOME/image/bin/slurm_image.sh" "$USER_HOME/image/kalshi.sif" "$ctx" "$USER_NAME" ||
    { step_end && return 1; }
  step_end
}

rc=0
if [ "$what" != run ]; then
  build_root
  build_image || exit 1
  test_image || rc=1
fi
if [ "$what" != build ] && [ $rc -eq 0 ]; then
  need_image
  run_offline || rc=1
  run_slurm || rc=1
fi
[ $rc -eq 0 ] && log "passed ($what)" || log "FAILED ($what)"
exit $rc
