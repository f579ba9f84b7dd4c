#!/usr/bin/env python3
"""Summarizes `./lowbit bench gemm` JSON files into the Markdown tables of docs/performance.md.

    python3 tools/bench_table.py results/*.json

For each (shape, threads) it takes the median over the files of each entry's median seconds and of its
ratio to lowbit-fp32 measured in the same run, and prints GOPS (2·M·N·K / s) and ratios."""
import json, statistics, sys
from collections import defaultdict

runs = defaultdict(list)
for path in sys.argv[1:]:
    try:
        d = json.load(open(path))
    except (OSError, ValueError):
        continue
    runs[(d["shape"], d["threads"], d.get("layout", "nt"))].append(d)

def entry(ds, name, key):
    return [r[key] for d in ds for r in d["results"] if r["name"] == name and key in r]

print("| shape | threads | runs | lowbit-fp32 GFLOP/s | openblas-sgemm GFLOP/s | **fp32 ÷ OpenBLAS** | int8-exact GOPS (÷ fp32) "
      "| int4-exact GOPS (÷ fp32) | int2-exact GOPS (÷ fp32) | imunpack-b4: **time ÷ fp32 time** (ratio) | foreign cores |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for (shape, threads, layout), ds in sorted(runs.items()):
    m, n, k = map(int, shape.split("x"))
    ops = 2 * m * n * k
    def gops(name):
        s = entry(ds, name, "seconds")
        return f"{ops / statistics.median(s) / 1e9:.1f}" if s else "–"
    def ratio(name):
        r = entry(ds, name, "speedupVsLowbitFp32")
        return statistics.median(r) if r else float("nan")
    ob = ratio("openblas-sgemm")
    cells = [gops("lowbit-fp32"), gops("openblas-sgemm"), f"**{1 / ob:.2f}×**" if ob == ob else "–"]
    for name in ("lowbit-int8-exact", "lowbit-int4-exact", "lowbit-int2-exact"):
        cells.append(f"{gops(name)} ({ratio(name):.2f}×)" if entry(ds, name, "seconds") else "–")
    im = ratio("lowbit-imunpack-b4")
    ur = entry(ds, "lowbit-imunpack-b4", "unpackRatio")
    cells.append(f"**{1 / im:.2f}×** ({ur[0]:.3f})" if ur else "–")
    foreign = [f for d in ds for r in d["results"] for f in [r.get("foreignCores")] if f is not None]
    label = shape + (" NN" if layout == "nn" else "")
    print(f"| {label} | {threads} | {len(ds)} | " + " | ".join(cells) + f" | {statistics.median(foreign):.2f} |")
