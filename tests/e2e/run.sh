#!/usr/bin/env bash
# Run Folio's GUI end-to-end tests under Xvfb.
#   FOLIO_APP=/path/to/folio [FOLIO_FIXTURE=...] [FOLIO_FIXTURE_PAGES=3] tests/e2e/run.sh
# Needs: xvfb-run, WebKitWebDriver (webkit2gtk-driver), tauri-driver (cargo install tauri-driver).
set -euo pipefail

if [[ -z "${FOLIO_APP:-}" ]]; then
  echo "run.sh: FOLIO_APP must point at the built Folio executable" >&2
  exit 2
fi
# Resolve relative paths against the caller's directory before changing into ours.
caller_dir="$PWD"
[[ "$FOLIO_APP" == /* ]] || FOLIO_APP="$caller_dir/$FOLIO_APP"
export FOLIO_APP
if [[ -n "${FOLIO_FIXTURE:-}" && "$FOLIO_FIXTURE" != /* ]]; then
  export FOLIO_FIXTURE="$caller_dir/$FOLIO_FIXTURE"
fi

cd "$(dirname "${BASH_SOURCE[0]}")"

if [[ ! -d node_modules ]]; then
  npm ci --no-audit --no-fund
fi

mkdir -p artifacts
# Each run starts with an empty results store, so nothing from an earlier run can make a check pass.
export FOLIO_DATA_DIR="${FOLIO_DATA_DIR:-$(mktemp -d)}"
exec xvfb-run -a --server-args="-screen 0 1400x900x24" npx wdio run wdio.conf.js "$@"
