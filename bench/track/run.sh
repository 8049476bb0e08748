#!/usr/bin/env bash
# Tracker benchmark: vigil's tracker vs the peers (sv_bytetrack, rf_bytetrack, rf_sort) on the shared
# development sequences, then on synthetic crowds of 50/100/200 simultaneous people for 2,000 frames.
# Run from the package root:  bench/track/run.sh      (tables on stdout; CSVs under $MOT_OUT)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
swift build -c release --product vigil
TEMPLATE='.build/release/vigil track --detections {det} --out {out} --fps {fps} --frames {frames}'
OUT="${MOT_OUT:-/tmp/vigil-mot-out}"
echo "== development sequences (../shared/bench/mot)"
MOT_OUT="$OUT/dev" TRACKER_NAME=vigil ../shared/bench/mot/run.sh "$TEMPLATE" --repeat 3
echo
echo "== synthetic crowds (bench/track/make_crowd.py)"
CROWD="${CROWD_DIR:-/tmp/vigil-crowd}"
python3 bench/track/make_crowd.py "$CROWD" --targets 50 100 200 --frames 2000
MOT_OUT="$OUT/crowd" TRACKER_NAME=vigil ../shared/bench/mot/run.sh "$TEMPLATE" --repeat 3 --data "$CROWD"
