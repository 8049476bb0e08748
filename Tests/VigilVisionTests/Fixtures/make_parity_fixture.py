#!/usr/bin/env python3
"""Regenerates parity-yolo-fastest-body.json: the boxes OpenCV's own reference, cv2.dnn_DetectionModel
(Debian's python3-opencv 4.6), finds on frames 0, 100 and 400 of samples/vtest.avi with
yolo-fastest-1.1_body at 320x320, confidence 0.35, NMS 0.45. VigilVisionTests compares its DNN detector
against this file.

Usage (from the package root): /usr/bin/python3 Tests/VigilVisionTests/Fixtures/make_parity_fixture.py
Frames are read with the ffmpeg CLI exactly as the Swift test reads them (raw bgr24).
"""
import json, os, subprocess, sys
import cv2
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))


def find(rel, fallbacks):
    for base in fallbacks:
        path = os.path.join(base, rel)
        if os.path.exists(path):
            return path
    sys.exit(f"cannot find {rel} in {fallbacks}; run scripts/fetch-models / scripts/fetch-samples")


video = find("vtest.avi", [os.path.join(ROOT, "samples"), os.path.join(ROOT, "..", "shared", "samples")])
models = os.environ.get("VIGIL_MODELS", os.path.join(ROOT, "models"))
cfg = find("yolo-fastest-1.1_body.cfg", [models, os.path.join(ROOT, "..", "shared", "models")])
weights = find("yolo-fastest-1.1_body.weights", [models, os.path.join(ROOT, "..", "shared", "models")])

model = cv2.dnn_DetectionModel(cv2.dnn.readNetFromDarknet(cfg, weights))
model.setInputParams(scale=1 / 255.0, size=(320, 320), swapRB=True)

frames = []
for index in (0, 100, 400):
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", video, "-vf", f"select=eq(n\\,{index})", "-vframes", "1",
                          "-f", "rawvideo", "-pix_fmt", "bgr24", "-"], check=True, capture_output=True).stdout
    image = np.frombuffer(raw, np.uint8).reshape(576, 768, 3)
    classes, scores, boxes = model.detect(image, confThreshold=0.35, nmsThreshold=0.45)
    frames.append({"frame": index, "boxes": [
        {"x": int(b[0]), "y": int(b[1]), "width": int(b[2]), "height": int(b[3]), "score": round(float(s), 6),
         "class": int(c)} for c, s, b in zip(np.array(classes).reshape(-1), np.array(scores).reshape(-1), boxes)]})

fixture = {"reference": f"cv2.dnn_DetectionModel, OpenCV {cv2.__version__}", "model": "yolo-fastest-1.1_body",
           "input_size": [320, 320], "confidence": 0.35, "nms": 0.45, "video": "vtest.avi", "frames": frames}
with open(os.path.join(HERE, "parity-yolo-fastest-body.json"), "w") as f:
    json.dump(fixture, f, indent=1)
    f.write("\n")
print("wrote", os.path.join(HERE, "parity-yolo-fastest-body.json"))
