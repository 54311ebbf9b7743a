#!/usr/bin/env bash
# Folio and the Python reference pipelines on the same pages of a real PDF, one after the other in one run,
# printed side by side: pages/min and peak RSS. Usage: scripts/bench-vs-reference.sh [PDF] [PAGES] [DPI]
set -euo pipefail
cd "$(dirname "$0")/.."
pdf="${1:-tests/fixtures/real/source2e.pdf}"; pages="${2:-1-20}"; dpi="${3:-150}"
folio="${FOLIO_BIN:-target/release/folio}"
venv="${FOLIO_REFERENCE_VENV:-target/reference-venv}"
tests/reference/setup.sh >/dev/null
ref=$("$venv/bin/python" tests/reference/bench_reference.py "$pdf" --pages "$pages" --dpi "$dpi")
same=$("$folio" process "$pdf" --pages "$pages" --dpi "$dpi" --stages orientation,layout,ocr,table --out /dev/null --json 2>/dev/null)
full=$("$folio" process "$pdf" --pages "$pages" --dpi "$dpi" --out /dev/null --json 2>/dev/null)
python3 - "$ref" "$same" "$full" <<'PY'
import json, sys
ref, same, full = (json.loads(a) for a in sys.argv[1:4])
rows = [("reference (orientation, layout, ocr, table)", ref),
        ("folio (orientation, layout, ocr, table)", same),
        ("folio (all stages, + embeddings)", full)]
base_ppm, base_rss = ref["pages_per_min"], ref["peak_rss_mb"]
print(f"{'run':<46} {'pages':>5} {'pages/min':>10} {'× ref':>6} {'peak RSS MB':>12} {'× ref':>6}")
for name, r in rows:
    print(f"{name:<46} {r['pages']:>5} {r['pages_per_min']:>10.1f} {r['pages_per_min']/base_ppm:>6.2f} {r['peak_rss_mb']:>12.0f} {r['peak_rss_mb']/base_rss:>6.2f}")
for name, r in rows[1:]:
    stages = ", ".join(f"{k} {v.get('ms_per_page') or 0:.0f} ms" for k, v in r["stages"].items())
    print(f"{name}: ORT share {r['ort_share']:.2f}; per page: {stages}")
PY
