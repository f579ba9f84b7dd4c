"""Issue 15 item 3: the float recipes of lowbit's `train --policy` (fp8, mxfp8, mxfp4, nvfp4) in PyTorch, with lowbit's
exact operand formats per pass, in the run shape taken from the environment (default: lowbit's default regime), so
lowbit's rows and these compare at equal length and regime. Reuses train_formats.py's format functions (the shared
reference) and train_parity.py's model/data; the recipes follow lowbit-core policy/Presets.java:
  fp8    fwd E4M3 per tensor (both operands); bwd: gradient E5M2 per tensor, other operand E4M3 per tensor
  mxfp8  fwd MXFP8 E4M3 (32-blocks along each GEMM's k); bwd: gradient MXFP8 E5M2, other operand MXFP8 E4M3 (re-blocked)
  mxfp4  fwd MXFP4 (E2M1, 32-blocks); bwd: gradient MXFP8 E5M2 and other operand MXFP8 E5M2
  nvfp4  fwd NVFP4 (E2M1, E4M3 scale per 16, fp32 tensor scale); bwd: gradient NVFP4 with stochastic rounding, other
         operand NVFP4; the weight-gradient GEMM with a block Hadamard transform (block 64) along its k (the tokens)
Env: L D H T B LR WARM STEPS CLIP SEEDS POLICIES; prints one line per run and writes $OUT/formats_<tag>.json."""
import json, math, os, sys, time
import torch, torch.nn.functional as F
import train_parity as tp
import train_formats as tf

L, D, H = int(os.environ.get("L", 2)), int(os.environ.get("D", 96)), int(os.environ.get("H", 4))
T, B = int(os.environ.get("T", 64)), int(os.environ.get("B", 32))
LR, WARM = float(os.environ.get("LR", 2e-3)), int(os.environ.get("WARM", 50))
STEPS, CLIP = int(os.environ.get("STEPS", 3000)), float(os.environ.get("CLIP", 1.0))
SEEDS = [int(s) for s in os.environ.get("SEEDS", "7").split(",")]

def e2m1_sr(x):
    """E2M1 with stochastic rounding (x already scaled; saturating at 6)."""
    a = x.abs().clamp(max=6.0)
    e = torch.floor(torch.log2(a.clamp(min=1e-30))).clamp(min=0)
    q = 2.0 ** (e - 1)
    r = torch.floor(a / q + torch.rand_like(a)) * q
    return torch.sign(x) * r.clamp(max=6.0)

def nvfp4(x, axis, sr=False):
    x = x.transpose(axis, -1) if axis != -1 else x
    sh = x.shape; K = sh[-1]; pad = (-K) % 16
    ts = x.abs().max().clamp(min=1e-30) / (448.0 * 6.0)
    xp = torch.nn.functional.pad(x / ts, (0, pad)).reshape(*sh[:-1], -1, 16)
    bs = (xp.abs().amax(-1, keepdim=True) / 6.0).clamp(max=448).to(torch.float8_e4m3fn).to(x.dtype)
    bs = torch.where(bs > 0, bs, torch.ones_like(bs))
    el = e2m1_sr(xp / bs) if sr else tf.minifloat(xp / bs, "e2m1")
    y = (el * bs).reshape(*sh[:-1], K + pad)[..., :K] * ts
    return y.transpose(axis, -1) if axis != -1 else y

