# shellcheck shell=bash
# Shared by slurm/ingest.sbatch and slurm/workers.sbatch (sourced, not run): site settings, the
# command of one app (inside the Apptainer image, or the same command without it), job steps,
# the node-local PostgreSQL, and the stop/requeue protocol.
#
# Stop protocol. The batch scripts ask for `--signal=B:USR1@<seconds>`: before the time limit SLURM
# sends USR1 to this shell, which sends TERM to every service step (each flushes its buffers and
# releases its leases within SHUTDOWN_TIMEOUT_MS), then stops the simulator and the database, and
# requeues the job; the next allocation resumes from ingest_state. `scancel --signal=TERM <job>`
# signals every step at once: the services stop cleanly and the job ends without a requeue. A
# service that exits on its own stops the others and ends the job with its exit code.

KALSHI_STOP=0
KALSHI_REQUEUE=0
KALSHI_STOP_REASON=""
declare -A KALSHI_STEP_PID=()
declare -a KALSHI_STEP_ORDER=()

_kalshi_json() { # escapes a string for a JSON value
  local s=${1//\\/\\\\}
  s=${s//\"/\\\"}
  s=${s//$'\n'/\\n}
  printf '"%s"' "$s"
}

# kalshi_log LEVEL MESSAGE [key value]...: one JSON line on stderr, like every service's log.
kalshi_log() {
  local level=$1 message=$2 line
  shift 2
  line=$(printf '{"time":"%s","level":"%s","service":%s,"message":%s' \
    "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)" "$level" "$(_kalshi_json "${KALSHI_JOB_KIND:-slurm}")" \
    "$(_kalshi_json "$message")")
  line+=",\"job\":$(_kalshi_json "${SLURM_JOB_ID:-}"),\"restart\":${SLURM_RESTART_COUNT:-0}"
  while [ $# -ge 2 ]; do
    line+=",$(_kalshi_json "$1"):$(_kalshi_json "$2")"
    shift 2
  done
  printf '%s}\n' "$line" >&2
}

kalshi_fail() {
  kalshi_log error "$1"
  exit "${2:-1}"
}

# kalshi_init KIND: loads the site settings and checks them. KIND names the job in the logs.
kalshi_init() {
  KALSHI_JOB_KIND=$1
  local file=${KALSHI_SITE_ENV:-$KALSHI_HOME/slurm/site.env}
  [ -f "$file" ] || kalshi_fail "site settings $file not found: copy slurm/site.env.example to slurm/site.env and edit it (or set KALSHI_SITE_ENV)"
  set -a
  # shellcheck source=/dev/null
  . "$file"
  set +a
  KALSHI_CONTAINER=${KALSHI_CONTAINER:-apptainer}
  KALSHI_POSTGRES=${KALSHI_POSTGRES:-external}
  : "${KALSHI_DATA_DIR:?KALSHI_DATA_DIR must name a persistent folder (logs, node-local PostgreSQL data)}"
  KALSHI_LOG_DIR=${KALSHI_LOG_DIR:-$KALSHI_DATA_DIR/logs}
  SHUTDOWN_TIMEOUT_MS=${SHUTDOWN_TIMEOUT_MS:-30000}
  export KALSHI_CONTAINER KALSHI_POSTGRES KALSHI_DATA_DIR KALSHI_LOG_DIR SHUTDOWN_TIMEOUT_MS
  mkdir -p "$KALSHI_DATA_DIR" "$KALSHI_LOG_DIR"
  case "$KALSHI_CONTAINER" in
    apptainer)
      : "${KALSHI_IMAGE:?KALSHI_IMAGE must name the image (kalshi.sif) when KALSHI_CONTAINER=apptainer}"
      [ -f "$KALSHI_IMAGE" ] || kalshi_fail "KALSHI_IMAGE=$KALSHI_IMAGE does not exist"
      command -v "${APPTAINER:-apptainer}" >/dev/null ||
        kalshi_fail "apptainer is not on PATH (module load apptainer?), or set KALSHI_CONTAINER=none"
      ;;
    none)
      [ -x "$KALSHI_HOME/apptainer/app.sh" ] || kalshi_fail "KALSHI_HOME=$KALSHI_HOME holds no apptainer/app.sh"
      command -v deno >/dev/null || kalshi_fail "KALSHI_CONTAINER=none needs deno on PATH"
      ;;
    *) kalshi_fail "KALSHI_CONTAINER=$KALSHI_CONTAINER: expected apptainer or none" ;;
  esac
  case "$KALSHI_POSTGRES" in
    external) [ -n "${DATABASE_URL:-}" ] || kalshi_fail "KALSHI_POSTGRES=external needs DATABASE_URL" ;;
    instance) ;;
    *) kalshi_fail "KALSHI_POSTGRES=$KALSHI_POSTGRES: expected external or instance" ;;
  esac
  trap 'kalshi_on_signal USR1' USR1
  trap 'kalshi_on_signal TERM' TERM
  trap 'kalshi_on_signal INT' INT
  kalshi_log info "job starting" node "$(hostname -s)" container "$KALSHI_CONTAINER" postgres "$KALSHI_POSTGRES"
  [ "$KALSHI_CONTAINER" != apptainer ] || kalshi_unpack_image
}

