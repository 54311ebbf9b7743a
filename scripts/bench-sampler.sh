#!/usr/bin/env bash
# What the memory sampler and the live graph cost: CPU time of the app and its WebKit processes over a
# window, with sampling at 5 Hz and with sampling off (FOLIO_SAMPLE_HZ=0), the window open on a document.
# Usage: scripts/bench-sampler.sh [SECONDS]   (needs xvfb-run; uses target/debug/folio-app unless FOLIO_APP)
# FOLIO_MEMORY_REFRESH_MS=1000 fixes the panel's refresh at what it is while a job runs (no job is started:
# its work would drown what is measured); by default the window is idle and refreshes every 2 s.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-30}"
app="${FOLIO_APP:-target/debug/folio-app}"
ticks=$(getconf CLK_TCK)
measure() {
  local hz="$1"
  FOLIO_SAMPLE_HZ="$hz" FOLIO_DATA_DIR="$(mktemp -d)" xvfb-run -a "$app" --open tests/fixtures/three-pages.pdf >/dev/null 2>&1 &
  local runner=$!
  sleep 8
  local app_pids web_pids
  app_pids=$(pgrep -x folio-app | tr '\n' ' ')
  web_pids=$(for p in $app_pids; do pgrep -P "$p"; done | tr '\n' ' ')
  cpu() { local t=0; for p in "$@"; do [ -r /proc/$p/stat ] && t=$((t + $(awk '{print $14 + $15}' /proc/$p/stat))); done; echo $t; }
  local a1 w1 a2 w2
  a1=$(cpu $app_pids); w1=$(cpu $web_pids); sleep "$seconds"; a2=$(cpu $app_pids); w2=$(cpu $web_pids)
  # Closing the app lets xvfb-run stop its X server; killing xvfb-run first would leave the server running.
  pkill -x folio-app 2>/dev/null || true; wait $runner 2>/dev/null || true
  python3 -c "print(f'sampling at $hz Hz, refresh ${FOLIO_MEMORY_REFRESH_MS:-idle}: app {($a2 - $a1) / $ticks / $seconds * 100:.2f}%, webview {($w2 - $w1) / $ticks / $seconds * 100:.2f}% of one core over {$seconds} s')"
}
measure "${FOLIO_BENCH_HZ:-5}"
measure 0
