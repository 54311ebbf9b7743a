"""Formats `folio render --json` lines ("name {json}") from scripts/bench-render.sh as one table."""
import json
import sys

rows = [(line.split(" ", 1)[0], json.loads(line.split(" ", 1)[1])) for line in sys.stdin if line.strip()]
for name, r in rows:
    if "error" in r:
        sys.exit(f"{name}: {r['error']}")
base = rows[0][1]["pages_per_s"]
head = ("strategy", "pages", "pages/s", "vs never", "first MB", "peak MB", "end MB", "end-first", "peak-first", "reopens")
print("{:<24} {:>6} {:>8} {:>8} {:>9} {:>8} {:>7} {:>9} {:>10} {:>7}".format(*head))
for name, r in rows:
    print("{:<24} {:>6} {:>8.1f} {:>8.2f} {:>9.1f} {:>8.1f} {:>7.1f} {:>+9.1f} {:>+10.1f} {:>7}".format(
        name, r["pages"], r["pages_per_s"], r["pages_per_s"] / base, r["rss_first_mb"], r["rss_peak_mb"],
        r["rss_end_mb"], r["rss_end_mb"] - r["rss_first_mb"], r["rss_peak_mb"] - r["rss_first_mb"],
        r["pdfium"]["recycles"]))