# kalshi_unpack_image: every step and the database instance run from KALSHI_RUN_IMAGE. By default
# (KALSHI_APPTAINER_SANDBOX=1) that is the image unpacked once per allocation into node-local
# scratch (KALSHI_SCRATCH_DIR, else TMPDIR, else /tmp; ~0.5 GB, a few seconds), removed when the
# job script ends. Run straight from the SIF, an unprivileged Apptainer mounts it per step with a
# squashfuse process of that step, and SLURM signals it with the step: `scancel --signal=TERM`, a
# plain scancel or the time limit then takes the file system from under the services (SIGBUS)
# instead of letting them stop cleanly. KALSHI_APPTAINER_SANDBOX=0 runs the SIF itself (safe where
# a setuid Apptainer mounts images in the kernel, or where only the USR1 path ever stops jobs).
kalshi_unpack_image() {
  KALSHI_RUN_IMAGE=$KALSHI_IMAGE
  [ "${KALSHI_APPTAINER_SANDBOX:-1}" = 1 ] || return 0
  local scratch=${KALSHI_SCRATCH_DIR:-${TMPDIR:-/tmp}} t0=$SECONDS
  KALSHI_SANDBOX=$scratch/kalshi-image-${SLURM_JOB_ID:-$$}
  trap kalshi_remove_sandbox EXIT
  kalshi_remove_sandbox
  "${APPTAINER:-apptainer}" -q build --sandbox "$KALSHI_SANDBOX" "$KALSHI_IMAGE" \
    >>"$KALSHI_LOG_DIR/${SLURM_JOB_ID:-$$}-image.log" 2>&1 ||
    kalshi_fail "could not unpack $KALSHI_IMAGE into $KALSHI_SANDBOX (see $KALSHI_LOG_DIR/${SLURM_JOB_ID:-$$}-image.log; KALSHI_APPTAINER_SANDBOX=0 runs the SIF itself)"
  KALSHI_RUN_IMAGE=$KALSHI_SANDBOX
  kalshi_log info "image unpacked" dir "$KALSHI_SANDBOX" seconds "$((SECONDS - t0))"
}

kalshi_remove_sandbox() {
  [ -n "${KALSHI_SANDBOX:-}" ] && [ -d "$KALSHI_SANDBOX" ] || return 0
  chmod -R u+w "$KALSHI_SANDBOX" 2>/dev/null || true
  rm -rf "$KALSHI_SANDBOX"
}

kalshi_on_signal() {
  case "$1" in
    USR1)
      KALSHI_REQUEUE=1
      kalshi_log info "time limit near (USR1): stopping every service, then requeueing"
      ;;
    *) kalshi_log info "received $1: stopping every service" ;;
  esac
  KALSHI_STOP=1
  KALSHI_STOP_REASON=${KALSHI_STOP_REASON:-signal $1}
}

