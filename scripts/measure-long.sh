#!/usr/bin/env bash
# The long-run memory figures on a real PDF (release build), each printed as measured: a soak over SOAK
# pages (the document looped), then the peak over the first 10 pages against the peak over the first LONG
# pages, at the same settings. Usage: scripts/measure-long.sh [PDF] [SOAK] [LONG] [OUT_DIR]
# Takes about an hour with every stage on two cores.
set -euo pipefail
cd "$(dirname "$0")/.."
pdf="${1:-tests/fixtures/real/source3.pdf}"; soak="${2:-2000}"; long="${3:-1500}"; out="${4:-target/measure-long}"
folio="${FOLIO_BIN:-target/release/folio}"
mkdir -p "$out"
"$folio" soak "$pdf" --pages "$soak" --warmup 100 --json > "$out/soak.json" 2> "$out/soak.err"
"$folio" process "$pdf" --pages 1-10 --out /dev/null --json > "$out/first10.json" 2> "$out/first10.err"
"$folio" process "$pdf" --pages "1-$long" --out /dev/null --json > "$out/long.json" 2> "$out/long.err"
python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
soak, first10, long = (json.load(open(f"{out}/{n}.json")) for n in ("soak", "first10", "long"))
print(f"soak: {soak['pages']} pages, warm-up {soak['warmup_pages']}, RSS after warm-up {soak['rss_after_warmup_mb']} MB, "
      f"end {soak['rss_end_mb']} MB, slope {soak['slope_kb_per_page']} KB/page, peak {soak['peak_rss_mb']} MB, "
      f"leak warnings {len(soak['leak_warnings'])}, {soak['pages_per_min']} pages/min")
print(f"  other {soak['other_share_avg']:.1%} of RSS on average (max {soak['other_share_max']:.1%}); attribution at the end (MB): {soak['attribution']}")
print(f"  arena: {soak['arena']}")
print(f"peak over the first 10 pages: {first10['peak_rss_mb']} MB; over the first {long['pages']} pages: {long['peak_rss_mb']} MB "
      f"({long['peak_rss_mb'] / first10['peak_rss_mb'] - 1:+.1%}); other {long['other_share_avg']:.1%} of RSS on average")
PY
