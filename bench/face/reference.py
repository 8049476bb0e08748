#!/usr/bin/env python3
"""The Python reference of Vigil's `detect` kind `face_mesh`: MediaPipe's face-mesh tracking scheme written
with python3-opencv (cv2.dnn, Debian 4.6) on the same ONNX models, independently of the Swift code.

- BlazeFace short-range on the whole frame, letterboxed to 128x128 RGB in [-1, 1] (black border), 896 SSD
  anchors (16x16x2 + 8x8x6), offsets / 128, sigmoid scores >= 0.5, weighted NMS (IoU 0.3), best face kept.
- ROI from a detection: the box's centre, square of 1.5x its longer side, rotated so that keypoints 0 -> 1
  (the eyes) are level. ROI from landmarks: the same around the landmarks' bounding box, points 33 -> 263.
- FaceMesh on the ROI warped to 192x192 RGB in [0, 1] (replicated border): 468 points in crop pixels, mapped
  back to frame pixels; the face-presence score is the sigmoid of the second output.
- The next frame's ROI comes from the current landmarks; when the presence score drops below 0.5 the
  detector runs again on the same frame.

Per frame: EAR (right 33,160,158,133,153,144; left 362,385,387,263,373,380), MAR (inner lip 82/87, 13/14,
312/317 over 78-308), and yaw / pitch / roll from cv2.solvePnP on six landmarks with a generic face model.

usage: reference.py VIDEO --models DIR [--threads N] [--out FILE.jsonl] [--frames N]
Prints `reference frames=N seconds=S fps=F faces=K` (time from opening the video to the last line written).
Importable: `FaceMeshReference(models).track(frame_bgr)` returns (landmarks 468x3 or None, presence, detected).
"""
import argparse, json, math, os, time
import cv2
import numpy as np

DETECTOR_SIZE = 128
LANDMARK_SIZE = 192
MIN_DETECTION_SCORE = 0.5
NMS_IOU = 0.3
MIN_PRESENCE = 0.5
ROI_SCALE = 1.5

RIGHT_EYE = (33, 160, 158, 133, 153, 144)   # p1..p6: corners 33/133, upper 160/158, lower 144/153
LEFT_EYE = (362, 385, 387, 263, 373, 380)   # corners 362/263, upper 385/387, lower 380/373
INNER_LIP = ((82, 87), (13, 14), (312, 317))
MOUTH_CORNERS = (78, 308)
# solvePnP: nose tip, chin, right-eye outer corner, left-eye outer corner, right and left mouth corners.
POSE_POINTS = (1, 152, 33, 263, 61, 291)
# A generic face in camera axes (x right, y down, z away from the camera), nose tip at the origin, ~mm.
POSE_MODEL = np.array([(0, 0, 0), (0, 330, 65), (-225, -170, 135), (225, -170, 135),
                       (-150, 150, 125), (150, 150, 125)], dtype=np.float64)


def anchors():
    out = []
    for grid, per_cell in ((16, 2), (8, 6)):
        for y in range(grid):
            for x in range(grid):
                for _ in range(per_cell):
                    out.append(((x + 0.5) / grid, (y + 0.5) / grid))
    return np.array(out, dtype=np.float32)


def roi_matrix(cx, cy, side, angle, size):
    """Affine map from output pixels (0..size) to frame pixels for a square ROI rotated by `angle`."""
    c, s = math.cos(angle), math.sin(angle)
    k = side / size
    # frame = centre + R * ((u, v) * k - side / 2)
    return np.array([[c * k, -s * k, cx - (c * side / 2 - s * side / 2)],
                     [s * k, c * k, cy - (s * side / 2 + c * side / 2)]], dtype=np.float64)


def sigmoid(v):
    return 1.0 / (1.0 + np.exp(-np.asarray(v, dtype=np.float64)))


def normalize_angle(a):
    return a - 2 * math.pi * math.floor((a + math.pi) / (2 * math.pi))


