#!/usr/bin/env bash
# What pdfium holds after opening a PDF and rendering one page, by the page's position in the document:
# pdfium walks the page tree from the start to find a page and keeps every object it parsed on the way until
# the document is closed, so the cost grows with the position, whatever the page holds. Release build.
#   scripts/pdfium-position.sh PDF [DPI] [POSITIONS...]
set -euo pipefail
cd "$(dirname "$0")/.."
pdf="${1:?usage: scripts/pdfium-position.sh PDF [DPI] [POSITIONS...]}"; dpi="${2:-72}"; shift $(( $# > 1 ? 2 : 1 ))
folio="${FOLIO_BIN:-target/release/folio}"
[ -x "$folio" ] || cargo build --release -p folio-cli
count="$("$folio" --json info "$pdf" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["documents"][0]["pages"])')"
positions=("$@")
if [ ${#positions[@]} -eq 0 ]; then
  for f in 0 1 2 3 4 5 6 7 8; do positions+=($(( 1 + (count - 1) * f / 8 ))); done
fi
echo "| page | of | pdfium's caches after it (MB) | RSS after it (MB) |"
echo "|---|---|---|---|"
for p in "${positions[@]}"; do
  "$folio" render "$pdf" --pages "$p-$p" --dpi "$dpi" --json | python3 -c "
import json, sys
s = json.load(sys.stdin)
print(f'| $p | $count | {s[\"pdfium\"][\"pdfium_bytes\"] / 2**20:.2f} | {s[\"rss_first_mb\"]:.2f} |')"
done
