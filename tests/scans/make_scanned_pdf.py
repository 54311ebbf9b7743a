#!/usr/bin/env python3
"""Make a scanned-like, image-only PDF from pages of a born-digital one: each page rendered, turned by a
slight skew, blurred, given noise and saved as a JPEG, then the JPEGs put together as PDF pages. The original
text layer is the truth to measure recognition against; this file only makes the scans.

Usage: make_scanned_pdf.py SOURCE.pdf OUT.pdf [--first 1] [--pages N] [--dpi 200] [--seed 7]
(--first: the first page to take, counted from 1; page N of the scan is page first + N - 1 of SOURCE.)
Needs pypdfium2, Pillow and img2pdf (tests/scans/setup.sh puts them in a virtual environment).
"""
import argparse
import io
import random
import tempfile
from pathlib import Path

import img2pdf
import pypdfium2 as pdfium
from PIL import Image, ImageFilter


def scan(page_image: Image.Image, rng: random.Random) -> bytes:
    gray = page_image.convert("L")
    skew = rng.uniform(-1.2, 1.2)
    gray = gray.rotate(skew, resample=Image.BICUBIC, expand=False, fillcolor=255)
    gray = gray.filter(ImageFilter.GaussianBlur(radius=rng.uniform(0.4, 0.9)))
    noise = Image.effect_noise(gray.size, rng.uniform(8.0, 16.0))
    gray = Image.blend(gray, noise, 0.08)
    out = io.BytesIO()
    gray.save(out, format="JPEG", quality=rng.randint(55, 75))
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source")
    parser.add_argument("out")
    parser.add_argument("--first", type=int, default=1)
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--dpi", type=float, default=200.0)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    pdf = pdfium.PdfDocument(args.source)
    first = max(args.first, 1) - 1
    count = max(0, min(args.pages, len(pdf) - first))
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for i in range(count):
            bitmap = pdf[first + i].render(scale=args.dpi / 72.0)
            path = Path(tmp) / f"{i:05d}.jpg"
            path.write_bytes(scan(bitmap.to_pil(), rng))
            files.append(str(path))
        layout = img2pdf.get_fixed_dpi_layout_fun((args.dpi, args.dpi))
        Path(args.out).write_bytes(img2pdf.convert(files, layout_fun=layout))
    print(f"{args.out}: {count} scanned pages at {args.dpi:g} dpi from pages {first + 1}-{first + count} of {args.source}")


if __name__ == "__main__":
    main()
