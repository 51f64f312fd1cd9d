#!/usr/bin/env bash
# Python virtual environments for the test scripts, cached under .cache/ (git-ignored).
#
#   ensure_venv DIR REQUIREMENTS CONSTRAINTS
#
# Reuses DIR when it was built from the same requirements, constraints and Python version (a
# stamp file holds their digest); otherwise rebuilds it. Fails with a clear message when Python,
# venv or the package index cannot be reached, rather than letting a test be skipped.

python_bin() {
  command -v python3.11 || command -v python3 || {
    echo "error: Python 3 (3.11) is not installed; the real-peer tests need it" >&2
    return 1
  }
}

ensure_venv() {
  local dir="$1" requirements="$2" constraints="$3"
  local python stamp
  python="$(python_bin)" || return 1
  stamp="$(cat "$requirements" "$constraints" <("$python" --version) | sha256sum | cut -c1-16)"
  if [ -x "$dir/bin/python" ] && [ "$(cat "$dir/.signalbox-stamp" 2>/dev/null)" = "$stamp" ]; then
    echo "venv $dir: cached"
    return 0
  fi
  echo "venv $dir: building from $requirements (this takes minutes the first time)"
  rm -rf "$dir"
  if ! "$python" -m venv "$dir"; then
    echo "error: '$python -m venv' failed; install the venv module (Debian: python3-venv)" >&2
    return 1
  fi
  if ! timeout 120 "$dir/bin/python" -m pip download --no-deps --dest "$dir/.probe" -q "pip" >/dev/null 2>&1; then
    echo "error: pip cannot reach the package index (PyPI); the real-peer tests cannot be installed" >&2
    rm -rf "$dir"
    return 1
  fi
  rm -rf "$dir/.probe"
  local started=$SECONDS
  if ! "$dir/bin/python" -m pip install -q --disable-pip-version-check -r "$requirements" -c "$constraints"; then
    echo "error: pip install -r $requirements failed (see above)" >&2
    rm -rf "$dir"
    return 1
  fi
  echo "$stamp" >"$dir/.signalbox-stamp"
  echo "venv $dir: built in $((SECONDS - started)) s"
}