def roi_from_points(xmin, ymin, xmax, ymax, start, end):
    angle = normalize_angle(-math.atan2(-(end[1] - start[1]), end[0] - start[0]))
    side = max(xmax - xmin, ymax - ymin) * ROI_SCALE
    return ((xmin + xmax) / 2, (ymin + ymax) / 2, side, angle)


class FaceMeshReference:
    def __init__(self, models):
        self.detector = cv2.dnn.readNetFromONNX(os.path.join(models, "face_detection_short_range.onnx"))
        self.landmarker = cv2.dnn.readNetFromONNX(os.path.join(models, "face_landmark.onnx"))
        self.anchors = anchors()
        self.roi = None

    def detect(self, frame):
        h, w = frame.shape[:2]
        side = max(w, h)
        m = roi_matrix(w / 2, h / 2, side, 0.0, DETECTOR_SIZE)
        crop = cv2.warpAffine(frame, m, (DETECTOR_SIZE, DETECTOR_SIZE), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                              borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0))
        self.detector.setInput(cv2.dnn.blobFromImage(crop, 1 / 127.5, mean=(127.5, 127.5, 127.5), swapRB=True))
        scores, boxes = self.detector.forward(["classificators", "regressors"])
        scores = sigmoid(np.clip(scores.reshape(-1), -100, 100))
        boxes = boxes.reshape(-1, 16)
        keep = np.nonzero(scores >= MIN_DETECTION_SCORE)[0]
        if len(keep) == 0:
            return None
        a = self.anchors[keep]
        r = boxes[keep] / DETECTOR_SIZE
        cx, cy = r[:, 0] + a[:, 0], r[:, 1] + a[:, 1]
        bw, bh = r[:, 2], r[:, 3]
        rects = np.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], axis=1)
        kps = r[:, 4:].reshape(-1, 6, 2) + a[:, None, :]
        sc = scores[keep]
        # Weighted NMS (MediaPipe): the best remaining candidate and all that overlap it by IoU > 0.3 merge,
        # weighted by score; the best face is the first cluster.
        order = np.argsort(-sc, kind="stable")
        best = order[0]
        x0 = np.maximum(rects[best, 0], rects[order, 0]); y0 = np.maximum(rects[best, 1], rects[order, 1])
        x1 = np.minimum(rects[best, 2], rects[order, 2]); y1 = np.minimum(rects[best, 3], rects[order, 3])
        inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
        area = (rects[:, 2] - rects[:, 0]) * (rects[:, 3] - rects[:, 1])
        iou = inter / (area[best] + area[order] - inter)
        members = order[iou > NMS_IOU]
        wts = sc[members][:, None]
        rect = (rects[members] * wts).sum(0) / wts.sum()
        kp = (kps[members] * wts[:, :, None]).sum(0) / wts.sum()
        # Tensor [0, 1] -> frame pixels through the letterbox square.
        to_px = lambda v: (v - 0.5) * side
        xmin, ymin = to_px(rect[0]) + w / 2, to_px(rect[1]) + h / 2
        xmax, ymax = to_px(rect[2]) + w / 2, to_px(rect[3]) + h / 2
        kp_px = np.stack([to_px(kp[:, 0]) + w / 2, to_px(kp[:, 1]) + h / 2], axis=1)
        return roi_from_points(xmin, ymin, xmax, ymax, kp_px[0], kp_px[1]), float(sc[best])

    def landmarks(self, frame, roi):
        cx, cy, side, angle = roi
        m = roi_matrix(cx, cy, side, angle, LANDMARK_SIZE)
        crop = cv2.warpAffine(frame, m, (LANDMARK_SIZE, LANDMARK_SIZE), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                              borderMode=cv2.BORDER_REPLICATE)
        self.landmarker.setInput(cv2.dnn.blobFromImage(crop, 1 / 255.0, swapRB=True))
        points, flag = self.landmarker.forward(["conv2d_21", "conv2d_31"])
        points = points.reshape(468, 3).astype(np.float64)
        presence = float(sigmoid(flag.reshape(-1)[0]))
        xy = points[:, :2] @ m[:, :2].T + m[:, 2]
        z = points[:, 2:3] * (side / LANDMARK_SIZE)
        return np.hstack([xy, z]), presence

    def track(self, frame):
        """One frame: (landmarks 468x3 in frame pixels or None, presence score, whether the detector ran)."""
        detected = False
        if self.roi is not None:
            points, presence = self.landmarks(frame, self.roi)
            if presence < MIN_PRESENCE:
                self.roi = None
        if self.roi is None:
            detected = True
            found = self.detect(frame)
            if found is None:
                return None, 0.0, detected
            points, presence = self.landmarks(frame, found[0])
            if presence < MIN_PRESENCE:
                return None, presence, detected
        xy = points[:, :2]
        lo, hi = xy.min(0), xy.max(0)
        self.roi = roi_from_points(lo[0], lo[1], hi[0], hi[1], xy[33], xy[263])
        return points, presence, detected


