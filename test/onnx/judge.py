# The ONNX tier's judge: one long-lived Python process with onnxruntime and onnx (importing them
# takes a second) that answers JSON-line requests on stdin with JSON lines on stdout, one answer per
# request, in order. It shares no code with Quench's reader: the file is what onnxruntime and
# onnx.checker make of it.
#
#   {"id": 1, "op": "load_predict", "path": "m.onnx", "input": {"path": "x.f32", "shape": [256, 1, 28, 28]},
#    "output": "y.f32"}
#     -> {"id": 1, "ok": true, "result": {"outputShape", "inputShape", "opset", "ops", "nodes",
#        "initializers": [{name, shape, zeros}], "params", "producer", "metadata"}};
#        onnx.checker.check_model(full_check=True) passed; the predictions went to "output" as
#        little-endian float32.
#   {"id": 2, "op": "accuracy", "path": "m.onnx", "images": "…-images-idx3-ubyte.gz", "labels": "…",
#    "limit": 2000} -> {"top1": percent, "count": n}  (pixels / 255, NCHW)
#   {"id": 3, "op": "conv_shapes", "path": "m.onnx"} -> {"Conv": [[N, C, H, W], ...], "Gemm": [...]}: the
#     output shape of every Conv / Gemm / MatMul node by onnx.shape_inference, in node order
#   {"id": 4, "op": "fixed_batch", "path": "m.onnx", "batch": 7, "out": "m7.onnx"} -> {"out"}: a copy whose
#     graph input and outputs fix the batch dimension (as torch.onnx.export without dynamic axes
#     writes), checked by onnx.checker
#   {"id": 5, "op": "versions"} -> {"onnx", "onnxruntime", "numpy", "python"}
#   A failure answers {"id": n, "ok": false, "error": "<Type>: <message>", "traceback": "..."}.
#
# Anything libraries print goes to stderr: stdout carries the answers only.
import json
import os
import sys
import traceback

answers = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
os.dup2(2, 1)
sys.stdout = sys.stderr

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import onnxruntime as ort  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
from idx import read_idx  # noqa: E402


def session(path):
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def run(path, x, batch=256):
    s = session(path)
    inputs = s.get_inputs()
    if len(inputs) != 1:
        raise ValueError(f"{path} takes {len(inputs)} inputs; the tier judges single-input classifiers")
    outputs = [np.asarray(s.run(None, {inputs[0].name: x[i:i + batch]})[0], dtype="<f4") for i in range(0, len(x), batch)]
    return np.concatenate(outputs), inputs[0]


def describe_model(path):
    model = onnx.load(path)  # external data (if any) is loaded from beside the file
    onnx.checker.check_model(path, full_check=True)
    graph = model.graph
    initializers = []
    for t in graph.initializer:
        value = onnx.numpy_helper.to_array(t, base_dir=os.path.dirname(path))
        initializers.append({"name": t.name, "shape": list(value.shape), "zeros": int(np.count_nonzero(value == 0))})
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), None)
    return {
        "opset": opset,
        "ops": sorted({n.op_type for n in graph.node}),
        "nodes": [n.name for n in graph.node],
        "initializers": initializers,
        "params": int(sum(int(np.prod(i["shape"])) for i in initializers)),
        "producer": model.producer_name,
        "metadata": {p.key: p.value for p in model.metadata_props},
        "graphInputs": [i.name for i in graph.input],
    }


def load_predict(req):
    info = describe_model(req["path"])
    x = np.fromfile(req["input"]["path"], dtype="<f4").reshape(req["input"]["shape"])
    y, inp = run(req["path"], x, req.get("batch", 256))
    y.tofile(req["output"])
    return {**info, "outputShape": list(y.shape), "inputShape": [d if isinstance(d, int) else None for d in inp.shape]}


def accuracy(req):
    limit = req.get("limit")
    images = read_idx(req["images"])[:limit]
    labels = read_idx(req["labels"]).astype(np.int64)[:limit]
    x = images.astype(np.float32)[:, None] / 255.0
    y, _ = run(req["path"], x, 1000)
    return {"top1": float(np.mean(np.argmax(y, axis=-1) == labels) * 100), "count": int(len(labels))}


def conv_shapes(req):
    model = onnx.shape_inference.infer_shapes(onnx.load(req["path"]), strict_mode=True)
    graph = model.graph
    known = {v.name: v for v in [*graph.value_info, *graph.output]}
    shapes = {}
    for node in graph.node:
        if node.op_type not in ("Conv", "Gemm", "MatMul"):
            continue
        info = known.get(node.output[0])
        if info is None:
            raise ValueError(f"shape inference gave no shape for {node.name} ({node.op_type})")
        dims = [d.dim_value if d.HasField("dim_value") else None for d in info.type.tensor_type.shape.dim]
        shapes.setdefault("Gemm" if node.op_type == "MatMul" else node.op_type, []).append(dims)
    return shapes


def fixed_batch(req):
    model = onnx.load(req["path"])
    for value in [*model.graph.input[:1], *model.graph.output]:
        dim = value.type.tensor_type.shape.dim[0]
        dim.ClearField("dim_param")
        dim.dim_value = int(req["batch"])
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, req["out"])
    return {"out": req["out"]}


def versions(_req):
    return {"onnx": onnx.__version__, "onnxruntime": ort.__version__, "numpy": np.__version__, "python": sys.version.split()[0]}


OPS = {"load_predict": load_predict, "accuracy": accuracy, "conv_shapes": conv_shapes, "fixed_batch": fixed_batch, "versions": versions}


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
            message = str(e).strip()
            answer = {"id": req.get("id"), "ok": False, "error": f"{type(e).__name__}: {message[:1500]}",
                      "traceback": "".join(traceback.format_tb(e.__traceback__)[-2:])}
        answers.write(json.dumps(answer) + "\n")


main()
