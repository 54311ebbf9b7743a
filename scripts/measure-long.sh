#!/usr/bin/env bash
# The long-run memory figures on a real PDF (release build), each printed as measured: a soak over SOAK
# pages (the document looped), then the peak over the first 10 pages against the peak over the first LONG
# pages, at the same settings: from the soak (its peak once LONG pages were done) and, unless LONG is 0,
# from a separate `process` run. Usage: scripts/measure-long.sh [PDF] [SOAK] [LONG] [OUT_DIR]
# The soak alone takes about an hour with every stage on two cores.
set -euo pipefail
cd "$(dirname "$0")/.."
pdf="${1:-tests/fixtures/real/source3.pdf}"; soak="${2:-2000}"; long="${3:-1500}"; out="${4:-target/measure-long}"
folio="${FOLIO_BIN:-target/release/folio}"
mkdir -p "$out"
"$folio" soak "$pdf" --pages "$soak" --warmup 100 --json > "$out/soak.json" 2> "$out/soak.err"
"$folio" process "$pdf" --pages 1-10 --out /dev/null --json > "$out/first10.json" 2> "$out/first10.err"
if [ "$long" != 0 ]; then
  "$folio" process "$pdf" --pages "1-$long" --out /dev/null --json > "$out/long.json" 2> "$out/long.err"
fi
python3 - "$out" "$long" <<'PY'
import json, os, sys
out, long_pages = sys.argv[1], sys.argv[2]
soak, first10 = (json.load(open(f"{out}/{n}.json")) for n in ("soak", "first10"))
print(f"soak: {soak['pages']} pages, warm-up {soak['warmup_pages']}, RSS after warm-up {soak['rss_after_warmup_mb']} MB, "
      f"end {soak['rss_end_mb']} MB, peak {soak['peak_rss_mb']} MB, leak warnings {len(soak['leak_warnings'])}, "
      f"{soak['pages_per_min']} pages/min")
print(f"  slope {soak['slope_kb_per_page']} KB/page ({soak['slope_method']}); window floors fitted against pages: "
      f"{soak['window_floor_slope_kb_per_page']} KB/page ({soak['floor_windows']} windows of {soak['floor_window_pages']} "
      f"pages, floor {soak['floor_first_mb']} -> {soak['floor_last_mb']} MB); RSS at each page end: "
      f"{soak['page_end_slope_kb_per_page']} KB/page")
for m in soak.get('matched_windows', []):
    print(f"  pages {m['first_page']}-{m['first_page'] + soak['floor_window_pages'] - 1}: floor {m['floor_before_mb']} MB, "
          f"{m['pages_between']:.0f} pages later {m['floor_after_mb']} MB ({m['slope_kb_per_page']} KB/page)")
lean = soak.get('without_pages_in_flight', {})
print(f"  without the page images in flight: slope {lean.get('slope_kb_per_page')} KB/page, against page counts "
      f"{lean.get('window_floor_slope_kb_per_page')} KB/page, floors (MB): {lean.get('floor_mb')}")
for m in lean.get('matched_windows', []):
    print(f"    pages {m['first_page']}-{m['first_page'] + soak['floor_window_pages'] - 1}: {m['floor_before_mb']} -> "
          f"{m['floor_after_mb']} MB ({m['slope_kb_per_page']} KB/page)")
print(f"  peak so far after N pages (MB): {soak['peak_rss_mb_after_pages']}")
print(f"  floor per window (MB): {soak.get('floor_mb')}")
print(f"  other {soak['other_share_avg']:.1%} of RSS on average (max {soak['other_share_max']:.1%}); attribution at the end (MB): {soak['attribution']}")
print(f"  arena: {soak['arena']}")
soak_long = soak['peak_rss_mb_after_pages'].get(long_pages)
if soak_long:
    print(f"peak over the first 10 pages: {first10['peak_rss_mb']} MB; in the soak once {long_pages} pages were done: "
          f"{soak_long} MB ({soak_long / first10['peak_rss_mb'] - 1:+.1%})")
if os.path.exists(f"{out}/long.json") and long_pages != "0":
    long = json.load(open(f"{out}/long.json"))
    print(f"peak over the first 10 pages: {first10['peak_rss_mb']} MB; over the first {long['pages']} pages: {long['peak_rss_mb']} MB "
          f"({long['peak_rss_mb'] / first10['peak_rss_mb'] - 1:+.1%}); other {long['other_share_avg']:.1%} of RSS on average")
PY
