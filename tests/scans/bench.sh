#!/usr/bin/env bash
# Words on scans, the team's own benchmark: pages of two born-digital manuals rasterised with skew, blur,
# noise and JPEG artefacts (make_scanned_pdf.py) at 150, 200 and 300 dpi, and the same pages rendered
# clean at 144 dpi; OCR of each against the original's text layer. Prints one table: word F1 (bag of
# words), precision, recall per space rule, character error rate (whitespace left out) and pages/min.
#   tests/scans/bench.sh [PAGES] [OUT_DIR]         PAGES per cell (default 10). Release build.
set -euo pipefail
cd "$(dirname "$0")/../.."
pages="${1:-10}"; out="${2:-target/scan-bench}"
mkdir -p "$out"
tests/fixtures/fetch-real.sh >/dev/null
python="$(tests/scans/setup.sh | tail -1)"
cargo build --release -q -p folio-engine --example scan_words
bench=target/release/examples/scan_words
# document, first page (past the front matter: body text, code and lists)
docs=("source3 40" "source2e 30")
for entry in "${docs[@]}"; do
  read -r doc first <<<"$entry"
  src="tests/fixtures/real/$doc.pdf"
  for dpi in 150 200 300; do
    scan="$out/$doc-$first-$pages-$dpi.pdf"
    [ -s "$scan" ] || "$python" tests/scans/make_scanned_pdf.py "$src" "$scan" --first "$first" --pages "$pages" --dpi "$dpi" >&2
    echo "scan-bench: $doc at $dpi dpi ($(date -u +%H:%M))" >&2
    "$bench" "$scan" "$src" "$first" "$dpi" "$pages" --json > "$out/$doc-$dpi.json"
  done
  echo "scan-bench: $doc clean at 144 dpi ($(date -u +%H:%M))" >&2
  "$bench" "$src" "$src" "$first" 144 "$pages" --clean --json > "$out/$doc-clean.json"
done
python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
print("| document | pages | scan | word F1, model's spaces | word F1, alignment rule (P / R) | CER | pages/min |")
print("|---|---|---|---|---|---|---|")
for doc in ("source3", "source2e"):
    for cell in ("150", "200", "300", "clean"):
        r = json.load(open(f"{out}/{doc}-{cell}.json"))
        model, align = r["rules"][0], r["rules"][1]
        scan = "clean, 144 dpi" if cell == "clean" else f"scanned, {cell} dpi"
        print(f"| {doc} | {r['pages']} | {scan} | {model['f1']:.4f} | {align['f1']:.4f} ({align['precision']:.4f} / {align['recall']:.4f}) "
              f"| {r['cer']:.4f} | {r['pages_per_min']:.2f} |")
PY
