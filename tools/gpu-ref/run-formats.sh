#!/bin/bash
# Issue 15 item 3: lowbit's float recipes in PyTorch (train_formats_cfg.py) in lowbit's default regime, three seeds,
# one process per (seed, recipe), on the GPU machine. Usage there: OUT=dir bash tools/gpu-ref/run-formats.sh [seconds]
cd "$(dirname "$0")"
export KJV=../../lowbit-train/src/main/resources/dev/lowbit/data/kjv.txt.gz
OUT=${OUT:-.}
nvidia-smi --query-gpu=name --format=csv,noheader > $OUT/gpu.txt
python3 -c 'import torch; print("torch", torch.__version__)' >> $OUT/gpu.txt
for s in 7 8 9; do
  for p in fp32 fp8 mxfp8 mxfp4 nvfp4; do
    (SEEDS=$s POLICIES=$p OUT=$OUT python3 train_formats_cfg.py > $OUT/def-seed$s-$p.log 2>&1 &)
  done
done
end=$((SECONDS + ${1:-540}))
while [ $SECONDS -lt $end ] && [ "$(grep -l ' seed ' $OUT/def-seed*.log 2>/dev/null | wc -l)" -lt 15 ]; do sleep 10; done
tail -n 3 $OUT/def-seed*.log
