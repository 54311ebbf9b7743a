#!/usr/bin/env bash
# The budget figures on a real PDF (release build), side by side in one run: PAGES pages without a budget,
# then the same pages under a budget FRACTION of that run's peak RSS. Prints both peaks (VmHWM), the
# overshoot against the budget, pages/min and the budget's actions.
# Usage: scripts/measure-budget.sh [PDF] [PAGES] [FRACTION] [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
pdf="${1:-tests/fixtures/real/source3.pdf}"; pages="${2:-40}"; fraction="${3:-0.8}"; out="${4:-target/measure-budget}"
folio="${FOLIO_BIN:-target/release/folio}"
mkdir -p "$out"
"$folio" process "$pdf" --pages "1-$pages" --out "$out/free.jsonl" --json > "$out/free.json" 2> "$out/free.err"
budget=$(python3 -c "import json; print(int(json.load(open('$out/free.json'))['peak_rss_mb'] * $fraction))")
"$folio" process "$pdf" --pages "1-$pages" --out "$out/budget.jsonl" --json --budget-mb "$budget" > "$out/budget.json" 2> "$out/budget.err"
python3 - "$out" "$budget" <<'PY'
import collections, json, sys
out, budget = sys.argv[1], int(sys.argv[2])
free, under = (json.load(open(f"{out}/{n}.json")) for n in ("free", "budget"))
print(f"without a budget: {free['pages']} pages, peak {free['peak_rss_mb']} MB, {free['pages_per_min']} pages/min")
print(f"budget {budget} MB: {under['pages']} pages ({under['failed_pages']} failed), peak {under['peak_rss_mb']} MB "
      f"({under['peak_rss_mb'] / budget - 1:+.1%} against the budget), {under['pages_per_min']} pages/min")
kinds = collections.Counter(a['action'] for a in under['budget_actions'])
print(f"  budget actions: {dict(kinds)}")
print(f"  other {under['other_share_avg']:.1%} of RSS on average")
PY
