#!/usr/bin/env bash
# The background worker's memory figures on a real PDF (release build), each printed as measured:
# unconstrained peak over N pages, the same pages under a budget 20% below it, peak after the first 10 pages
# against a soak, and soak slopes. Usage: scripts/measure-worker.sh [PDF] [PAGES] [SOAK_PAGES]
set -euo pipefail
cd "$(dirname "$0")/.."
pdf="${1:-tests/fixtures/real/source3.pdf}"; pages="${2:-40}"; soak="${3:-400}"
folio="${FOLIO_BIN:-target/release/folio}"
field() { python3 -c "import json,sys; d=json.loads(sys.argv[1]); print(d$2)" "$1"; }
free=$("$folio" process "$pdf" --pages "1-$pages" --out /dev/null --json 2>/dev/null)
peak=$(field "$free" "['peak_rss_mb']")
budget=$(python3 -c "print(int($peak * 0.8))")
bounded=$("$folio" process "$pdf" --pages "1-$pages" --out /dev/null --json --budget-mb "$budget" 2>/dev/null)
first10=$("$folio" process "$pdf" --pages 1-10 --out /dev/null --json 2>/dev/null)
soaked=$("$folio" soak "$pdf" --pages "$soak" --warmup 100 --json 2>/dev/null || true)
python3 - "$free" "$bounded" "$first10" "$soaked" "$budget" <<'PY'
import json, sys
free, bounded, first10, soaked = (json.loads(a) for a in sys.argv[1:5])
budget = int(sys.argv[5])
print(f"unconstrained: {free['pages']} pages, {free['pages_per_min']} pages/min, peak {free['peak_rss_mb']} MB, other {free['other_share_avg']:.0%} of RSS on average")
over = bounded['peak_rss_mb'] / budget - 1
print(f"budget {budget} MB (80% of that peak): {bounded['pages']} pages done of {free['pages']}, {bounded['pages_per_min']} pages/min, "
      f"peak {bounded['peak_rss_mb']} MB ({over:+.1%} vs budget), {len(bounded['budget_actions'])} budget actions")
kinds = {}
for a in bounded['budget_actions']:
    kinds[a['action']] = kinds.get(a['action'], 0) + 1
print(f"  actions: {kinds}")
print(f"peak over the first 10 pages: {first10['peak_rss_mb']} MB; over a {soaked['pages']}-page soak: {soaked['peak_rss_mb']} MB "
      f"({soaked['peak_rss_mb'] / first10['peak_rss_mb'] - 1:+.1%})")
print(f"soak: {soaked['pages']} pages, warm-up {soaked['warmup_pages']}, RSS after warm-up {soaked['rss_after_warmup_mb']} MB, end {soaked['rss_end_mb']} MB, "
      f"slope {soaked['slope_kb_per_page']} KB/page, peak {soaked['peak_rss_mb']} MB, leak warnings {len(soaked['leak_warnings'])}, "
      f"other {soaked['other_share_avg']:.0%} of RSS on average")
print(f"  attribution at the end (MB): {soaked['attribution']}")
PY
