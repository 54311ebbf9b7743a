#!/usr/bin/env bash
# Derive the embedding model from the `embedding_source` artifact (sentence-transformers all-MiniLM-L6-v2
# safetensors, fetched by models/fetch.py): converts it to ONNX without torch (models/convert_minilm.py),
# checks the result against an independent numpy forward pass (models/check_minilm.py), and installs
#   all-minilm-l6-v2.onnx   (artifact `embedding`)
#   minilm-tokenizer.json   (artifact `embedding_tokenizer`)
# into $FOLIO_MODELS_DIR or models/cache, once their sha256 matches models/manifest.json.
#
# The converter runs in its own virtual environment, <cache>/venv-convert, with pinned packages (so the
# output is byte-for-byte reproducible). Idempotent: when both outputs are present with the manifest's
# sha256 it does nothing. Exit status is non-zero, with what failed named, on any failure.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE="${FOLIO_MODELS_DIR:-$HERE/cache}"
VENV="$CACHE/venv-convert"
PYTHON="${PYTHON:-python3}"
# onnx and protobuf decide the serialized bytes; numpy reads the weights; tokenizers and onnxruntime check.
PINS=(onnx==1.23.2 protobuf==7.36.2 numpy==2.4.6 tokenizers==0.23.3 onnxruntime==1.31.1)

fail() { echo "convert: error: $*" >&2; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# "file sha256" for each derived artifact this script makes.
expected="$("$PYTHON" - "$HERE/manifest.json" <<'EOF'
import json, sys
for a in json.load(open(sys.argv[1]))["artifacts"]:
    if a["kind"] == "derived" and a.get("derived_by") == "models/convert.sh":
        print(a["file"], a["sha256"])
EOF
)" || fail "could not read derived artifacts from $HERE/manifest.json"
[ -n "$expected" ] || fail "models/manifest.json lists no artifact derived by models/convert.sh"

# Prints the files in $1 whose sha256 differs from the manifest's (or that are missing).
mismatched() {
    local dir="$1" file sha actual
    while read -r file sha; do
        actual="$( [ -f "$dir/$file" ] && sha256sum "$dir/$file" | cut -d' ' -f1 || echo missing)"
        [ "$actual" = "$sha" ] || echo "$file $actual $sha"
    done <<< "$expected"
}

if [ -z "$(mismatched "$CACHE")" ]; then
    echo "convert: all-MiniLM-L6-v2 ONNX model and tokenizer up to date in $CACHE" >&2
    exit 0
fi

# The pinned virtual environment; reinstalled when the pins change.
stamp="$VENV/.folio-pins"
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "${PINS[*]}" ]; then
    t="$(now)"
    echo "convert: installing ${PINS[*]} into $VENV" >&2
    mkdir -p "$CACHE"
    "$PYTHON" -m venv "$VENV" || fail "could not create the virtual environment $VENV with $PYTHON"
    "$VENV/bin/python" -m pip install --disable-pip-version-check -q "${PINS[@]}" \
        || fail "could not pip install ${PINS[*]} into $VENV"
    echo "${PINS[*]}" > "$stamp"
    echo "convert: virtual environment ready ($(since "$t") s)" >&2
fi

# Convert and check into a scratch directory; install only outputs that pass and match the manifest.
work="$CACHE/.convert-minilm.tmp"
rm -rf "$work"
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT

t="$(now)"
"$VENV/bin/python" "$HERE/convert_minilm.py" --out-dir "$work" \
    || fail "models/convert_minilm.py failed to convert $CACHE/all-minilm-l6-v2.zip"
echo "convert: conversion took $(since "$t") s" >&2

t="$(now)"
"$VENV/bin/python" "$HERE/check_minilm.py" --model "$work/all-minilm-l6-v2.onnx" \
    --tokenizer "$work/minilm-tokenizer.json" --source "$CACHE/all-minilm-l6-v2.zip" \
    || fail "models/check_minilm.py rejected the converted model (see above)"
echo "convert: check took $(since "$t") s" >&2

bad="$(mismatched "$work")"
if [ -n "$bad" ]; then
    while read -r file actual sha; do
        echo "convert: error: $file: sha256 $actual does not match the manifest's $sha" >&2
    done <<< "$bad"
    fail "the converted files differ from models/manifest.json: the converter or its source changed, or the output is not reproducible with ${PINS[*]}; if the change is meant, record the new sha256 in models/manifest.json"
fi

while read -r file sha; do
    mv -f "$work/$file" "$CACHE/$file"
    echo "convert: $file ready ($sha)" >&2
done <<< "$expected"
