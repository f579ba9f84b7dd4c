#!/bin/bash
# Issue 15: imunpack:31 (RTN p95 / 31 levels forward, p95 / 16383 gradients) in the PyTorch reference regime, three seeds
# in parallel (fp32 and imunpack of these seeds: run.sh, docs/training/pytorch-ref-2026-12-06/). Usage: OUT=dir bash tools/gpu-ref/run-ref31.sh [seconds]
cd "$(dirname "$0")"
export KJV=../../lowbit-train/src/main/resources/dev/lowbit/data/kjv.txt.gz
OUT=${OUT:-.}
for s in 7 8 9; do
  (L=4 D=256 T=128 B=64 LR=1e-3 WARM=200 STEPS=3000 CLIP=0 SEEDS=$s POLICIES=imunpack31 OUT=$OUT \
     python3 train_parity_cfg.py > $OUT/ref31-seed$s.log 2>&1 &)
done
end=$((SECONDS + ${1:-540}))
while [ $SECONDS -lt $end ] && [ "$(grep -l ' seed ' $OUT/ref31-seed*.log 2>/dev/null | wc -l)" -lt 3 ]; do sleep 10; done
tail -n 3 $OUT/ref31-seed*.log
