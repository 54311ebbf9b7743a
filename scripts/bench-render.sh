#!/usr/bin/env bash
# Renders every page of a PDF one after another under several pdfium recycling strategies, in one run, and
# prints speed and RSS side by side. Usage: scripts/bench-render.sh PDF [DPI]
set -euo pipefail
pdf="$1"; dpi="${2:-150}"
folio="${FOLIO_BIN:-target/release/folio}"
run() { "$folio" render "$pdf" --pages all --dpi "$dpi" --json "$@"; }
{
  echo "never-recycle $(run --recycle-pages 0 --recycle-mb 0 --no-trim)"
  echo "trim-only $(run --recycle-pages 0 --recycle-mb 0)"
  echo "recycle-50-no-trim $(run --recycle-pages 50 --recycle-mb 0 --no-trim)"
  echo "recycle-default $(run)"
} | python3 -c '
import json, sys
rows = [(l.split(" ", 1)[0], json.loads(l.split(" ", 1)[1])) for l in sys.stdin if l.strip()]
base = rows[0][1]["pages_per_s"]
print(f"{\"strategy\":<20} {\"pages\":>6} {\"pages/s\":>8} {\"vs never\":>8} {\"first MB\":>9} {\"peak MB\":>8} {\"end MB\":>7} {\"end-first\":>9} {\"peak-first\":>10} {\"reopens\":>7}")
for name, r in rows:
    print(f"{name:<20} {r[\"pages\"]:>6} {r[\"pages_per_s\"]:>8.1f} {r[\"pages_per_s\"]/base:>8.2f} {r[\"rss_first_mb\"]:>9.1f} {r[\"rss_peak_mb\"]:>8.1f} {r[\"rss_end_mb\"]:>7.1f} {r[\"rss_end_mb\"]-r[\"rss_first_mb\"]:>+9.1f} {r[\"rss_peak_mb\"]-r[\"rss_first_mb\"]:>+10.1f} {r[\"pdfium\"][\"recycles\"]:>7}")
'
