#!/usr/bin/env bash
# npm run test:airflow-real [-- 2|3]: real Apache Airflow 2 and 3, one after the other (two cores),
# each on SQLite in a temporary home with the DAGs of scripts/airflow/dags, driven through
# Signalbox's API by apps/api/src/airflow-real/airflow-real.real.ts. Every Airflow process is
# stopped at the end, whatever happened.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/lib/venv.sh

VERSIONS="${*:-2 3}"
PORT="${AIRFLOW_REAL_PORT:-28080}"
USER_NAME=admin
PASSWORD="admin-$RANDOM$RANDOM"
pgids=()
home=""

stop_airflow() {
  [ ${#pgids[@]} -eq 0 ] && return 0
  for pgid in "${pgids[@]}"; do kill -TERM -- "-$pgid" 2>/dev/null || true; done
  # Ten seconds to stop (a running task would keep the scheduler busy much longer), then KILL.
  for _ in $(seq 1 10); do
    alive=0
    for pgid in "${pgids[@]}"; do kill -0 -- "-$pgid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 1
  done
  for pgid in "${pgids[@]}"; do kill -KILL -- "-$pgid" 2>/dev/null || true; done
  pgids=()
}
trap 'stop_airflow; [ -n "$home" ] && rm -rf "$home"' EXIT
trap 'exit 130' INT TERM

# Starts one Airflow component in a process group of its own, so that stopping it stops its children.
start_component() {
  local name="$1"
  shift
  setsid "$@" >"$home/$name.log" 2>&1 &
  pgids+=("$!")
}

status=0
for v in $VERSIONS; do
  started=$SECONDS
  ensure_venv ".cache/airflow-$v" "scripts/airflow/requirements-$v.txt" "scripts/airflow/constraints-$v.txt"
  airflow_bin="$PWD/.cache/airflow-$v/bin/airflow"
  # Airflow 2's executor runs each task as `airflow tasks run …`, found on PATH.
  export PATH="$PWD/.cache/airflow-$v/bin:$PATH"
  if curl -s -o /dev/null "http://127.0.0.1:$PORT/"; then
    echo "error: port $PORT is in use; set AIRFLOW_REAL_PORT" >&2
    exit 1
  fi
  home="$(mktemp -d "${TMPDIR:-/tmp}/signalbox-airflow-$v.XXXXXX")"
  cp -r scripts/airflow/dags "$home/dags"
  export AIRFLOW_HOME="$home"
  export AIRFLOW__CORE__DAGS_FOLDER="$home/dags"
  export AIRFLOW__CORE__LOAD_EXAMPLES=False
  export AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION=False
  # Small pages, so that the adapter's paging is exercised on a handful of DAGs and runs.
  export AIRFLOW__API__MAXIMUM_PAGE_LIMIT=4
  export AIRFLOW__SCHEDULER__DAG_DIR_LIST_INTERVAL=5
  export AIRFLOW__SCHEDULER__MIN_FILE_PROCESS_INTERVAL=5
  export AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL=5
  # Two cores: a few task processes at a time are plenty for six small DAGs.
  export AIRFLOW__CORE__PARALLELISM=4
  if [ "$v" = 2 ]; then
    export AIRFLOW__API__AUTH_BACKENDS=airflow.api.auth.backend.basic_auth
    export AIRFLOW__WEBSERVER__WORKERS=1
    export AIRFLOW__WEBSERVER__SECRET_KEY="signalbox-test-$RANDOM$RANDOM"
  else
    export AIRFLOW__CORE__EXECUTOR=LocalExecutor
    export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS="$USER_NAME:admin"
    export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE="$home/passwords.json"
    printf '{"%s": "%s"}\n' "$USER_NAME" "$PASSWORD" >"$home/passwords.json"
    # Tokens live 5 s, without leeway, so that the adapter renews one during the run.
    export AIRFLOW__API_AUTH__JWT_EXPIRATION_TIME=5
    export AIRFLOW__API_AUTH__JWT_LEEWAY=0
    export AIRFLOW__API_AUTH__JWT_SECRET="signalbox-test-$RANDOM$RANDOM$RANDOM"
    export AIRFLOW__CORE__EXECUTION_API_SERVER_URL="http://127.0.0.1:$PORT/execution/"
  fi
  echo "airflow $v: database and user"
  "$airflow_bin" db migrate >"$home/db-migrate.log" 2>&1 || { tail -20 "$home/db-migrate.log"; exit 1; }
  if [ "$v" = 2 ]; then
    "$airflow_bin" users create -u "$USER_NAME" -p "$PASSWORD" -r Admin -f Signal -l Box -e admin@example.com >"$home/users.log" 2>&1
    start_component webserver "$airflow_bin" webserver --port "$PORT" --hostname 127.0.0.1
    api=/api/v1
  else
    start_component api-server "$airflow_bin" api-server --port "$PORT" --host 127.0.0.1
    start_component dag-processor "$airflow_bin" dag-processor
    api=/api/v2
  fi
  # No log server: task logs are not read, and it would listen on every interface.
  start_component scheduler "$airflow_bin" scheduler --skip-serve-logs
  for i in $(seq 1 90); do
    curl -sf "http://127.0.0.1:$PORT$api/version" >/dev/null && break
    if [ "$i" = 90 ]; then
      echo "error: airflow $v did not answer on port $PORT" >&2
      tail -30 "$home"/*.log >&2
      exit 1
    fi
    sleep 2
  done
  echo "airflow $v: up after $((SECONDS - started)) s; running the tests"
  if ! AIRFLOW_REAL_URL="http://127.0.0.1:$PORT" AIRFLOW_REAL_VERSION="$v" AIRFLOW_REAL_USER="$USER_NAME" AIRFLOW_REAL_PASSWORD="$PASSWORD" \
    AIRFLOW_REAL_DAGS="$home/dags" AIRFLOW_REAL_RECORD="${AIRFLOW_REAL_RECORD_DIR:+$AIRFLOW_REAL_RECORD_DIR/airflow-$v.json}" npx jest -c jest.airflow-real.config.ts --runInBand; then
    status=1
    echo "airflow $v: FAILED; the last lines of its logs:" >&2
    for f in "$home"/*.log; do
      echo "--- $f" >&2
      tail -8 "$f" | cut -c1-300 >&2
    done
  fi
  stop_airflow
  rm -rf "$home"
  home=""
  unset "${!AIRFLOW__@}"
  PATH="${PATH#"$PWD/.cache/airflow-$v/bin:"}"
  echo "airflow $v: done in $((SECONDS - started)) s"
done
exit "$status"
