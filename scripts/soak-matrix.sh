#!/usr/bin/env bash
# Memory over many pages at every resolution and on every kind of document: soaks at 72, 150 and 300 dpi on
# a born-digital manual, a scanned-like image-only PDF and a queue of documents with different page sizes,
# all stages, one table at the end (the figures BENCHMARKS.md quotes). Runs for hours on two cores: start
# it in the background. Release build.
#   scripts/soak-matrix.sh [PAGES] [OUT_DIR]        PAGES per cell (default 200)
#   DPIS="72 150" DOCS="manual queue" scripts/soak-matrix.sh    a part of the matrix
# Every model the stages use loads before the first page, and the pipeline drains once per floor window for a
# settled floor (docs/cli-json.md, soak). Every page is OCR'd (TEXT_LAYER=ocr): the matrix measures the
# models' memory on every kind of page, and a born-digital manual routed to its text layer would run OCR on
# few of them. TEXT_LAYER=auto soaks as users run. The first pass adds 1-2 MB to the floors (code run for the
# first time, the allocator's free space settling) over its first 60-130 pages: over 200 pages from page 30
# that climb is the slope. To read the slope after it: `WARMUP=100` and 400 pages (BENCHMARKS.md, the scan at
# 150 dpi over 600 pages). On the manual, whose every page is new, jemalloc's free space keeps rising by about
# 1 MB until page 230-300 (pdfium's font cache keeps slabs; docs/decisions/pdfium-recycling.md): read its
# cells over 600 pages (BENCHMARKS.md, every cell over 400-600 pages).
set -euo pipefail
cd "$(dirname "$0")/.."
pages="${1:-200}"; out="${2:-target/soak-matrix}"
folio="${FOLIO_BIN:-target/release/folio}"
dpis="${DPIS:-72 150 300}"; docs="${DOCS:-manual scan queue}"
warmup="${WARMUP:-30}"; window="${FLOOR_WINDOW:-25}"; text_layer="${TEXT_LAYER:-ocr}"
mkdir -p "$out"
tests/fixtures/fetch-real.sh >/dev/null
[ -x "$folio" ] || cargo build --release -p folio-cli
scan="$out/scan.pdf"
if [[ " $docs " == *" scan "* && ! -s "$scan" ]]; then
  python="$(tests/scans/setup.sh | tail -1)"
  "$python" tests/scans/make_scanned_pdf.py tests/fixtures/real/source3.pdf "$scan" --pages "$pages" --dpi 200
fi
for doc in $docs; do
  range=all
  case "$doc" in
    manual) inputs=(tests/fixtures/real/source2e.pdf) ;;
    scan) inputs=("$scan") ;;
    # A4, US letter, a PDF of four page sizes and a folder of page images of their own sizes; 8 pages of
    # each long one: one pass is 26 pages, so every kind of page is seen within the warm-up and comes round
    # again and again.
    queue) inputs=(tests/fixtures/real/hyperref.pdf tests/fixtures/mixed-sizes.pdf tests/fixtures/pages tests/fixtures/real/source3.pdf)
           range=1-8 ;;
    *) echo "soak-matrix: unknown document set '$doc'" >&2; exit 2 ;;
  esac
  for dpi in $dpis; do
    cell="$out/$doc-$dpi"
    echo "soak-matrix: $doc at $dpi dpi, $pages pages ($(date -u +%H:%M))" >&2
    "$folio" --json soak "${inputs[@]}" --pages "$pages" --range "$range" --dpi "$dpi" --warmup "$warmup" --floor-window "$window" --text-layer "$text_layer" \
      > "$cell.json" 2> "$cell.err" || echo "soak-matrix: $doc at $dpi dpi exited $? (see $cell.err)" >&2
  done
done
python3 - "$out" "$dpis" "$docs" <<'PY'
import json, os, sys
out, dpis, docs = sys.argv[1], sys.argv[2].split(), sys.argv[3].split()
print("| documents | dpi | pages | pages/min (between settles) | settled-floor slope after warm-up ± s.e. (KB/page) | C heap in use, same moments (KB/page) "
      "| window-floor slope, first pass ± s.e. (KB/page) | same pages a pass later (KB/page) "
      "| peak after 30 / 200 pages (MB) | peak rise | arena reserve / peak in use | shrinks | leak warnings |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
def pm(value, se):
    return f"{value}{f' ± {se}' if se is not None else ''}"
for doc in docs:
    for dpi in dpis:
        path = f"{out}/{doc}-{dpi}.json"
        if not os.path.exists(path) or os.path.getsize(path) == 0:
            print(f"| {doc} | {dpi} | — | failed: see {doc}-{dpi}.err ||||||||||")
            continue
        s = json.load(open(path))
        peaks = s.get("peak_rss_mb_after_pages", {})
        p30, p200 = peaks.get("30"), peaks.get("200")
        rise = f"{(p200 / p30 - 1) * 100:+.1f}%" if p30 and p200 else "—"
        arena = s.get("arena") or {}
        print(f"| {doc} | {dpi} | {s['pages']} | {s['pages_per_min']} ({s.get('pages_per_min_between_settles')}) "
              f"| {pm(s.get('settled_floor_slope_kb_per_page'), s.get('settled_floor_slope_se_kb_per_page'))} | {s.get('settled_heap_slope_kb_per_page')} "
              f"| {pm(s['first_pass_window_floor_slope_kb_per_page'], s.get('first_pass_window_floor_slope_se_kb_per_page'))} "
              f"| {s['same_pages_next_pass_slope_kb_per_page']} "
              f"| {p30} / {p200} | {rise} "
              f"| {arena.get('reserve_per_peak')} ({arena.get('reserved_mb')} / {arena.get('peak_in_use_mb')} MB) "
              f"| {arena.get('shrinks')} | {len(s['leak_warnings'])} |")
PY