_H = {}
def hadamard(x, axis):
    """Normalized block Hadamard along `axis` (block = largest power of two <= 64 dividing its length)."""
    n = x.shape[axis]; blk = 64
    while blk > 1 and n % blk: blk //= 2
    if blk == 1: return x
    if (blk, x.device) not in _H:
        h = torch.ones(1, 1)
        while h.shape[0] < blk: h = torch.cat([torch.cat([h, h], 1), torch.cat([h, -h], 1)], 0)
        _H[(blk, x.device)] = (h / math.sqrt(blk)).to(x.device)
    xt = x.transpose(axis, -1); sh = xt.shape
    y = (xt.reshape(*sh[:-1], n // blk, blk) @ _H[(blk, x.device)]).reshape(sh)
    return y.transpose(axis, -1)

class FMM(torch.autograd.Function):
    """C = f(A, k) @ f(B, k); backward: dA = g(G) @ o(B)^T (k = N), dB = o(A)^T @ g(G) (k = M; for a linear, the
    Hadamard transform along M first when the recipe sets hw)."""
    @staticmethod
    def forward(ctx, a, b, rec):
        ctx.save_for_backward(a, b); ctx.rec = rec
        ctx.linear = isinstance(b, torch.nn.Parameter)   # a linear (x @ W) rather than an attention product
        return rec["f"](a, -1) @ rec["f"](b, -2)
    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors; r = ctx.rec
        da = r["g"](g, -1) @ r["o"](b, -1).transpose(-1, -2)
        if r.get("hw") and ctx.linear:                    # lowbit: Hadamard on the linears' weight-gradient GEMM only
            a, g = hadamard(a, -2), hadamard(g, -2)
        db = r["o"](a, -2).transpose(-1, -2) @ r["g"](g, -2)
        return da, db, None

RECIPES = {
    "fp8": {"f": lambda x, ax: tf.per_tensor(x, "e4m3"), "g": lambda x, ax: tf.per_tensor(x, "e5m2"),
            "o": lambda x, ax: tf.per_tensor(x, "e4m3")},
    "mxfp8": {"f": lambda x, ax: tf.mx_blocks(x, "e4m3", ax), "g": lambda x, ax: tf.mx_blocks(x, "e5m2", ax),
              "o": lambda x, ax: tf.mx_blocks(x, "e4m3", ax)},
    "mxfp4": {"f": lambda x, ax: tf.mx_blocks(x, "e2m1", ax), "g": lambda x, ax: tf.mx_blocks(x, "e5m2", ax),
              "o": lambda x, ax: tf.mx_blocks(x, "e5m2", ax)},
    "nvfp4": {"f": lambda x, ax: nvfp4(x, ax), "g": lambda x, ax: nvfp4(x, ax, sr=True), "o": lambda x, ax: nvfp4(x, ax),
              "hw": True},
}

def run(name, seed):
    rec = RECIPES.get(name)
    tp.mm = (lambda a, b: a @ b) if rec is None else (lambda a, b: FMM.apply(a, b, rec))
    torch.manual_seed(seed)
    m = tp.GPT(d=D, L=L, h=H, T=T).to(tp.dev)
    opt = torch.optim.AdamW(m.parameters(), lr=LR, betas=(0.9, 0.98), weight_decay=0.01)
    g = torch.Generator().manual_seed(seed); gv = torch.Generator().manual_seed(1234)
    vb = [tp.batch(tp.val, 64, 128 if T >= 128 else T, gv) for _ in range(8)]
    v = []; t0 = time.time()
    for it in range(STEPS + 1):
        lr = LR * min(1, (it + 1) / WARM) * (0.5 * (1 + math.cos(math.pi * it / STEPS)))
        for pg in opt.param_groups: pg["lr"] = lr
        if it % 250 == 0 or it == STEPS:
            m.eval()
            with torch.no_grad():
                vl = sum(F.cross_entropy(m(x).view(-1, tp.V), y.view(-1)).item() for x, y in vb) / len(vb)
            m.train(); v.append([it, vl])
        if it == STEPS: break
        x, y = tp.batch(tp.train, B, T, g)
        loss = F.cross_entropy(m(x).view(-1, tp.V), y.view(-1))
        opt.zero_grad(set_to_none=True); loss.backward()
        if CLIP > 0: torch.nn.utils.clip_grad_norm_(m.parameters(), CLIP)
        opt.step()
    return {"policy": name, "seed": seed, "val": v, "final": v[-1][1], "seconds": round(time.time() - t0, 1)}

if __name__ == "__main__":
    names = os.environ.get("POLICIES", "fp32,fp8,mxfp8,mxfp4,nvfp4").split(",")
    tag = "L%dD%dT%dB%dlr%gw%ds%dc%g" % (L, D, T, B, LR, WARM, STEPS, CLIP)
    out = []
    for seed in SEEDS:
        for n in names:
            r = run(n, seed); out.append(r)
            print("%s seed %d %s: %.4f (%ss)" % (tag, seed, n, r["final"], r["seconds"]), flush=True)
            json.dump(out, open(os.path.join(os.environ.get("OUT", "."), "formats_%s_%s.json" % (tag, "_".join(names))), "w"))
