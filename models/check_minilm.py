#!/usr/bin/env python3
"""Check the converted all-MiniLM-L6-v2 ONNX model against an independent numpy BERT forward pass.

The reference reads model.safetensors from the `embedding_source` zip on its own (no code shared with
convert_minilm.py) and runs the encoder in float64 with exact GELU (math.erf). Both sides get the same
token ids from `tokenizers` loaded from minilm-tokenizer.json; sentence embeddings are the attention-mask
mean of last_hidden_state, L2-normalised (sentence-transformers' Pooling + Normalize).

Checked, each cosine >= 0.9999 against the numpy reference:
  * every sentence run alone through ONNX Runtime;
  * all sentences in one right-padded batch (padding must not change any embedding);
  * the tokenizer exactly as shipped (it pads to a fixed 128 and truncates at 128).
Then a semantic sanity check: every paraphrase pair scores above every unrelated pair.

Runs in models/convert.sh's virtual environment (it needs numpy, onnxruntime, tokenizers); also
runnable alone: `models/cache/venv-convert/bin/python models/check_minilm.py`.
Exit status is non-zero, naming what failed, on any failure.
"""
import argparse
import json
import math
import os
import sys
import time
import zipfile
from pathlib import Path

# Keep the check light on a shared machine; the caller may override.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
import onnxruntime as ort  # noqa: E402
from tokenizers import Tokenizer  # noqa: E402

HERE = Path(__file__).resolve().parent
MIN_COSINE = 0.9999
MAX_LEN = 512
HIDDEN = 384

LONG_A = ("Folio is a desktop workbench for documents: it opens PDFs and scanned pages, finds the layout of "
          "each page, reads the text with OCR where there is no text layer, recognises tables and their cells, "
          "and keeps everything searchable on the local machine without sending a single byte to a server. "
          "Search works on meaning as well as on words, so a question like 'when is the invoice due?' finds "
          "the paragraph that says 'payment is expected within thirty days of receipt'.")
LONG_B = (LONG_A + " The embedding model is small enough to run on a laptop CPU, and the index is rebuilt "
          "incrementally whenever a document changes. " + LONG_A.upper() + " Numbers such as 3.14159, "
          "2,718.28 and -42 are tokenised digit by digit; dates like 2025-01-31 split on the dashes.")
LONG_C = " ".join([LONG_B] * 4)  # well past 512 tokens: truncated to the model's 512 positions

SENTENCES = [
    "",
    "Hi",
    "OK.",
    "Hello, world!",
    "A man is playing a guitar.",
    "Wait... what?!? (really) -- yes; no: maybe.",
    "Invoice #4521 totals $1,234.56, due 2024-03-15 at 17:30 UTC (net 30).",
    "The quick brown fox jumps over the lazy dog 3 times in 2.5 seconds.",
    "Der schnelle braune Fuchs springt über den faulen Hund.",
    "L'été dernier, nous sommes allés à la plage près de Nice.",
    "¿Dónde está la estación de tren más cercana?",
    "我们明天去北京开会。",
    "東京は日本の首都です。",
    "Москва — столица России.",
    "مرحبا بالعالم",
    "Η γρήγορη καφέ αλεπού.",
    "I love pizza 🍕🍕 and café au lait ☕!",
    "def f(x): return x**2 + 3*x - 1  # quadratic",
    "SELECT id, name FROM users WHERE age > 21 ORDER BY name DESC;",
    '{"key": [1, 2, 3], "nested": {"a": null, "b": true}}',
    "https://example.com/path/to/page?query=1&b=2#fragment",
    "C:\\Users\\folio\\Documents\\report_v2 (final).pdf",
    "ALL CAPS SHOUTING TEXT WITH NO PUNCTUATION",
    "  lots   of\tspaces \n and\n\nnewlines  ",
    LONG_A,
    LONG_B,
    LONG_C,
]

