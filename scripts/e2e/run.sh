#!/usr/bin/env bash
# The console's end-to-end tests in headless Chromium: Debian's chromium package, installed here
# with apt when missing (never a browser download), driven by playwright-core against a real
# server on a temporary embedded database. Screenshots go to test-output/console/. /metrics is
# parsed by the official Prometheus Python client (a virtual environment under .cache/e2e).
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/lib/venv.sh

export CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ ! -x "$CHROMIUM_PATH" ]; then
  echo "installing Debian's chromium package"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo_cmd apt-get install -y --no-install-recommends chromium >/dev/null 2>&1 \
    || { $sudo_cmd apt-get update -q >/dev/null && $sudo_cmd apt-get install -y --no-install-recommends chromium >/dev/null; }
fi
"$CHROMIUM_PATH" --version

# /metrics is read with the official Prometheus client's parser (Python).
ensure_venv .cache/e2e scripts/e2e/requirements.txt scripts/e2e/constraints.txt
export PROMETHEUS_PARSER="$PWD/.cache/e2e/bin/python $PWD/scripts/e2e/prometheus_samples.py"

# The console the server serves at /ui is the one built from this tree.
npm run build -w @signalbox/console >/dev/null
npx jest --config jest.e2e.config.ts "$@"
