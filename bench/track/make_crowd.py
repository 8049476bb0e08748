#!/usr/bin/env python3
"""Synthetic crowd for the tracker's cost-growth benchmark: N people on screen at all times for F frames.

Writes <out>/CROWD-<N>/{seqinfo.ini, gt.txt, det-easy.txt} in MOT-Challenge format, so
../../../shared/bench/mot/run.sh --data <out> scores and times every tracker on it.
Pure Python (no numpy), seeded: the same arguments give the same files.

People walk at 1-3 px/frame with slowly turning headings on a 3840x2160 plane and are replaced when
they leave it. Detections: box jitter ~3% of the size, 4% misses, 6% low-score true positives
(0.15-0.55), 0.5% of the targets as clutter false positives per frame.
"""
import argparse
import math
import os
import random

W, H = 3840, 2160


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--targets", type=int, nargs="+", default=[50, 100, 200])
    ap.add_argument("--frames", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    for n in a.targets:
        make(os.path.join(a.out, f"CROWD-{n}"), n, a.frames, random.Random(a.seed * 1000 + n))


def spawn(rng, next_id):
    h = rng.uniform(80, 140)
    return {"id": next_id, "x": rng.uniform(0, W), "y": rng.uniform(h, H), "h": h, "w": h * rng.uniform(0.35, 0.45),
            "dir": rng.uniform(0, 2 * math.pi), "speed": rng.uniform(1, 3)}


def make(d, n, frames, rng):
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "seqinfo.ini"), "w") as f:
        f.write(f"[Sequence]\nname=CROWD-{n}\nimDir=img1\nframeRate=30\nseqLength={frames}\n"
                f"imWidth={W}\nimHeight={H}\nimExt=.jpg\n")
    people = [spawn(rng, i + 1) for i in range(n)]
    next_id = n + 1
    gt_lines, det_lines = [], []
    for fr in range(1, frames + 1):
        for k, p in enumerate(people):
            p["dir"] += rng.gauss(0, 0.03)
            p["x"] += p["speed"] * math.cos(p["dir"])
            p["y"] += p["speed"] * math.sin(p["dir"])
            if not (0 <= p["x"] <= W and p["h"] <= p["y"] <= H):
                people[k] = p = spawn(rng, next_id)
                next_id += 1
            bx, by = p["x"] - p["w"] / 2, p["y"] - p["h"]
            gt_lines.append(f"{fr},{p['id']},{bx:.2f},{by:.2f},{p['w']:.2f},{p['h']:.2f},1,1,1\n")
            if rng.random() < 0.04:
                continue
            j = 0.03
            dw, dh = p["w"] * (1 + rng.gauss(0, j)), p["h"] * (1 + rng.gauss(0, j))
            dx, dy = bx + rng.gauss(0, j * p["w"]), by + rng.gauss(0, j * p["h"])
            score = rng.uniform(0.15, 0.55) if rng.random() < 0.06 else rng.uniform(0.6, 0.98)
            det_lines.append((fr, f"{fr},-1,{dx:.2f},{dy:.2f},{dw:.2f},{dh:.2f},{score:.4f},-1,-1,-1\n"))
        for _ in range(max(1, n // 200)):
            h = rng.uniform(80, 140)
            det_lines.append((fr, f"{fr},-1,{rng.uniform(0, W - 60):.2f},{rng.uniform(0, H - h):.2f},{h * 0.4:.2f},"
                                  f"{h:.2f},{rng.uniform(0.1, 0.75):.4f},-1,-1,-1\n"))
    with open(os.path.join(d, "gt.txt"), "w") as f:
        f.writelines(gt_lines)
    with open(os.path.join(d, "det-easy.txt"), "w") as f:
        f.writelines(line for _, line in det_lines)


if __name__ == "__main__":
    main()
