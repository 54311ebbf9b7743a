#!/usr/bin/env bash
# Words on scans, the team's own benchmark: pages of three born-digital documents rasterised with skew, blur,
# noise and JPEG artefacts (make_scanned_pdf.py) at 150, 200 and 300 dpi, and the same pages rendered
# clean at 144 dpi; OCR of each against the original's text layer. Prints one table: word F1 (bag of
# words), precision, recall per space rule, character error rate (whitespace left out) and pages/min.
#   tests/scans/bench.sh [PAGES] [OUT_DIR]         PAGES per cell (default 10). Release build.
#   REC="v4 v5" tests/scans/bench.sh               the recognisers to measure (default: both), one row each.
set -euo pipefail
cd "$(dirname "$0")/../.."
pages="${1:-10}"; out="${2:-target/scan-bench}"; recs="${REC:-v4 v5}"
mkdir -p "$out"
tests/fixtures/fetch-real.sh >/dev/null
python="$(tests/scans/setup.sh | tail -1)"
cargo build --release -q -p folio-engine --example scan_words
bench=target/release/examples/scan_words
# document, first page (past the front matter): two documented-source listings (body text, code and lists)
# and a prose guide
docs=("source3 40" "source2e 30" "clsguide 3")
for entry in "${docs[@]}"; do
  read -r doc first <<<"$entry"
  src="tests/fixtures/real/$doc.pdf"
  for dpi in 150 200 300; do
    scan="$out/$doc-$first-$pages-$dpi.pdf"
    [ -s "$scan" ] || "$python" tests/scans/make_scanned_pdf.py "$src" "$scan" --first "$first" --pages "$pages" --dpi "$dpi" >&2
    for rec in $recs; do
      echo "scan-bench: $doc at $dpi dpi, recogniser $rec ($(date -u +%H:%M))" >&2
      "$bench" "$scan" "$src" "$first" "$dpi" "$pages" --json --rec-model="$rec" > "$out/$doc-$dpi-$rec.json"
    done
  done
  for rec in $recs; do
    echo "scan-bench: $doc clean at 144 dpi, recogniser $rec ($(date -u +%H:%M))" >&2
    "$bench" "$src" "$src" "$first" 144 "$pages" --clean --json --rec-model="$rec" > "$out/$doc-clean-$rec.json"
  done
done
python3 - "$out" $recs <<'PY'
import json, sys
out, recs = sys.argv[1], sys.argv[2:]
print("| document | pages | scan | recogniser | word F1, model's spaces | word F1, alignment rule (P / R) | CER | pages/min |")
print("|---|---|---|---|---|---|---|---|")
for doc in ("source3", "source2e", "clsguide"):
    for cell in ("150", "200", "300", "clean"):
        for rec in recs:
            r = json.load(open(f"{out}/{doc}-{cell}-{rec}.json"))
            model, align = r["rules"][0], r["rules"][1]
            scan = "clean, 144 dpi" if cell == "clean" else f"scanned, {cell} dpi"
            print(f"| {doc} | {r['pages']} | {scan} | {rec} | {model['f1']:.4f} | {align['f1']:.4f} ({align['precision']:.4f} / {align['recall']:.4f}) "
                  f"| {r['cer']:.4f} | {r['pages_per_min']:.2f} |")
PY
