#!/usr/bin/env python3
"""Convert sentence-transformers all-MiniLM-L6-v2 (safetensors, in the `embedding_source` zip) to ONNX.

No torch: the weights are read straight from model.safetensors with numpy and the BERT encoder graph
is written op by op with onnx.helper. Run by models/convert.sh inside its pinned virtual environment.

Inputs  (int64, [batch, seq], both axes dynamic, seq <= 512):
    input_ids, attention_mask (1 = token, 0 = padding), token_type_ids (all 0 for one sentence)
Output  (float32, [batch, seq, 384]):
    last_hidden_state: token embeddings. Pooling (mean over attention_mask) and L2 normalisation are
    left to the caller.

Writes, into $FOLIO_MODELS_DIR or models/cache (or --out-dir):
    all-minilm-l6-v2.onnx    the model
    minilm-tokenizer.json    tokenizer.json from the zip, byte for byte
Output is deterministic: fixed names, no timestamps, weights copied bit-exactly (only transposed).
Each file is written under a temporary name and renamed into place; sha256 of both is printed.
"""
import argparse
import hashlib
import io
import json
import math
import os
import struct
import sys
import zipfile
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = Path(__file__).resolve().parent
SOURCE_ID = "embedding_source"
MODEL_FILE = "all-minilm-l6-v2.onnx"
TOKENIZER_FILE = "minilm-tokenizer.json"
OPSET = 17      # LayerNormalization needs 17; nothing newer is used
IR_VERSION = 8  # the IR version that goes with opset 17

# all-MiniLM-L6-v2's config.json; checked against the zip's copy before converting.
CONFIG = {"hidden_size": 384, "num_hidden_layers": 6, "num_attention_heads": 12,
          "intermediate_size": 1536, "vocab_size": 30522, "max_position_embeddings": 512,
          "type_vocab_size": 2, "hidden_act": "gelu", "layer_norm_eps": 1e-12,
          "position_embedding_type": "absolute"}

DTYPES = {"F32": np.dtype("<f4"), "F16": np.dtype("<f2"), "I64": np.dtype("<i8"), "I32": np.dtype("<i4")}


def fail(message: str) -> "None":
    print(f"convert_minilm: error: {message}", file=sys.stderr)
    sys.exit(1)


