#!/usr/bin/env bash
# Runs on the GPU machine, from the repository root, with .gpu/ carried (tools/gpu-run builds it): records the machine,
# runs lowbit-cuda's tests (GpuTestMain) and the bench (CudaBench) with the carried JRE, then PyTorch's baselines on the
# same GPU (tools/gpu_torch_bench.py). Logs go to $OUT (or .gpu/out). Usage: tools/gpu-device.sh [m n k]
set -u
OUT=${OUT:-.gpu/out}
mkdir -p "$OUT"
M=${1:-16384} N=${2:-4096} K=${3:-4096}
J=.gpu/jre/bin/java
CP=$(ls .gpu/lib/*.jar | tr '\n' ':')
JOPTS="--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx16g -XX:+UseParallelGC"
{
  echo "== machine"; nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv
  python3 -c 'import torch,sys; print("python", sys.version.split()[0], "torch", torch.__version__, "cuda", torch.version.cuda)'
  echo "== CUDA libraries the discovery can see"
  for d in /usr/local/cuda/lib64 $(python3 -c 'import site; print(" ".join(site.getsitepackages()))' 2>/dev/null); do
    ls -d $d/libcudart.so* $d/libcublasLt.so* $d/nvidia/*/lib/libcudart.so* $d/nvidia/*/lib/libcublasLt.so* 2>/dev/null
  done
  h=$(ls /usr/local/cuda/include/cublasLt.h $(python3 -c 'import site; print(site.getsitepackages()[0])')/nvidia/*/include/cublasLt.h 2>/dev/null | head -1)
  echo "== header check: $h"
  [ -n "$h" ] && grep -n -E 'CUBLASLT_MATMUL_DESC_TRANSA =|CUBLASLT_MATMUL_DESC_TRANSB =|CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES =|CUBLAS_COMPUTE_32I =' "$h" "$(dirname "$h")/cublas_api.h" 2>/dev/null
  grep -n -A8 'typedef struct {' "$h" 2>/dev/null | grep -A8 -B2 'wavesCount' | head -12
} 2>&1 | tee "$OUT/machine.txt"
echo "== tests"; $J $JOPTS -cp "$CP" dev.lowbit.cuda.GpuTestMain 2>&1 | tee "$OUT/tests.txt"; echo "tests exit ${PIPESTATUS[0]}"
echo "== bench"; $J $JOPTS -cp "$CP" dev.lowbit.cuda.CudaBench $M $N $K 2>&1 | tee "$OUT/bench.txt"
echo "== torch"; PYTHONUNBUFFERED=1 python3 tools/gpu_torch_bench.py $M $N $K 2>&1 | tee "$OUT/torch.txt"
grep -h RESULT "$OUT"/bench.txt "$OUT"/torch.txt
