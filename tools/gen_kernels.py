#!/usr/bin/env python3
"""Generates the register-tiled micro-kernels of lowbit-simd (hand-unrolled: C2 keeps named locals in
registers, while vectors in arrays would be allocated). Run from the repository root:
    python3 tools/gen_kernels.py
It rewrites the text between the GENERATED markers in the kernel classes.
    python3 tools/gen_kernels.py --check
changes nothing and exits 1 naming every kernel file whose generated text is out of date (lowbit-simd's
GeneratedKernelsTest runs this in every build)."""
import re, pathlib, sys

CHECK = "--check" in sys.argv[1:]
STALE = []

ROOT = pathlib.Path(__file__).resolve().parent.parent / "lowbit-simd/src/main/java/dev/lowbit/simd"

def fma_kernel(vec, elem, sp, lanes, mr, out):
    """vec: FloatVector/DoubleVector; out: 'f' (same-type array) or 'l' (long[] via convert)."""
    name = f"kernel{mr}" + ("L" if out == "l" else "I" if out == "i" else "")
    carr = "long[]" if out == "l" else "int[]" if out == "i" else f"{elem}[]"
    L = []
    what = "converted exactly to int64 and " if out == "l" else "converted exactly to int32 and " if out == "i" else ""
    L.append(f"    /** {mr}×NR tile: acc = Σ_p fma(a[p·{mr}+i], b[p·NR+j]), p ascending from 0; then {what}stored (or added) at c[co + i·ldc + j]. */")
    L.append(f"    static void {name}({elem}[] pa, int ao, {elem}[] pb, int bo, int kc, {carr} c, int co, int ldc, boolean add) {{")
    for i in range(mr):
        L.append(f"        {vec} c{i}0 = {vec}.zero({sp}), c{i}1 = {vec}.zero({sp});")
    L.append(f"        for (int p = 0; p < kc; p++, ao += {mr}, bo += NR) {{")
    L.append(f"            {vec} b0 = {vec}.fromArray({sp}, pb, bo);")
    L.append(f"            {vec} b1 = {vec}.fromArray({sp}, pb, bo + {lanes});")
    for i in range(mr):
        L.append(f"            {vec} a{i} = {vec}.broadcast({sp}, pa[ao + {i}]);")
        L.append(f"            c{i}0 = a{i}.fma(b0, c{i}0);")
        L.append(f"            c{i}1 = a{i}.fma(b1, c{i}1);")
    L.append("        }")
    if out in ("l", "i"):
        fn = "storeL" if out == "l" else "storeI"
        for i in range(mr):
            L.append(f"        {fn}(c{i}0, c, co + {i} * ldc, add);")
            L.append(f"        {fn}(c{i}1, c, co + {i} * ldc + {lanes}, add);")
    else:
        L.append("        if (add) {")
        for i in range(mr):
            L.append(f"            c{i}0 = c{i}0.add({vec}.fromArray({sp}, c, co + {i} * ldc));")
            L.append(f"            c{i}1 = c{i}1.add({vec}.fromArray({sp}, c, co + {i} * ldc + {lanes}));")
        L.append("        }")
        for i in range(mr):
            L.append(f"        c{i}0.intoArray(c, co + {i} * ldc);")
            L.append(f"        c{i}1.intoArray(c, co + {i} * ldc + {lanes});")
    L.append("    }")
    return "\n".join(L)

