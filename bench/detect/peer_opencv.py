#!/usr/bin/env python3
"""(c) of bench/detect: the same job written the way a Python user would, with OpenCV's own high-level API:
cv2.VideoCapture reads the video, cv2.dnn_DetectionModel detects, one JSON line per frame is written.
Prints `peer frames=N seconds=S fps=F detections=D` (time from opening the video to the last line written).

usage: peer_opencv.py VIDEO CFG WEIGHTS [--threads N] [--size 320] [--out FILE]
"""
import argparse, json, time
import cv2

p = argparse.ArgumentParser()
p.add_argument("video"); p.add_argument("cfg"); p.add_argument("weights")
p.add_argument("--threads", type=int, default=2); p.add_argument("--size", type=int, default=320)
p.add_argument("--out", default="/dev/null")
a = p.parse_args()

cv2.setNumThreads(a.threads)
model = cv2.dnn_DetectionModel(cv2.dnn.readNetFromDarknet(a.cfg, a.weights))
model.setInputParams(scale=1 / 255.0, size=(a.size, a.size), swapRB=True)

start = time.perf_counter()
capture = cv2.VideoCapture(a.video)
frames = detections = 0
with open(a.out, "w") as out:
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        classes, scores, boxes = model.detect(frame, confThreshold=0.35, nmsThreshold=0.45)
        out.write(json.dumps({"frame": frames, "detections": [
            {"x": int(b[0]), "y": int(b[1]), "w": int(b[2]), "h": int(b[3]), "score": float(s)}
            for s, b in zip(list(scores), list(boxes))]}) + "\n")
        frames += 1
        detections += len(boxes)
seconds = time.perf_counter() - start
print(f"peer frames={frames} seconds={seconds:.3f} fps={frames / seconds:.2f} detections={detections}")
