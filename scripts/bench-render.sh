#!/usr/bin/env bash
# Renders every page of a PDF one after another under several pdfium recycling strategies, in one run, and
# prints speed and RSS side by side (the first row, never recycling, is the baseline for 'vs never'). Usage: scripts/bench-render.sh PDF [DPI]
set -euo pipefail
pdf="$1"; dpi="${2:-150}"
folio="${FOLIO_BIN:-target/release/folio}"
run() { "$folio" render "$pdf" --pages all --dpi "$dpi" --json "$@"; }
{
  echo "never-recycle $(run --recycle-pages 0 --recycle-mb 0 --no-trim)"
  echo "recycle-200+trim $(run --recycle-pages 200 --recycle-mb 0)"
  echo "recycle-100+trim $(run --recycle-pages 100 --recycle-mb 0)"
  echo "recycle-50-no-trim $(run --recycle-pages 50 --recycle-mb 0 --no-trim)"
  echo "default(50p|64MB+trim) $(run)"
} | python3 "$(dirname "$0")/bench_table.py"