# kalshi_command APP [ARGS]: the command line of one app, with or without the container.
kalshi_command() {
  if [ "$KALSHI_CONTAINER" = apptainer ]; then
    local binds=("--bind" "$KALSHI_DATA_DIR")
    [ -n "${KALSHI_PRIVATE_KEY_PATH:-}" ] && binds+=("--bind" "$(dirname "$KALSHI_PRIVATE_KEY_PATH")")
    # shellcheck disable=SC2086 # KALSHI_APPTAINER_ARGS is a list of extra options
    printf '%s\0' "${APPTAINER:-apptainer}" run "${binds[@]}" ${KALSHI_APPTAINER_ARGS:-} --app "$1" "$KALSHI_RUN_IMAGE" "${@:2}"
  else
    printf '%s\0' "$KALSHI_HOME/apptainer/app.sh" "$@"
  fi
}

# kalshi_step NAME APP [ARGS]: starts APP as a job step named NAME in the background. Steps share
# the allocation (--overlap); each writes its JSON log to $KALSHI_LOG_DIR/<job>-<NAME>.log.
kalshi_step() {
  local name=$1 cmd=()
  shift
  mapfile -d '' cmd < <(kalshi_command "$@")
  srun --overlap --nodes=1 --ntasks=1 --kill-on-bad-exit=0 --job-name="$name" \
    --output="$KALSHI_LOG_DIR/${SLURM_JOB_ID}-${name}.log" --open-mode=append \
    "${cmd[@]}" &
  KALSHI_STEP_PID[$name]=$!
  KALSHI_STEP_ORDER+=("$name")
  kalshi_log info "step started" step "$name" app "$1"
}

# kalshi_step_wait NAME: waits for a step and returns its exit code.
kalshi_step_wait() {
  local pid=${KALSHI_STEP_PID[$1]} rc=0
  while :; do
    wait "$pid" && rc=0 || rc=$?
    # A trapped signal interrupts `wait` (code > 128) while the step still runs: wait again.
    kill -0 "$pid" 2>/dev/null || break
  done
  # It can also interrupt `wait` just as the step ends: the step's own status is then one more
  # `wait` away (127 when the first wait had already collected it: keep that code).
  if [ "$rc" -gt 128 ]; then
    local again=0
    wait "$pid" 2>/dev/null && again=0 || again=$?
    [ "$again" -eq 127 ] || rc=$again
  fi
  return "$rc"
}

# kalshi_run_to_end NAME APP [ARGS]: runs a step to completion (the migrator); fails the job on error.
kalshi_run_to_end() {
  local name=$1 rc=0
  kalshi_step "$@"
  kalshi_step_wait "$name" || rc=$?
  [ "$rc" -eq 0 ] || { kalshi_stop_infrastructure; kalshi_fail "$name failed (exit $rc); see $KALSHI_LOG_DIR/${SLURM_JOB_ID}-${name}.log" "$rc"; }
  kalshi_log info "step finished" step "$name" code 0
}

_kalshi_step_ids() { # prints the SLURM step id of each named step still running
  local names=" $* " id stepname
  squeue -h -s -j "$SLURM_JOB_ID" -o '%i %j' 2>/dev/null | while read -r id stepname; do
    case "$names" in *" $stepname "*) printf '%s\n' "$id" ;; esac
  done
}