def i16_kernel(mr, nv):
    L = []
    L.append(f"    /**")
    L.append(f"     * {mr}×({nv}·LF) tile over kq k-pairs: 16-bit lanes hold Σ a·b for even and odd k separately (exact")
    L.append(f"     * while kq·max|a·b| ≤ 2^15 − 1, the caller's chunk bound); the raw 16-bit accumulators are stored at")
    L.append(f"     * c[co + i·ldc ..] (2·NR shorts per row) for {{@link #pairSums}}.")
    L.append(f"     */")
    L.append(f"    static void kernel{mr}x{nv}(int[] pa, int ao, short[] pb, int bo, int kq, short[] c, int co, int ldc) {{")
    for i in range(mr):
        L.append("        ShortVector " + ", ".join(f"c{i}{v} = ShortVector.zero(S)" for v in range(nv)) + ";")
    L.append(f"        for (int q = 0; q < kq; q++, ao += {mr}, bo += {2*nv} * LF) {{")
    for v in range(nv):
        L.append(f"            ShortVector b{v} = ShortVector.fromArray(S, pb, bo + {2*v} * LF);")
    for i in range(mr):
        L.append(f"            ShortVector a{i} = IntVector.broadcast(I, pa[ao + {i}]).reinterpretAsShorts();")
        for v in range(nv):
            L.append(f"            c{i}{v} = c{i}{v}.add(a{i}.mul(b{v}));")
    L.append("        }")
    for i in range(mr):
        for v in range(nv):
            L.append(f"        c{i}{v}.intoArray(c, co + {i} * ldc + {2*v} * LF);")
    L.append("    }")
    return "\n".join(L)

def swar_kernel(mr):
    L = []
    L.append(f"    /**")
    L.append(f"     * {mr}×2NR tile over kc steps in chunks: float lane j of the packed B holds columns j (low field) and")
    L.append(f"     * j + NR (times 2^SHIFT); after each chunk the accumulators are split into both fields and added to t")
    L.append(f"     * (row i at t[i·2NR ..]; t holds exact integers).")
    L.append(f"     */")
    L.append(f"    static void kernel{mr}(float[] pa, int ao, float[] pb, int bo, int kc, int chunk, float[] raw, float[] t) {{")
    L.append(f"        for (int p0 = 0; p0 < kc; p0 += chunk) {{")
    L.append(f"            int p1 = Math.min(kc, p0 + chunk);")
    for i in range(mr):
        L.append(f"            FloatVector c{i}0 = FloatVector.zero(F), c{i}1 = FloatVector.zero(F);")
    L.append(f"            for (int p = p0; p < p1; p++, ao += {mr}, bo += NR) {{")
    L.append(f"                FloatVector b0 = FloatVector.fromArray(F, pb, bo);")
    L.append(f"                FloatVector b1 = FloatVector.fromArray(F, pb, bo + LF);")
    for i in range(mr):
        L.append(f"                FloatVector a{i} = FloatVector.broadcast(F, pa[ao + {i}]);")
        L.append(f"                c{i}0 = a{i}.fma(b0, c{i}0);")
        L.append(f"                c{i}1 = a{i}.fma(b1, c{i}1);")
    L.append("            }")
    for i in range(mr):
        L.append(f"            c{i}0.intoArray(raw, {i} * NR);")
        L.append(f"            c{i}1.intoArray(raw, {i} * NR + LF);")
    L.append("            split(raw, t);")
    L.append("        }")
    L.append("    }")
    return "\n".join(L)

def replace(path, body):
    p = ROOT / path
    s = p.read_text()
    new = re.sub(r"(    // GENERATED BEGIN[^\n]*\n).*?(    // GENERATED END)",
                 lambda m: m.group(1) + body + "\n" + m.group(2), s, flags=re.S)
    if new == s:
        return
    if CHECK:
        STALE.append(str(p))
    else:
        p.write_text(new)

if __name__ == "__main__":
    f = []
    for mr in (4, 6, 8):
        f.append(fma_kernel("FloatVector", "float", "F", "LF", mr, "f"))
    replace("F32Gemm.java", "\n\n".join(f))
    d = [fma_kernel("DoubleVector", "double", "D", "LD", mr, "f") for mr in (4, 6)]
    replace("F64Gemm.java", "\n\n".join(d))
    s = [i16_kernel(mr, nv) for (mr, nv) in ((4, 2), (6, 2), (8, 2), (8, 3), (12, 2))]
    replace("I16Gemm.java", "\n\n".join(s))
    replace("SwarGemm.java", "\n\n".join(swar_kernel(mr) for mr in (4, 6, 8)))
    if STALE:
        print("out of date (run python3 tools/gen_kernels.py): " + ", ".join(STALE), file=sys.stderr)
        sys.exit(1)