def dist(p, a, b):
    return math.hypot(p[a, 0] - p[b, 0], p[a, 1] - p[b, 1])


def eye_aspect_ratio(p, eye):
    p1, p2, p3, p4, p5, p6 = eye
    return (dist(p, p2, p6) + dist(p, p3, p5)) / (2 * dist(p, p1, p4))


def mouth_aspect_ratio(p):
    return sum(dist(p, a, b) for a, b in INNER_LIP) / (2 * dist(p, *MOUTH_CORNERS))


def head_pose(p, width, height):
    camera = np.array([[width, 0, width / 2], [0, width, height / 2], [0, 0, 1]], dtype=np.float64)
    image = np.array([p[i, :2] for i in POSE_POINTS], dtype=np.float64)
    ok, rvec, _ = cv2.solvePnP(POSE_MODEL, image, camera, None, flags=cv2.SOLVEPNP_ITERATIVE)
    r, _ = cv2.Rodrigues(rvec)
    # r = Ry(a) Rx(b) Rz(c); yaw = -a (face toward the image's right > 0), pitch = -b (up > 0), roll = c.
    yaw = -math.degrees(math.atan2(r[0, 2], r[2, 2]))
    pitch = math.degrees(math.asin(max(-1.0, min(1.0, r[1, 2]))))
    roll = math.degrees(math.atan2(r[1, 0], r[1, 1]))
    return yaw, pitch, roll


def measure(points, width, height):
    right, left = eye_aspect_ratio(points, RIGHT_EYE), eye_aspect_ratio(points, LEFT_EYE)
    yaw, pitch, roll = head_pose(points, width, height)
    return {"ear_right": right, "ear_left": left, "ear": (right + left) / 2, "mar": mouth_aspect_ratio(points),
            "yaw": yaw, "pitch": pitch, "roll": roll}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("video")
    p.add_argument("--models", required=True)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out", default="/dev/null")
    a = p.parse_args()
    cv2.setNumThreads(a.threads)
    reference = FaceMeshReference(a.models)
    start = time.perf_counter()
    capture = cv2.VideoCapture(a.video)
    frames = faces = 0
    with open(a.out, "w") as out:
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            points, presence, _ = reference.track(frame)
            line = {"frame": frames, "face_present": 0 if points is None else 1}
            if points is not None:
                faces += 1
                line.update(measure(points, frame.shape[1], frame.shape[0]))
                lo, hi = points[:, :2].min(0), points[:, :2].max(0)
                line["box"] = [float(lo[0]), float(lo[1]), float(hi[0] - lo[0]), float(hi[1] - lo[1])]
                line["score"] = presence
            out.write(json.dumps(line) + "\n")
            frames += 1
    seconds = time.perf_counter() - start
    print(f"reference frames={frames} seconds={seconds:.3f} fps={frames / seconds:.2f} faces={faces}")


if __name__ == "__main__":
    main()
