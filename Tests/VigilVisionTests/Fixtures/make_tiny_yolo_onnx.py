#!/usr/bin/env python3
"""Builds two tiny ONNX "detectors" whose outputs have the Ultralytics layouts with known values, so the
decoding (layout, letterbox undo, confidence, per-class NMS, clipping) can be checked exactly.

    image [1,3,320,320] -> GlobalAveragePool -> Flatten -> Gemm(B = 0, C = values) -> Reshape -> output

The output does not depend on the image (B is zero) but OpenCV still has to run a real graph.
Needs python3-onnx (Debian) or `pip install onnx`. Run from anywhere; writes next to this file:
  tiny-yolov8.onnx  output [1, 4 + 2, 6]  (cx, cy, w, h, score_a, score_b) per column
  tiny-yolov5.onnx  output [1, 6, 5 + 2]  (cx, cy, w, h, objectness, prob_a, prob_b) per row
"""
import os
import numpy as np
import onnx
from onnx import helper, TensorProto, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))

# One anchor per row: cx, cy, w, h (network-input pixels), score class a, score class b.
ANCHORS = np.array([
    [100, 100, 40, 60, 0.9, 0.1],    # kept: class a 0.9
    [104, 102, 40, 60, 0.8, 0.05],   # suppressed by the first (same class, IoU > 0.45)
    [200, 150, 50, 50, 0.2, 0.7],    # kept: class b 0.7
    [102, 101, 40, 60, 0.05, 0.6],   # kept: class b, overlaps the first but NMS is per class
    [250, 60, 30, 30, 0.3, 0.1],     # dropped: under the 0.35 confidence
    [10, 50, 40, 40, 0.5, 0.0],      # kept: class a 0.5, clipped at the image's top-left corner
], dtype=np.float32)


def build(values, shape, name):
    k = int(np.prod(shape))
    nodes = [
        helper.make_node("GlobalAveragePool", ["images"], ["pooled"]),
        helper.make_node("Flatten", ["pooled"], ["flat"], axis=1),
        helper.make_node("Gemm", ["flat", "B", "C"], ["dense"], transB=1),
        helper.make_node("Reshape", ["dense", "shape"], ["output0"]),
    ]
    inits = [
        numpy_helper.from_array(np.zeros((k, 3), np.float32), "B"),
        numpy_helper.from_array(values.reshape(-1).astype(np.float32), "C"),
        numpy_helper.from_array(np.array(shape, np.int64), "shape"),
    ]
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, 320, 320])],
        [helper.make_tensor_value_info("output0", TensorProto.FLOAT, list(shape))],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 11)], producer_name="vigil-tests")
    model.ir_version = 7
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(HERE, name + ".onnx"))


# YOLOv8 / YOLO11: [1, 4 + C, N], one column per anchor.
build(ANCHORS.T.copy(), (1, 6, 6), "tiny-yolov8")
# YOLOv5: [1, N, 5 + C] rows; objectness 1.0 for all but the last-but-one row, so score = obj * prob.
v5 = np.concatenate([ANCHORS[:, :4], np.ones((6, 1), np.float32), ANCHORS[:, 4:]], axis=1)
v5[4, 4] = 0.5      # 0.5 * 0.3 = 0.15: still dropped
v5[5, 4] = 0.8      # 0.8 * 0.5 = 0.4: kept, score 0.4
build(v5, (1, 6, 7), "tiny-yolov5")
print("wrote tiny-yolov8.onnx and tiny-yolov5.onnx")
