#!/usr/bin/env python3
"""Regenerates emotion-carphone.json: what an independent reference finds with the FER2013 mini-XCEPTION
(emotion_mini_xception.onnx) on samples/carphone_pristine.mp4 through python3-opencv's cv2.dnn (Debian 4.6).

Faces come from bench/face/reference.py (MediaPipe's tracking in Python, as for face-mesh-carphone.json);
the classifier reads the landmarks' square box plus 10 px on each side, turned upright with the eye line
(points 33 -> 263), warped to 64x64 (bilinear, border replicated), gray, blobFromImage(g, 1/127.5, (64, 64),
127.5). Stored: the 7 probabilities of every frame with a face (angry, disgust, fear, happy, sad, surprise,
neutral). VigilVisionTests compares `kind: face_mesh` with `emotion_model` against this file.

Usage (from the package root): /usr/bin/python3 Tests/VigilVisionTests/Fixtures/make_emotion_fixture.py
"""
import json, math, os, subprocess, sys
import cv2
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "bench", "face"))
import reference  # noqa: E402

MARGIN, SIZE = 10, 64
CLASSES = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]


def find(rel, fallbacks):
    for base in fallbacks:
        if os.path.exists(os.path.join(base, rel)):
            return base
    sys.exit(f"cannot find {rel} in {fallbacks}; run scripts/fetch-models / scripts/fetch-samples")


video = os.path.join(find("carphone_pristine.mp4", [os.path.join(ROOT, "samples"),
                                                    os.path.join(ROOT, "..", "shared", "samples")]), "carphone_pristine.mp4")
models = find("emotion_mini_xception.onnx", [os.environ.get("VIGIL_MODELS", os.path.join(ROOT, "models")),
                                             os.path.join(ROOT, "..", "shared", "models")])
raw = subprocess.run(["ffmpeg", "-v", "error", "-i", video, "-f", "rawvideo", "-pix_fmt", "bgr24", "-"],
                     check=True, capture_output=True).stdout
frames = np.frombuffer(raw, np.uint8).reshape(-1, 144, 176, 3)

cv2.setNumThreads(1)
tracker = reference.FaceMeshReference(models)
net = cv2.dnn.readNetFromONNX(os.path.join(models, "emotion_mini_xception.onnx"))
series = []
for index, frame in enumerate(frames):
    points, _, _ = tracker.track(frame)
    if points is None:
        series.append({"frame": index, "face": False})
        continue
    xy = points[:, :2]
    (xmin, ymin), (xmax, ymax) = xy.min(axis=0), xy.max(axis=0)
    start, end = xy[33], xy[263]
    angle = reference.normalize_angle(-math.atan2(-(end[1] - start[1]), end[0] - start[0]))
    side = max(xmax - xmin, ymax - ymin) + 2 * MARGIN
    m = reference.roi_matrix((xmin + xmax) / 2, (ymin + ymax) / 2, side, angle, SIZE)
    crop = cv2.warpAffine(frame, m, (SIZE, SIZE), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REPLICATE)
    gray = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    net.setInput(cv2.dnn.blobFromImage(gray, 1 / 127.5, (SIZE, SIZE), 127.5))
    p = net.forward().reshape(-1)
    series.append({"frame": index, "face": True, "p": [round(float(v), 5) for v in p]})

fixture = {"reference": f"bench/face/reference.py + cv2.dnn, OpenCV {cv2.__version__}", "model": "emotion_mini_xception.onnx",
           "classes": CLASSES, "video": "carphone_pristine.mp4", "series": series}
out = os.path.join(HERE, "emotion-carphone.json")
with open(out, "w") as f:
    json.dump(fixture, f, separators=(",", ":"))
    f.write("\n")
top = [CLASSES[int(np.argmax(r["p"]))] for r in series if r["face"]]
print("wrote", out, f"({len(top)} frames with a face; top classes {dict((c, top.count(c)) for c in set(top))})")
