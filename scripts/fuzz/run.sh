#!/usr/bin/env bash
# npm run test:fuzz: schemathesis against Signalbox's own /openapi.json. The API runs on a
# temporary embedded database with the demo space; every operation is fuzzed once as an instance
# admin and once as a viewer of the demo space, with the four response checks below. It fails on
# any failure, and when fewer than FUZZ_MIN_REQUESTS requests were sent.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/lib/venv.sh

PORT="${FUZZ_PORT:-28090}"
EXAMPLES="${FUZZ_MAX_EXAMPLES:-30}"
MIN_REQUESTS="${FUZZ_MIN_REQUESTS:-1000}"
CHECKS=not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance
ADMIN_KEY="sbx_fuzz_admin_$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')"

ensure_venv .cache/schemathesis scripts/fuzz/requirements.txt scripts/fuzz/constraints.txt
work="$(mktemp -d "${TMPDIR:-/tmp}/signalbox-fuzz.XXXXXX")"
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if curl -s -o /dev/null "http://127.0.0.1:$PORT/"; then
  echo "error: port $PORT is in use; set FUZZ_PORT" >&2
  exit 1
fi
# The limits stay on (429 is part of the contract) but high enough for one fuzzer.
PORT="$PORT" HOST=127.0.0.1 SIGNALBOX_DATA_DIR="$work/data" SIGNALBOX_ADMIN_API_KEY="$ADMIN_KEY" SIGNALBOX_DEMO=1 LOG_LEVEL=warn \
  SIGNALBOX_RATE_LIMIT_PER_KEY=10000 SIGNALBOX_RATE_LIMIT_PER_ADDRESS=10000 SIGNALBOX_RATE_LIMIT_FAILED_AUTH=100000 \
  node --import tsx apps/api/src/main.ts >"$work/server.log" 2>&1 &
server_pid=$!
base="http://127.0.0.1:$PORT"
for i in $(seq 1 60); do
  curl -sf "$base/health/ready" >/dev/null && break
  if [ "$i" = 60 ] || ! kill -0 "$server_pid" 2>/dev/null; then
    echo "error: the API did not start" >&2
    tail -30 "$work/server.log" >&2
    exit 1
  fi
  sleep 1
done

# A viewer of the demo space, with a key of their own.
api() { curl -sf -H "Authorization: Bearer $ADMIN_KEY" -H 'Content-Type: application/json' "$@"; }
json() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s)[process.argv[1]]))' "$1"; }
viewer_id="$(api -X POST "$base/api/v1.0/users" -d '{"email":"fuzz-viewer@example.com","name":"Fuzz viewer"}' | json id)"
viewer_key="$(api -X POST "$base/api/v1.0/users/$viewer_id/api-keys" -d '{"name":"fuzz"}' | json key)"
api -X PUT "$base/api/v1.0/spaces/demo/members/$viewer_id" -d '{"role":"viewer"}' >/dev/null

status=0
total=0
for who in admin viewer; do
  key="$ADMIN_KEY"
  [ "$who" = viewer ] && key="$viewer_key"
  echo "schemathesis as $who: every operation of $base/openapi.json, up to $EXAMPLES examples each"
  # From the temporary folder: schemathesis keeps a cache in its working directory. The key goes in
  # both headers the API accepts: a key it made up for the other would be 400 AMBIGUOUS_API_KEY.
  if ! (cd "$work" && "$OLDPWD/.cache/schemathesis/bin/schemathesis" run "$base/openapi.json" --checks "$CHECKS" -H "Authorization: Bearer $key" -H "Api-key: $key" \
    --max-examples "$EXAMPLES" --seed 8 --workers 1 --request-timeout 30 --suppress-health-check all \
    --report har --report-har-path "$work/$who.har" --output-sanitize true); then
    status=1
  fi
  sent="$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")).log.entries.length)' "$work/$who.har" 2>/dev/null || echo 0)"
  echo "schemathesis as $who: $sent requests"
  total=$((total + sent))
done
if grep -q '"INTERNAL_ERROR"\|unhandled error' "$work/server.log"; then
  echo "error: the server logged unhandled errors:" >&2
  grep 'unhandled error' "$work/server.log" | head -5 >&2
  status=1
fi
echo "schemathesis: $total requests in all"
if [ "$total" -lt "$MIN_REQUESTS" ]; then
  echo "error: fewer than $MIN_REQUESTS requests were sent" >&2
  status=1
fi
exit "$status"