PARAPHRASES = [
    ("A man is playing a guitar.", "Someone is strumming a guitar."),
    ("The cat sits on the mat.", "A cat is sitting on a rug."),
    ("How do I reset my password?", "What are the steps to change a forgotten password?"),
    ("The stock market fell sharply today.", "Share prices dropped steeply on the exchange today."),
    ("She is reading a book in the library.", "A woman reads a novel at the library."),
    ("The meeting has been moved to Friday.", "We rescheduled the meeting for Friday."),
]
UNRELATED = [
    ("A man is playing a guitar.", "The stock market fell sharply today."),
    ("How do I reset my password?", "The cat sits on the mat."),
    ("Bananas are rich in potassium.", "The train leaves at midnight."),
    ("Quantum computers use qubits.", "My grandmother knits scarves in winter."),
    ("The meeting has been moved to Friday.", "Volcanoes erupt molten lava."),
    ("She is reading a book in the library.", "The recipe calls for two eggs."),
]


def fail(message: str) -> "None":
    print(f"check_minilm: FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def cache_dir() -> Path:
    env = os.environ.get("FOLIO_MODELS_DIR")
    return Path(env) if env else HERE / "cache"


# ---------------------------------------------------------------- independent numpy reference

def load_weights(zip_path: Path) -> tuple:
    with zipfile.ZipFile(zip_path) as zf:
        blob = zf.read("model.safetensors")
        config = json.loads(zf.read("config.json"))
    header_len = int.from_bytes(blob[:8], "little")
    header = json.loads(blob[8:8 + header_len].decode("utf-8"))
    weights = {}
    for name, meta in header.items():
        if name == "__metadata__" or meta["dtype"] != "F32":
            continue
        lo, hi = meta["data_offsets"]
        raw = np.frombuffer(blob[8 + header_len + lo: 8 + header_len + hi], dtype="<f4")
        weights[name] = raw.reshape(meta["shape"]).astype(np.float64)
    return weights, config


_erf = np.vectorize(math.erf, otypes=[np.float64])


class NumpyBert:
    """BERT encoder (post-LayerNorm, absolute positions), float64, straight from the HF weight names."""

    def __init__(self, weights: dict, config: dict):
        self.w, self.cfg = weights, config
        self.heads = config["num_attention_heads"]
        self.eps = config["layer_norm_eps"]

    def _ln(self, x, name):
        mu = x.mean(-1, keepdims=True)
        var = ((x - mu) ** 2).mean(-1, keepdims=True)
        return (x - mu) / np.sqrt(var + self.eps) * self.w[name + ".weight"] + self.w[name + ".bias"]

    def _dense(self, x, name):
        return x @ self.w[name + ".weight"].T + self.w[name + ".bias"]

    def __call__(self, ids: np.ndarray, mask: np.ndarray, types: np.ndarray) -> np.ndarray:
        b, n = ids.shape
        w = self.w
        x = (w["embeddings.word_embeddings.weight"][ids]
             + w["embeddings.position_embeddings.weight"][np.arange(n)][None]
             + w["embeddings.token_type_embeddings.weight"][types])
        x = self._ln(x, "embeddings.LayerNorm")
        hd = x.shape[-1] // self.heads
        neg = np.where(mask[:, None, None, :] > 0, 0.0, -np.inf)

        def split(t):
            return t.reshape(b, n, self.heads, hd).transpose(0, 2, 1, 3)

        for i in range(self.cfg["num_hidden_layers"]):
            p = f"encoder.layer.{i}."
            q = split(self._dense(x, p + "attention.self.query"))
            k = split(self._dense(x, p + "attention.self.key"))
            v = split(self._dense(x, p + "attention.self.value"))
            s = q @ k.transpose(0, 1, 3, 2) / math.sqrt(hd) + neg
            s = np.exp(s - s.max(-1, keepdims=True))
            a = s / s.sum(-1, keepdims=True)
            ctx = (a @ v).transpose(0, 2, 1, 3).reshape(b, n, -1)
            x = self._ln(self._dense(ctx, p + "attention.output.dense") + x, p + "attention.output.LayerNorm")
            h = self._dense(x, p + "intermediate.dense")
            h = 0.5 * h * (1.0 + _erf(h / math.sqrt(2.0)))
            x = self._ln(self._dense(h, p + "output.dense") + x, p + "output.LayerNorm")
        return x


# ---------------------------------------------------------------- helpers

def pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    m = mask[..., None].astype(np.float64)
    summed = (hidden.astype(np.float64) * m).sum(1)
    mean = summed / np.maximum(m.sum(1), 1e-9)
    return mean / np.maximum(np.linalg.norm(mean, axis=1, keepdims=True), 1e-12)


def arrays(encodings) -> tuple:
    ids = np.array([e.ids for e in encodings], dtype=np.int64)
    mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
    types = np.array([e.type_ids for e in encodings], dtype=np.int64)
    return ids, mask, types


def check_interface(sess: ort.InferenceSession) -> None:
    inputs = {i.name: i for i in sess.get_inputs()}
    if sorted(inputs) != ["attention_mask", "input_ids", "token_type_ids"]:
        fail(f"model inputs are {sorted(inputs)}")
    for i in inputs.values():
        if i.type != "tensor(int64)" or len(i.shape) != 2 or any(isinstance(d, int) for d in i.shape):
            fail(f"input {i.name}: {i.type} {i.shape}, expected int64 [batch, sequence] with dynamic axes")
    outs = sess.get_outputs()
    if [o.name for o in outs] != ["last_hidden_state"] or outs[0].type != "tensor(float)" \
            or outs[0].shape[2] != HIDDEN or any(isinstance(d, int) for d in outs[0].shape[:2]):
        fail(f"outputs are {[(o.name, o.type, o.shape) for o in outs]}, expected last_hidden_state float [b, s, 384]")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    d = cache_dir()
    ap.add_argument("--model", type=Path, default=d / "all-minilm-l6-v2.onnx")
    ap.add_argument("--tokenizer", type=Path, default=d / "minilm-tokenizer.json")
    ap.add_argument("--source", type=Path, default=d / "all-minilm-l6-v2.zip")
    args = ap.parse_args()
    for p in (args.model, args.tokenizer, args.source):
        if not p.exists():
            fail(f"{p} is missing; run models/convert.sh (or `python3 models/fetch.py`)")

    started = time.monotonic()
    print(f"check_minilm: onnxruntime {ort.__version__}, numpy {np.__version__}")
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = int(os.environ.get("OMP_NUM_THREADS", "1"))
    opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(str(args.model), opts, providers=["CPUExecutionProvider"])
    check_interface(sess)
    ref = NumpyBert(*load_weights(args.source))

    def run_onnx(ids, mask, types):
        return sess.run(["last_hidden_state"], {"input_ids": ids, "attention_mask": mask, "token_type_ids": types})[0]

    shipped = Tokenizer.from_file(str(args.tokenizer))
    single = Tokenizer.from_file(str(args.tokenizer))
    single.no_padding()
    single.enable_truncation(MAX_LEN)
    batched = Tokenizer.from_file(str(args.tokenizer))
    batched.enable_truncation(MAX_LEN)
    batched.enable_padding(pad_id=0, pad_type_id=0, pad_token="[PAD]")  # pad to the longest, on the right

    # Singles: numpy reference vs ONNX, one sentence at a time.
    encs = single.encode_batch(SENTENCES)
    lengths = [len(e.ids) for e in encs]
    if max(lengths) != MAX_LEN or sorted(lengths)[-3] < 100:
        fail(f"test sentences do not cover long inputs (token counts {lengths})")
    ref_emb, onnx_emb, worst_token_diff = [], [], 0.0
    for e in encs:
        ids, mask, types = arrays([e])
        r = ref(ids, mask, types)
        o = run_onnx(ids, mask, types)
        if o.shape != (1, len(e.ids), HIDDEN) or o.dtype != np.float32:
            fail(f"ONNX output {o.dtype} {o.shape} for {len(e.ids)} tokens")
        worst_token_diff = max(worst_token_diff, float(np.abs(r - o).max()))
        ref_emb.append(pool(r, mask)[0])
        onnx_emb.append(pool(o, mask)[0])
    ref_emb, onnx_emb = np.array(ref_emb), np.array(onnx_emb)

    # One padded batch through ONNX, and the numpy reference on the same padded batch (to the 128-token
    # sentences only, to keep the float64 reference cheap: padding behaviour is the same at any length).
    ids, mask, types = arrays(batched.encode_batch(SENTENCES))
    batch_emb = pool(run_onnx(ids, mask, types), mask)
    short = [i for i, n in enumerate(lengths) if n <= 128]
    sub = [SENTENCES[i] for i in short]
    ids_s, mask_s, types_s = arrays(batched.encode_batch(sub))
    ref_batch_emb = pool(ref(ids_s, mask_s, types_s), mask_s)

    # The tokenizer as shipped: fixed padding to 128, truncation at 128.
    ids_f, mask_f, types_f = arrays(shipped.encode_batch(sub))
    if ids_f.shape[1] != 128:
        fail(f"shipped tokenizer padded to {ids_f.shape[1]}, expected its fixed 128")
    shipped_emb = pool(run_onnx(ids_f, mask_f, types_f), mask_f)

    def cos(a, b):
        return (a * b).sum(-1)

    checks = {
        "numpy single vs onnx single": cos(ref_emb, onnx_emb),
        "numpy single vs onnx padded batch": cos(ref_emb, batch_emb),
        "numpy single vs numpy padded batch": cos(ref_emb[short], ref_batch_emb),
        "numpy single vs onnx shipped tokenizer (pad 128)": cos(ref_emb[short], shipped_emb),
        "onnx single vs onnx padded batch": cos(onnx_emb, batch_emb),
    }
    print(f"check_minilm: {len(SENTENCES)} sentences, {min(lengths)}..{max(lengths)} tokens "
          f"(padded batch {ids.shape[0]}x{ids.shape[1]}); max |numpy - onnx| token value {worst_token_diff:.2e}")
    failures = []
    for name, c in checks.items():
        worst = int(np.argmin(c))
        print(f"  {name:<50} min cosine {c.min():.10f}  (1 - cos = {1 - c.min():.1e}, {len(c)} sentences)")
        if c.min() < MIN_COSINE:
            failures.append(f"{name}: cosine {c.min():.6f} < {MIN_COSINE} for sentence #{worst}")
    overall = min(float(c.min()) for c in checks.values())
    print(f"check_minilm: min cosine numpy vs onnx: {overall:.10f} (required >= {MIN_COSINE})")
    if failures:
        fail("; ".join(failures))

    # Semantic sanity: paraphrases above unrelated pairs.
    texts = sorted({t for pair in PARAPHRASES + UNRELATED for t in pair})
    ids, mask, types = arrays(batched.encode_batch(texts))
    emb = dict(zip(texts, pool(run_onnx(ids, mask, types), mask)))
    para = [float(emb[a] @ emb[b]) for a, b in PARAPHRASES]
    unrel = [float(emb[a] @ emb[b]) for a, b in UNRELATED]
    print("check_minilm: paraphrase pairs:")
    for (a, b), s in zip(PARAPHRASES, para):
        print(f"  {s:.4f}  {a!r} ~ {b!r}")
    print("check_minilm: unrelated pairs:")
    for (a, b), s in zip(UNRELATED, unrel):
        print(f"  {s:.4f}  {a!r} ~ {b!r}")
    print(f"check_minilm: lowest paraphrase {min(para):.4f} > highest unrelated {max(unrel):.4f}: "
          f"{min(para) > max(unrel)}")
    if not min(para) > max(unrel):
        fail(f"semantic check: lowest paraphrase score {min(para):.4f} is not above highest unrelated {max(unrel):.4f}")
    print(f"check_minilm: ok ({time.monotonic() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