# kalshi_stop_steps NAME...: sends TERM to the named steps (to each step's task process), waits for them within the shutdown
# deadline (+15 s), then kills what is left. Sets KALSHI_WORST to the worst exit code.
kalshi_stop_steps() {
  local names=() name id pid deadline rc
  for name in "$@"; do [ -n "${KALSHI_STEP_PID[$name]:-}" ] && names+=("$name"); done
  [ ${#names[@]} -gt 0 ] || return 0
  # TERM goes to each step's task process only (it forwards it down the launch chain once);
  # `scancel --signal=TERM <step>` would hit every process of the step at the same moment.
  for id in $(_kalshi_step_ids "${names[@]}"); do
    pid=$(scontrol listpids "$id" 2>/dev/null | awk '$4 == "0" { print $1; exit }')
    if [ -n "$pid" ]; then
      kill -TERM "$pid" 2>/dev/null || true
    else
      scancel --signal=TERM "$id" 2>/dev/null || true
    fi
  done
  deadline=$((SECONDS + SHUTDOWN_TIMEOUT_MS / 1000 + 15))
  for name in "${names[@]}"; do
    while kill -0 "${KALSHI_STEP_PID[$name]}" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.5; done
    if kill -0 "${KALSHI_STEP_PID[$name]}" 2>/dev/null; then
      kalshi_log error "step did not stop within the shutdown deadline: killing it" step "$name"
      for id in $(_kalshi_step_ids "$name"); do scancel --signal=KILL "$id" 2>/dev/null || true; done
    fi
    rc=0
    kalshi_step_wait "$name" || rc=$?
    kalshi_log info "step stopped" step "$name" code "$rc"
    [ "$rc" -gt "${KALSHI_WORST:-0}" ] && KALSHI_WORST=$rc
    unset "KALSHI_STEP_PID[$name]"
  done
}

# kalshi_supervise NAME...: waits until a stop signal arrives or one of the named steps ends.
kalshi_supervise() {
  local name
  while [ "$KALSHI_STOP" = 0 ]; do
    for name in "$@"; do
      if ! kill -0 "${KALSHI_STEP_PID[$name]}" 2>/dev/null; then
        KALSHI_STOP=1
        KALSHI_STOP_REASON="step $name ended"
      fi
    done
    [ "$KALSHI_STOP" = 0 ] || break
    wait -n "${KALSHI_STEP_PID[@]}" 2>/dev/null || true
  done
  kalshi_log info "stopping" reason "$KALSHI_STOP_REASON"
}

# kalshi_start_database: with KALSHI_POSTGRES=instance, starts the node-local PostgreSQL (an
# Apptainer instance of the image, or the same command as a process) and exports DATABASE_URL.
kalshi_start_database() {
  [ "$KALSHI_POSTGRES" = instance ] || return 0
  export KALSHI_PG_DATA=${KALSHI_PG_DATA:-$KALSHI_DATA_DIR/postgres}
  export KALSHI_PG_URL_FILE=$KALSHI_DATA_DIR/postgres.url
  rm -f "$KALSHI_PG_URL_FILE"
  if [ "$KALSHI_CONTAINER" = apptainer ]; then
    KALSHI_PG_INSTANCE=kalshi-pg-$SLURM_JOB_ID
    # The server's own log goes to the job's log folder (apptainer/app.sh), not to Apptainer's
    # instance log files under $HOME.
    local binds=(--bind "$KALSHI_DATA_DIR")
    case "$KALSHI_LOG_DIR/" in "$KALSHI_DATA_DIR"/*) ;; *) binds+=(--bind "$KALSHI_LOG_DIR") ;; esac
    # shellcheck disable=SC2086
    KALSHI_PG_LOG_FILE="$KALSHI_LOG_DIR/${SLURM_JOB_ID}-postgres.log" \
      "${APPTAINER:-apptainer}" instance start "${binds[@]}" ${KALSHI_APPTAINER_ARGS:-} \
      "$KALSHI_RUN_IMAGE" "$KALSHI_PG_INSTANCE" >>"$KALSHI_LOG_DIR/${SLURM_JOB_ID}-postgres.log" 2>&1 ||
      kalshi_fail "apptainer instance start failed; see $KALSHI_LOG_DIR/${SLURM_JOB_ID}-postgres.log"
  else
    "$KALSHI_HOME/apptainer/app.sh" postgres >>"$KALSHI_LOG_DIR/${SLURM_JOB_ID}-postgres.log" 2>&1 &
    KALSHI_PG_PID=$!
  fi
  local waited=0
  until [ -s "$KALSHI_PG_URL_FILE" ]; do
    if [ -n "${KALSHI_PG_PID:-}" ] && ! kill -0 "$KALSHI_PG_PID" 2>/dev/null; then
      kalshi_fail "node-local PostgreSQL exited at start; see $KALSHI_LOG_DIR/${SLURM_JOB_ID}-postgres.log"
    fi
    sleep 0.5
    waited=$((waited + 1))
    [ $waited -lt 240 ] || kalshi_fail "node-local PostgreSQL not ready after 120 s; see $KALSHI_LOG_DIR/${SLURM_JOB_ID}-postgres.log"
  done
  DATABASE_URL=$(cat "$KALSHI_PG_URL_FILE")
  export DATABASE_URL
  kalshi_log info "node-local postgres ready" data "$KALSHI_PG_DATA"
}

kalshi_stop_database() {
  [ "$KALSHI_POSTGRES" = instance ] || return 0
  if [ -n "${KALSHI_PG_INSTANCE:-}" ]; then
    "${APPTAINER:-apptainer}" instance stop --timeout 60 "$KALSHI_PG_INSTANCE" >/dev/null 2>&1 || true
  elif [ -n "${KALSHI_PG_PID:-}" ]; then
    kill -TERM "$KALSHI_PG_PID" 2>/dev/null || true
    wait "$KALSHI_PG_PID" 2>/dev/null || true
  fi
  KALSHI_PG_INSTANCE=""
  KALSHI_PG_PID=""
  kalshi_log info "node-local postgres stopped"
}

# kalshi_start_simulator: with KALSHI_SIM=1 (demo and tests), runs the Kalshi simulator as a step
# and points every service at it.
kalshi_start_simulator() {
  [ "${KALSHI_SIM:-0}" = 1 ] || return 0
  local port=${KALSHI_SIM_PORT:-8787} waited=0
  kalshi_step sim sim --port "$port" --markets "${SIM_MARKETS:-50}"
  export KALSHI_REST_URL="http://127.0.0.1:$port/trade-api/v2"
  export KALSHI_WS_URL="ws://127.0.0.1:$port/trade-api/ws/v2"
  until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
    sleep 0.5
    waited=$((waited + 1))
    kill -0 "${KALSHI_STEP_PID[sim]}" 2>/dev/null || { kalshi_stop_infrastructure; kalshi_fail "the simulator exited at start"; }
    [ $waited -lt 120 ] || { kalshi_stop_infrastructure; kalshi_fail "the simulator did not listen within 60 s"; }
  done
  kalshi_log info "simulator ready" rest_url "$KALSHI_REST_URL"
}

kalshi_stop_infrastructure() {
  kalshi_stop_steps sim
  kalshi_stop_database
}

# kalshi_start_services NAME...: one step per service; METRICS_PORT per service when
# METRICS_BASE_PORT is set.
kalshi_start_services() {
  local i=0 name
  for name in "$@"; do
    if [ -n "${METRICS_BASE_PORT:-}" ]; then
      METRICS_PORT=$((METRICS_BASE_PORT + i)) kalshi_step "$name" "$name"
    else
      kalshi_step "$name" "$name"
    fi
    i=$((i + 1))
  done
}

# kalshi_finish NAME...: stops the named service steps, then the infrastructure; requeues after
# the time-limit warning, else exits with the worst exit code.
kalshi_finish() {
  KALSHI_WORST=0
  kalshi_stop_steps "$@"
  kalshi_stop_infrastructure
  if [ "$KALSHI_REQUEUE" = 1 ] && [ "$KALSHI_WORST" -eq 0 ]; then
    kalshi_log info "every service stopped cleanly: requeueing; the next allocation resumes from ingest_state"
    scontrol requeue "$SLURM_JOB_ID" || kalshi_fail "scontrol requeue failed (is the job --requeue?)"
    exit 0
  fi
  kalshi_log info "job finished" code "$KALSHI_WORST" requeue "$KALSHI_REQUEUE"
  exit "$KALSHI_WORST"
}
