#!/bin/bash
# Issue 15: the PyTorch reference (shared/reference/training) on three seeds in both regimes, on the GPU.
cd "$(dirname "$0")"
export KJV=../../lowbit-train/src/main/resources/dev/lowbit/data/kjv.txt.gz
nvidia-smi --query-gpu=name --format=csv,noheader > $OUT/gpu.txt
for s in 7 8 9; do
  (L=4 D=256 T=128 B=64 LR=1e-3 WARM=200 STEPS=3000 CLIP=0 SEEDS=$s POLICIES=fp32,imunpack,imunpack31 OUT=$OUT \
     python3 train_parity_cfg.py > $OUT/ref-seed$s.log 2>&1 &)
  (L=2 D=96 T=64 B=32 LR=2e-3 WARM=50 STEPS=3000 CLIP=1 SEEDS=$s POLICIES=fp32,imunpack,imunpack31 OUT=$OUT \
     python3 train_parity_cfg.py > $OUT/def-seed$s.log 2>&1 &)
done
sleep 570
tail -n 5 $OUT/*.log
