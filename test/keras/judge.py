# The Keras tier's judge: one long-lived Python process (importing TensorFlow takes seconds) that
# answers JSON-line requests on stdin with JSON lines on stdout, one answer per request, in order.
#
#   {"id": 1, "op": "load_predict", "path": "m.keras", "input": {"path": "x.f32", "shape": [256, 28, 28, 1]},
#    "output": "y.f32"}
#     -> {"id": 1, "ok": true, "result": {"params", "outputShape", "weights": [{layer, class, name, path,
#        shape, zeros}], "className", "chain"}}; the predictions go to "output" as little-endian float32.
#   {"id": 2, "op": "accuracy", "path": "m.keras", "images": "…-images-idx3-ubyte.gz", "labels": "…"}
#     -> {"top1": percent, "count": n}
#   {"id": 3, "op": "versions"} -> {"keras", "tensorflow", "numpy", "h5py", "python"}
#   {"id": 4, "op": "build_predict", "source": "model.py", "function": "build_model", "weights": "m.keras",
#    "input": {...}, "output": "y.f32"} -> {"params", "name", "className", "layers": [{name, class}], "outputShape"}
#   A failure answers {"id": n, "ok": false, "error": "<Type>: <message>", "traceback": "..."}.
#
# Anything libraries print goes to stderr: stdout carries the answers only.
import importlib.util
import json
import os
import re
import sys
import traceback

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
answers = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
os.dup2(2, 1)
sys.stdout = sys.stderr

import numpy as np  # noqa: E402
import h5py  # noqa: E402
import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
from idx import read_idx  # noqa: E402


def load(path):
    return keras.models.load_model(path, compile=False)


def walk(layer, out):
    """Every weight of every (nested) layer, with the innermost layer that owns it."""
    for inner in getattr(layer, "layers", None) or []:
        if isinstance(inner, keras.Model):
            walk(inner, out)
            continue
        for w in inner.weights:
            value = np.asarray(w.numpy())
            out.append({
                "layer": inner.name,
                "class": inner.__class__.__name__,
                "name": w.name,
                "path": w.path,
                "shape": list(value.shape),
                "zeros": int(np.count_nonzero(value == 0)),
            })
    return out


def history_refs(node, refs):
    if isinstance(node, dict):
        if "keras_history" in node:
            refs.append(node["keras_history"][0])
        for v in node.values():
            history_refs(v, refs)
    elif isinstance(node, (list, tuple)):
        for v in node:
            history_refs(v, refs)
    return refs


def is_chain(model):
    """Sequential, or functional where each layer takes exactly the previous layer's output."""
    if any(isinstance(l, keras.Model) for l in model.layers):
        return False
    if isinstance(model, keras.Sequential):
        return True
    config = model.get_config()
    # Keras 3 writes a single input or output bare (["image", 0, 0]), several as a list of those.
    count = lambda io: 1 if io and isinstance(io[0], str) else len(io or [])  # noqa: E731
    if count(config.get("input_layers")) != 1 or count(config.get("output_layers")) != 1:
        return False
    previous = None
    for layer in config["layers"]:
        refs = history_refs(layer.get("inbound_nodes", []), [])
        if layer["class_name"] == "InputLayer":
            if previous is not None or refs:
                return False
        elif refs != [previous]:
            return False
        previous = layer["name"]
    return True


def outputs_array(y):
    if isinstance(y, dict):
        y = list(y.values())
    if isinstance(y, (list, tuple)):
        if len(y) != 1:
            raise ValueError(f"the model has {len(y)} outputs; the tier compares single-output classifiers")
        y = y[0]
    return np.asarray(y, dtype="<f4")


def load_predict(req):
    model = load(req["path"])
    shape = req["input"]["shape"]
    x = np.fromfile(req["input"]["path"], dtype="<f4").reshape(shape)
    y = outputs_array(model.predict(x, batch_size=req.get("batch", 256), verbose=0))
    y.tofile(req["output"])
    return {
        "params": int(model.count_params()),
        "outputShape": list(y.shape),
        "weights": walk(model, []),
        "className": model.__class__.__name__,
        "chain": is_chain(model),
    }


def accuracy(req):
    model = load(req["path"])
    images = read_idx(req["images"])
    labels = read_idx(req["labels"]).astype(np.int64)
    x = images.astype(np.float32) / 255.0
    if x.ndim == 3:
        x = x[..., None]
    y = outputs_array(model.predict(x, batch_size=req.get("batch", 1000), verbose=0))
    top1 = float(np.mean(np.argmax(y, axis=-1) == labels) * 100)
    return {"top1": top1, "count": int(len(labels))}


def versions(_req):
    return {
        "keras": keras.__version__,
        "tensorflow": tf.__version__,
        "numpy": np.__version__,
        "h5py": h5py.__version__,
        "python": sys.version.split()[0],
    }


def build_predict(req):
    """Imports the Python file `source` (its __main__ block does not run), calls its `function`
    (default build_model) for a model, loads `weights` into it when given (model.load_weights), and
    predicts on `input` when given, as load_predict does."""
    spec = importlib.util.spec_from_file_location(f"quench_judged_source_{req.get('id')}", req["source"])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    model = getattr(module, req.get("function", "build_model"))()
    if req.get("weights"):
        model.load_weights(req["weights"])
    result = {
        "params": int(model.count_params()),
        "name": model.name,
        "className": model.__class__.__name__,
        "layers": [{"name": layer.name, "class": layer.__class__.__name__} for layer in model.layers],
    }
    if req.get("input"):
        x = np.fromfile(req["input"]["path"], dtype="<f4").reshape(req["input"]["shape"])
        y = outputs_array(model.predict(x, batch_size=req.get("batch", 256), verbose=0))
        y.tofile(req["output"])
        result["outputShape"] = list(y.shape)
    return result


OPS = {"load_predict": load_predict, "accuracy": accuracy, "versions": versions, "build_predict": build_predict}


def describe(e):
    """The exception in a few lines: Keras quotes the whole model config in deserialization errors."""
    message = re.sub(r"config=\{[^\n]*\}\.", "config={…}.", str(e))
    message = re.sub(r"\n\s*\n", "\n", message).strip()
    if len(message) > 1500:
        message = message[:1500] + " …"
    return f"{type(e).__name__}: {message}"


def main():
    for line in sys.stdin:
        if not line.strip():
            continue
        req = {}
        try:
            req = json.loads(line)
            op = OPS.get(req.get("op"))
            if op is None:
                raise ValueError(f"unknown op {req.get('op')!r}")
            answer = {"id": req.get("id"), "ok": True, "result": op(req)}
        except Exception as e:  # every failure is an answer, never a dead judge
            answer = {"id": req.get("id"), "ok": False, "error": describe(e), "traceback": "".join(traceback.format_tb(e.__traceback__)[-2:])}
        keras.backend.clear_session()
        answers.write(json.dumps(answer) + "\n")


main()
