#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Writes the ONNX backend conformance cases of the layer operators as JSON, one file per case.

Run once with Debian's python3-onnx (see README.md); the .NET test reads the files, no Python at test time.
Every case the onnx package's node test generators produce for the operators below is written, including the
ones that are not 2-D float layers: the test lists those as excluded, each with a reason.
"""

import base64
import importlib
import json
import os
import re
import sys

import numpy as np
import onnx
import onnx.helper
from onnx import AttributeProto
import onnx.backend.test.case.node as node_cases

OPS = ("Conv", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "Gemm")

# The node modules that hold these operators' cases. (No other module of onnx.backend.test.case.node makes a
# node of these types; importing all of them, as collect_testcases does, fails on Debian's newer numpy anyway.)
MODULES = ("conv", "maxpool", "averagepool", "globalaveragepool", "globalmaxpool", "gemm")

# Values of larger tensors are left out (shape and dtype kept): only the 3-D pools' 32×32×32 volumes are that large,
# about 1 MB each, and the test excludes 3-D cases. A 2-D case never loses its values (checked below).
MAX_WRITTEN_ELEMENTS = 65536

collected = []


def record(node, inputs, outputs, name, **kwargs):
    """Stands in for onnx.backend.test.case.node.expect: keeps the node, its inputs and its expected outputs."""
    if node.op_type in OPS:
        opset = None
        for o in kwargs.get("opset_imports", []):
            if o.domain in ("", "ai.onnx"):
                opset = o.version
        if opset is None:
            opset = onnx.defs.get_schema(node.op_type, node.domain).since_version
        module = sys._getframe(1).f_globals.get("__name__", "")
        collected.append((node, list(inputs), list(outputs), name, opset, module))


def attribute(a):
    v = onnx.helper.get_attribute_value(a)
    if a.type == AttributeProto.STRING:
        return v.decode("utf-8")
    if a.type == AttributeProto.STRINGS:
        return [s.decode("utf-8") for s in v]
    if a.type in (AttributeProto.INTS, AttributeProto.FLOATS):
        return list(v)
    if a.type in (AttributeProto.INT, AttributeProto.FLOAT):
        return v
    raise ValueError(f"attribute {a.name} of type {a.type} is not written")


def tensor(name, array):
    array = np.asarray(array)
    # The exact values: the array's bytes, little-endian, in its own dtype (float32 stays float32).
    little = array.astype(array.dtype.newbyteorder("<"), copy=False)
    written = {"name": name, "dtype": array.dtype.name, "shape": list(array.shape)}
    if array.size > MAX_WRITTEN_ELEMENTS:
        if array.ndim == 4:
            raise ValueError(f"{name}: a 2-D tensor of {array.size} elements would lose its values")
        written["data"] = None
        written["omitted"] = f"{array.size} elements: values not written (more than {MAX_WRITTEN_ELEMENTS})"
    else:
        written["data"] = base64.b64encode(np.ascontiguousarray(little).tobytes()).decode("ascii")
    return written


def main():
    out = os.path.dirname(os.path.abspath(__file__))
    # Every node module imports expect from the package when it is imported, and its test classes run their
    # export functions (np.random.seed(0) before each) as they are defined: patch first, then import them.
    node_cases.expect = record
    for m in MODULES:
        importlib.import_module(f"{node_cases.__name__}.{m}")

    for f in os.listdir(out):
        if f.endswith(".json"):
            os.remove(os.path.join(out, f))

    index = []
    seen = set()
    for node, inputs, outputs, name, opset, module in collected:
        if name in seen:
            raise ValueError(f"two cases named {name}")
        seen.add(name)
        present_in = [n for n in node.input if n != ""]
        present_out = [n for n in node.output if n != ""]
        case = {
            "name": name,
            "source": f"onnx {onnx.__version__}, {module}",
            "op_type": node.op_type,
            "opset": opset,
            "node_inputs": list(node.input),
            "node_outputs": list(node.output),
            "attributes": {a.name: attribute(a) for a in node.attribute},
            "inputs": [tensor(n, x) for n, x in zip(present_in, inputs)],
            "outputs": [tensor(n, y) for n, y in zip(present_out, outputs)],
        }
        with open(os.path.join(out, name + ".json"), "w", encoding="utf-8", newline="\n") as f:
            text = json.dumps(case, indent=1)
            # Lists of numbers (shapes, attribute values) on one line.
            text = re.sub(r"\[[-0-9.e,\s]*\]", lambda m: json.dumps(json.loads(m.group(0))), text)
            f.write(text + "\n")
        index.append((node.op_type, name))

    counts = {op: sum(1 for o, _ in index if o == op) for op in OPS}
    print(f"onnx {onnx.__version__}: {len(index)} cases written to {out}: {counts}", file=sys.stderr)


if __name__ == "__main__":
    main()