def cache_dir() -> Path:
    env = os.environ.get("FOLIO_MODELS_DIR")
    return Path(env) if env else HERE / "cache"


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_safetensors(data: bytes) -> dict:
    """safetensors: u64 little-endian header length, JSON header, then the raw little-endian tensors."""
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    base = 8 + n
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype = DTYPES.get(info["dtype"])
        if dtype is None:
            fail(f"model.safetensors: tensor {name} has unsupported dtype {info['dtype']}")
        start, end = info["data_offsets"]
        arr = np.frombuffer(data, dtype=dtype, count=(end - start) // dtype.itemsize, offset=base + start)
        tensors[name] = arr.reshape(info["shape"])
    return tensors


class Graph:
    """Collects nodes and initializers with deterministic, readable names."""

    def __init__(self):
        self.nodes, self.inits, self.count = [], [], {}

    def init(self, name: str, array: np.ndarray) -> str:
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def op(self, op_type: str, inputs: list, scope: str, **attrs) -> str:
        key = f"{scope}/{op_type}"
        i = self.count.get(key, 0)
        self.count[key] = i + 1
        name = key if i == 0 else f"{key}_{i}"
        self.nodes.append(helper.make_node(op_type, inputs, [name], name=name, **attrs))
        return name


def build(w: dict, cfg: dict) -> onnx.ModelProto:
    hidden, heads = cfg["hidden_size"], cfg["num_attention_heads"]
    head_dim = hidden // heads
    eps = float(cfg["layer_norm_eps"])
    g = Graph()

    def f32(x):
        return np.asarray(x, dtype=np.float32)

    def i64(x):
        return np.asarray(x, dtype=np.int64)

    # Shared constants.
    c_one = g.init("const.one", f32(1.0))
    c_half = g.init("const.half", f32(0.5))
    c_sqrt2 = g.init("const.sqrt2", f32(math.sqrt(2.0)))
    c_scale = g.init("const.attention_scale", f32(math.sqrt(head_dim)))
    c_neg = g.init("const.mask_min", f32(np.finfo(np.float32).min))
    c_zero_1d = g.init("const.zero_1d", i64([0]))
    c_one_1d = g.init("const.one_1d", i64([1]))
    c_two_1d = g.init("const.two_1d", i64([2]))
    c_mask_axes = g.init("const.mask_axes", i64([1, 2]))
    c_split_heads = g.init("const.split_heads_shape", i64([0, 0, heads, head_dim]))
    c_merge_heads = g.init("const.merge_heads_shape", i64([0, 0, hidden]))

    def linear(x, prefix, scope):
        # torch Linear stores [out, in]; MatMul wants [in, out]. Transposition is exact.
        wt = g.init(f"{prefix}.weight.T", w[f"{prefix}.weight"].T)
        b = g.init(f"{prefix}.bias", w[f"{prefix}.bias"])
        return g.op("Add", [g.op("MatMul", [x, wt], scope), b], scope)

    def layer_norm(x, prefix, scope):
        gamma = g.init(f"{prefix}.weight", w[f"{prefix}.weight"])
        beta = g.init(f"{prefix}.bias", w[f"{prefix}.bias"])
        return g.op("LayerNormalization", [x, gamma, beta], scope, axis=-1, epsilon=eps)

    # Embeddings: word + absolute position (0..seq-1) + token type, then LayerNorm.
    s = "embeddings"
    word = g.init("embeddings.word_embeddings.weight", w["embeddings.word_embeddings.weight"])
    pos = g.init("embeddings.position_embeddings.weight", w["embeddings.position_embeddings.weight"])
    typ = g.init("embeddings.token_type_embeddings.weight", w["embeddings.token_type_embeddings.weight"])
    seq_len = g.op("Slice", [g.op("Shape", ["input_ids"], s), c_one_1d, c_two_1d], s)
    positions = g.op("Slice", [pos, c_zero_1d, seq_len, c_zero_1d], s)  # [seq, hidden]
    x = g.op("Add", [g.op("Gather", [word, "input_ids"], s, axis=0),
                     g.op("Gather", [typ, "token_type_ids"], s, axis=0)], s)
    x = g.op("Add", [x, positions], s)
    x = layer_norm(x, "embeddings.LayerNorm", s)

    # Additive attention bias: 0 where attention_mask is 1, float32 min where it is 0; [batch, 1, 1, seq].
    s = "attention_bias"
    mask = g.op("Cast", ["attention_mask"], s, to=TensorProto.FLOAT)
    bias = g.op("Mul", [g.op("Sub", [c_one, mask], s), c_neg], s)
    bias = g.op("Unsqueeze", [bias, c_mask_axes], s)

    for i in range(cfg["num_hidden_layers"]):
        p = f"encoder.layer.{i}"
        s = f"layer{i}/attention"
        q = g.op("Transpose", [g.op("Reshape", [linear(x, f"{p}.attention.self.query", s), c_split_heads], s)], s,
                 perm=[0, 2, 1, 3])                                        # [b, h, seq, d]
        k = g.op("Transpose", [g.op("Reshape", [linear(x, f"{p}.attention.self.key", s), c_split_heads], s)], s,
                 perm=[0, 2, 3, 1])                                        # [b, h, d, seq]
        v = g.op("Transpose", [g.op("Reshape", [linear(x, f"{p}.attention.self.value", s), c_split_heads], s)], s,
                 perm=[0, 2, 1, 3])                                        # [b, h, seq, d]
        scores = g.op("Add", [g.op("Div", [g.op("MatMul", [q, k], s), c_scale], s), bias], s)
        probs = g.op("Softmax", [scores], s, axis=-1)
        ctx = g.op("Transpose", [g.op("MatMul", [probs, v], s)], s, perm=[0, 2, 1, 3])
        ctx = g.op("Reshape", [ctx, c_merge_heads], s)                     # [b, seq, hidden]
        attn = linear(ctx, f"{p}.attention.output.dense", s)
        x = layer_norm(g.op("Add", [attn, x], s), f"{p}.attention.output.LayerNorm", s)

        s = f"layer{i}/ffn"
        h = linear(x, f"{p}.intermediate.dense", s)
        # Exact GELU: 0.5 * h * (1 + erf(h / sqrt(2)))
        erf = g.op("Erf", [g.op("Div", [h, c_sqrt2], s)], s)
        h = g.op("Mul", [g.op("Mul", [h, c_half], s), g.op("Add", [erf, c_one], s)], s)
        out = linear(h, f"{p}.output.dense", s)
        x = layer_norm(g.op("Add", [out, x], s), f"{p}.output.LayerNorm", s)

    g.nodes.append(helper.make_node("Identity", [x], ["last_hidden_state"], name="output/Identity"))

    ids = [helper.make_tensor_value_info(n, TensorProto.INT64, ["batch", "sequence"])
           for n in ("input_ids", "attention_mask", "token_type_ids")]
    out = helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, ["batch", "sequence", hidden])
    graph = helper.make_graph(g.nodes, "all-MiniLM-L6-v2", ids, [out], initializer=g.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="folio models/convert_minilm.py", producer_version="1")
    model.ir_version = IR_VERSION
    model.doc_string = ("sentence-transformers/all-MiniLM-L6-v2 BERT encoder, converted from safetensors without torch. "
                        "Output: token embeddings; mean-pool with attention_mask and L2-normalise for sentence embeddings.")
    onnx.checker.check_model(model, full_check=True)
    return model


