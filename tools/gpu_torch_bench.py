#!/usr/bin/env python3
"""PyTorch baselines for lowbit-cuda's bench (issue 19), on the same GPU in the same run (tools/gpu-run).

torch._int_mm (int8 x int8 -> int32, B passed as the transpose of a row-major n x k matrix, the layout cuBLASLt's int8
kernels want), bf16 torch.matmul (A @ W^T), and fp8 torch._scaled_mm where available. Times with CUDA events: mean of
per-call events and back-to-back over `iters`. Usage: gpu_torch_bench.py [m n k iters]
"""
import sys

import torch


def bench(fn, iters):
    for _ in range(10):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(iters):
        s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        s.record()
        fn()
        e.record()
        e.synchronize()
        times.append(s.elapsed_time(e))
    s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    s.record()
    for _ in range(iters):
        fn()
    e.record()
    e.synchronize()
    return sum(times) / iters, min(times), s.elapsed_time(e) / iters


def main():
    m, n, k = (int(x) for x in sys.argv[1:4]) if len(sys.argv) >= 4 else (16384, 4096, 4096)
    iters = int(sys.argv[4]) if len(sys.argv) >= 5 else 50
    ops = 2.0 * m * n * k
    p = torch.cuda.get_device_properties(0)
    print(f"torch {torch.__version__}, CUDA {torch.version.cuda}, cuBLAS(Lt) via torch, device {p.name}, "
          f"{p.multi_processor_count} SMs, capability {p.major}.{p.minor}")
    g = torch.Generator(device="cuda").manual_seed(42)
    a8 = torch.randint(-127, 128, (m, k), dtype=torch.int8, device="cuda", generator=g)
    w8 = torch.randint(-127, 128, (n, k), dtype=torch.int8, device="cuda", generator=g)

    def report(name, t):
        mean, best, loop = t
        print(f"RESULT torch {name} {m}x{n}x{k}: mean {mean:.3f} ms ({ops / mean / 1e9:.1f} TOPS), best {best:.3f} ms "
              f"({ops / best / 1e9:.1f} TOPS), back-to-back {loop:.3f} ms ({ops / loop / 1e9:.1f} TOPS)")

    c = torch._int_mm(a8, w8.t())
    ref = a8[:4].cpu().long() @ w8[:4].cpu().long().t()
    assert torch.equal(c[:4, :4].cpu().long(), ref), "torch._int_mm disagrees with the int64 reference"
    report("_int_mm int8->int32", bench(lambda: torch._int_mm(a8, w8.t()), iters))
    abf = a8.to(torch.bfloat16)
    wbf = w8.to(torch.bfloat16)
    report("matmul bf16", bench(lambda: abf @ wbf.t(), iters))
    del abf, wbf
    try:
        af = (a8.float() / 32).to(torch.float8_e4m3fn)
        wf = (w8.float() / 32).to(torch.float8_e4m3fn)
        one = torch.tensor(1.0, device="cuda")
        report("_scaled_mm fp8 e4m3 -> bf16",
               bench(lambda: torch._scaled_mm(af, wf.t(), scale_a=one, scale_b=one, out_dtype=torch.bfloat16), iters))
    except Exception as e:  # noqa: BLE001 - report and go on
        print(f"RESULT torch _scaled_mm fp8: unavailable ({e.__class__.__name__}: {str(e).splitlines()[0]})")


if __name__ == "__main__":
    main()
