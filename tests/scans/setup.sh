#!/usr/bin/env bash
# A virtual environment with what tests/scans/make_scanned_pdf.py needs (from PyPI), in target/scans-venv.
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=target/scans-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q pypdfium2==5.15.2 pillow==13.0.0 img2pdf==0.6.3
fi
echo "$venv/bin/python"