def write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.chmod(0o644)
    tmp.replace(path)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out-dir", type=Path, default=None, help="where to write (default: the models cache dir)")
    ap.add_argument("--source", type=Path, default=None, help="the all-minilm-l6-v2.zip (default: in the cache dir)")
    args = ap.parse_args()

    manifest = json.loads((HERE / "manifest.json").read_text())
    src_art = next((a for a in manifest["artifacts"] if a["id"] == SOURCE_ID), None)
    if src_art is None:
        fail(f"models/manifest.json has no artifact '{SOURCE_ID}'")
    out_dir = args.out_dir or cache_dir()
    source = args.source or cache_dir() / src_art["file"]
    if not source.exists():
        fail(f"{source} is missing; run `python3 models/fetch.py` first")
    blob = source.read_bytes()
    if sha256_bytes(blob) != src_art["sha256"]:
        fail(f"{source}: sha256 {sha256_bytes(blob)} does not match the manifest's {src_art['sha256']}; "
             f"run `python3 models/fetch.py` to fetch it again")

    try:
        with zipfile.ZipFile(io.BytesIO(blob)) as zf:
            config = json.loads(zf.read("config.json"))
            tokenizer = zf.read("tokenizer.json")
            weights_blob = zf.read("model.safetensors")
    except KeyError as e:
        fail(f"{source.name} lacks {e}")
    for key, want in CONFIG.items():
        if config.get(key) != want:
            fail(f"{source.name}: config.json {key} = {config.get(key)!r}, expected {want!r}")
    weights = read_safetensors(weights_blob)

    model = build(weights, config)
    data = model.SerializeToString(deterministic=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    outputs = [(out_dir / MODEL_FILE, data), (out_dir / TOKENIZER_FILE, tokenizer)]
    for path, content in outputs:
        write_atomic(path, content)
    print(f"convert_minilm: onnx {onnx.__version__}, numpy {np.__version__}, opset {OPSET}, "
          f"{len(model.graph.node)} nodes, {len(model.graph.initializer)} initializers")
    for path, content in outputs:
        print(f"{sha256_bytes(content)}  {path.name}  ({len(content)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
