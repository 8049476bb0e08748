#!/usr/bin/env python3
"""Regenerates face-mesh-carphone.json: what an independent reference finds on samples/carphone_pristine.mp4
with MediaPipe's face models (face_detection_short_range.onnx + face_landmark.onnx) through python3-opencv's
cv2.dnn (Debian 4.6): bench/face/reference.py, MediaPipe's crop tracking written in Python (BlazeFace once,
then each frame's 192x192 FaceMesh crop from the previous landmarks, the detector again when the
face-presence score drops under 0.5). VigilVisionTests compares `kind: face_mesh` against this file.

Stored: the 468 landmarks (x, y in frame pixels) of frames 0, 1, 42, 43, 59 and 60 (0-based indices; the
models README counts from 1, so its blinks "43 and 93" and open mouth "60" are indices 42, 92 and 59), and
for every frame whether a face was found, EAR, MAR and head pose.

Usage (from the package root): /usr/bin/python3 Tests/VigilVisionTests/Fixtures/make_face_fixture.py
Frames are read with the ffmpeg CLI exactly as the Swift tests read them (raw bgr24, 176x144).
"""
import json, os, subprocess, sys
import cv2
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "bench", "face"))
import reference  # noqa: E402

LANDMARK_FRAMES = (0, 1, 42, 43, 59, 60)


def find(rel, fallbacks):
    for base in fallbacks:
        if os.path.exists(os.path.join(base, rel)):
            return base
    sys.exit(f"cannot find {rel} in {fallbacks}; run scripts/fetch-models / scripts/fetch-samples")


video = os.path.join(find("carphone_pristine.mp4", [os.path.join(ROOT, "samples"),
                                                    os.path.join(ROOT, "..", "shared", "samples")]), "carphone_pristine.mp4")
models = find("face_landmark.onnx", [os.environ.get("VIGIL_MODELS", os.path.join(ROOT, "models")),
                                     os.path.join(ROOT, "..", "shared", "models")])
raw = subprocess.run(["ffmpeg", "-v", "error", "-i", video, "-f", "rawvideo", "-pix_fmt", "bgr24", "-"],
                     check=True, capture_output=True).stdout
frames = np.frombuffer(raw, np.uint8).reshape(-1, 144, 176, 3)

cv2.setNumThreads(1)
tracker = reference.FaceMeshReference(models)
landmarks, series = [], []
for index, frame in enumerate(frames):
    points, presence, detected = tracker.track(frame)
    row = {"frame": index, "face": points is not None, "detected": detected}
    if points is not None:
        row.update({k: round(v, 5) for k, v in reference.measure(points, 176, 144).items()})
        row["presence"] = round(presence, 5)
        if index in LANDMARK_FRAMES:
            landmarks.append({"frame": index, "points": [[round(float(x), 3), round(float(y), 3)] for x, y in points[:, :2]]})
    series.append(row)

fixture = {"reference": f"bench/face/reference.py, OpenCV {cv2.__version__} cv2.dnn",
           "models": ["face_detection_short_range.onnx", "face_landmark.onnx"],
           "video": "carphone_pristine.mp4", "width": 176, "height": 144,
           "landmarks": landmarks, "series": series}
out = os.path.join(HERE, "face-mesh-carphone.json")
with open(out, "w") as f:
    json.dump(fixture, f, separators=(",", ":"))
    f.write("\n")
print("wrote", out, f"({sum(r['face'] for r in series)}/{len(series)} frames with a face)")
