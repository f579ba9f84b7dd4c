package dev.lowbit.format;

import dev.lowbit.LowbitException;
import dev.lowbit.round.Rounding;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Named formats and the CLI's format names.
 *
 * <ul>
 *   <li>fp16 (e5m10), bf16 (e8m7), tf32 (e8m10): IEEE-style, bias 2^(e−1) − 1.
 *   <li>OCP FP8: e5m2 (IEEE-style, max 57344), e4m3 (NaN only, max 448); OCP FP6: e3m2 (max 28), e2m3 (max 7.5);
 *       OCP FP4: e2m1 (max 6) — FP6/FP4 have neither ∞ nor NaN.
 *   <li>Any other {@code eXmY} is IEEE-style with bias 2^(X−1) − 1 (like chop/pychop custom formats; e1mY has
 *       no room for ∞ and is finite-only). Suffixes: {@code -fn} (E4M3-style NaN only), {@code -finite},
 *       {@code -ieee}, {@code -b<bias>}, e.g. {@code e3m4-fn-b5}.
 *   <li>{@code int2} … {@code int16}: symmetric, per-tensor scale; suffixes {@code -asym}, {@code -row},
 *       {@code -col}, {@code -g<K>} (groups of K along the last axis), e.g. {@code int4-asym-g128}.
 *   <li>OCP MX v1.0 (32-element blocks, E8M0 scale): mxfp8-e4m3, mxfp8-e5m2, mxfp6-e3m2, mxfp6-e2m3, mxfp4,
 *       mxint8 (elements k/64, |k| ≤ 127).
 *   <li>nvfp4: E2M1 elements, 16-element blocks, E4M3 block scale, FP32 tensor scale.
 *   <li>{@code bfp<m>} (m = 1..15): block floating point with a shared exponent (E8M0) per 32 values and
 *       m magnitude bits plus sign per value; {@code bfp<m>-b<N>} for blocks of N.
 *   <li>{@code fast-bfp<m>} (m = 1..15): FAST's BFP preset ({@link #fastBfp}): the same rule with an unclamped
 *       power-of-two shared exponent per 16 values; {@code fast-bfp<m>-b<N>} for blocks of N. FAST rounds it with
 *       {@link #fastRounding} ({@code --rounding stochastic-add} on the CLI).
 * </ul>
 */
public final class Formats {
    private Formats() {}

    public static final MiniFloat FP16 = new MiniFloat(5, 10, 15, MiniFloat.Special.IEEE);
    public static final MiniFloat BF16 = new MiniFloat(8, 7, 127, MiniFloat.Special.IEEE);
    public static final MiniFloat TF32 = new MiniFloat(8, 10, 127, MiniFloat.Special.IEEE);
    public static final MiniFloat E5M2 = new MiniFloat(5, 2, 15, MiniFloat.Special.IEEE);
    public static final MiniFloat E4M3 = new MiniFloat(4, 3, 7, MiniFloat.Special.NAN_ONLY);
    public static final MiniFloat E3M2 = new MiniFloat(3, 2, 3, MiniFloat.Special.FINITE);
    public static final MiniFloat E2M3 = new MiniFloat(2, 3, 1, MiniFloat.Special.FINITE);
    public static final MiniFloat E2M1 = new MiniFloat(2, 1, 1, MiniFloat.Special.FINITE);

    public static final int MX_BLOCK = 32;
    public static final int NVFP4_BLOCK = 16;
    public static final int BFP_BLOCK = 32;
    /** FAST's group size: one shared exponent per 16 values. */
    public static final int FAST_BLOCK = 16;

    public static final BlockFormat MXFP8_E4M3 = mx("mxfp8-e4m3", E4M3);
    public static final BlockFormat MXFP8_E5M2 = mx("mxfp8-e5m2", E5M2);
    public static final BlockFormat MXFP6_E3M2 = mx("mxfp6-e3m2", E3M2);
    public static final BlockFormat MXFP6_E2M3 = mx("mxfp6-e2m3", E2M3);
    public static final BlockFormat MXFP4 = mx("mxfp4", E2M1);
    public static final BlockFormat MXINT8 = mx("mxint8", IntFormat.symmetric(8));
    public static final BlockFormat NVFP4 = new BlockFormat("nvfp4", new ScaleFormat.E4M3TensorScaled(), E2M1, NVFP4_BLOCK, true);

    private static final Map<String, NumberFormat> NAMED = new LinkedHashMap<>();

    static {
        for (MiniFloat f : List.of(FP16, BF16, TF32, E5M2, E4M3, E3M2, E2M3, E2M1)) {
            NAMED.put(nameOfNamed(f), f);
        }
    }

    private static BlockFormat mx(String name, NumberFormat element) {
        return new BlockFormat(name, new ScaleFormat.E8M0(), element, MX_BLOCK, true);
    }

    /** Block floating point: m magnitude bits + sign per value, one shared exponent per {@code block} values. */
    public static BlockFormat bfp(int mantissaBits, int block) {
        if (mantissaBits < 1 || mantissaBits > 15) {
            throw new LowbitException("bfp needs 1..15 mantissa bits, got " + mantissaBits);
        }
        if (block < 1) {
            throw new LowbitException("bfp block size must be >= 1, got " + block);
        }
        String name = "bfp" + mantissaBits + (block == BFP_BLOCK ? "" : "-b" + block);
        return new BlockFormat(name, new ScaleFormat.E8M0(), IntFormat.symmetric(mantissaBits + 1), block, false);
    }

    /**
     * FAST's block floating point as a preset of {@link BlockFormat}: {@link #bfp} with the unclamped
     * {@link ScaleFormat.Pow2} shared exponent instead of E8M0 (per group {@code e = floor(log2 max|x|)},
     * {@code step = 2^(e − m + 1)}, {@code q = clamp(round(x/step), ±(2^m − 1))}, value {@code q·step}; a group with
     * a NaN or ±∞ is NaN). Training rounds it with {@link #fastRounding}. This is the rule the deleted
     * {@code BfpQuantizer} implemented (issue 17 item 4), bit for bit.
     */
    public static BlockFormat fastBfp(int mantissaBits, int block) {
        BlockFormat b = bfp(mantissaBits, block);
        String name = "fast-bfp" + mantissaBits + (block == FAST_BLOCK ? "" : "-b" + block);
        return new BlockFormat(name, new ScaleFormat.Pow2(), b.element(), block, false);
    }

    /** FAST's stochastic rounding, {@code floor(t + u)} ({@link Rounding.StochasticAdd}), for {@link #fastBfp}. */
    public static Rounding fastRounding(long seed) {
        return new Rounding.StochasticAdd(seed);
    }

    private static String nameOfNamed(MiniFloat f) {
        if (f.equals(FP16)) {
            return "fp16";
        }
        if (f.equals(BF16)) {
            return "bf16";
        }
        if (f.equals(TF32)) {
            return "tf32";
        }
        return "e" + f.exponentBits() + "m" + f.mantissaBits();
    }

    static String nameOf(MiniFloat f) {
        for (MiniFloat n : List.of(FP16, BF16, TF32, E5M2, E4M3, E3M2, E2M3, E2M1)) {
            if (n != null && n.equals(f)) {
                return nameOfNamed(f);
            }
        }
        StringBuilder sb = new StringBuilder("e").append(f.exponentBits()).append('m').append(f.mantissaBits());
        MiniFloat dflt = generic(f.exponentBits(), f.mantissaBits());
        boolean namedClash = NAMED.containsKey(sb.toString());
        if (f.special() != dflt.special() || namedClash) {
            sb.append(switch (f.special()) {
                case IEEE -> "-ieee";
                case NAN_ONLY -> "-fn";
                case FINITE -> "-finite";
            });
        }
        if (f.bias() != MiniFloat.defaultBias(f.exponentBits())) {
            sb.append("-b").append(f.bias());
        }
        return sb.toString();
    }

    /**
     * The generic eXmY: IEEE-style unless e = 1 or m = 0 (no room for ∞ and NaN); then finite-only, or NaN-only
     * when the all-ones code would exceed float32 (e8m0, like E8M0 with a sign).
     */
    static MiniFloat generic(int e, int m) {
        if (e >= 2 && m >= 1) {
            return new MiniFloat(e, m, MiniFloat.defaultBias(e), MiniFloat.Special.IEEE);
        }
        try {
            return new MiniFloat(e, m, MiniFloat.defaultBias(e), MiniFloat.Special.FINITE);
        } catch (IllegalArgumentException tooWide) {
            return new MiniFloat(e, m, MiniFloat.defaultBias(e), MiniFloat.Special.NAN_ONLY);
        }
    }

    /** Every named format, in the order of {@code ./lowbit formats}. */
    public static List<NumberFormat> named() {
        List<NumberFormat> out = new ArrayList<>(NAMED.values());
        for (int b = 2; b <= 16; b++) {
            out.add(IntFormat.symmetric(b));
        }
        out.addAll(List.of(MXFP8_E4M3, MXFP8_E5M2, MXFP6_E3M2, MXFP6_E2M3, MXFP4, MXINT8, NVFP4, bfp(4, BFP_BLOCK),
                bfp(8, BFP_BLOCK)));
        return out;
    }

    private static final Pattern MINI = Pattern.compile("e(\\d)m(\\d{1,2})((?:-[a-z]+-?\\d*)*)");
    private static final Pattern INT = Pattern.compile("int(\\d{1,2})((?:-[a-z]+\\d*)*)");
    private static final Pattern BFP = Pattern.compile("(fast-)?bfp(\\d{1,2})(?:-b(\\d+))?");

    /** Parses a CLI format name; unknown names are a {@link LowbitException} listing the known ones. */
    public static NumberFormat parse(String name) {
        String t = name.strip().toLowerCase(Locale.ROOT);
        NumberFormat f = NAMED.get(t);
        if (f != null) {
            return f;
        }
        switch (t) {
            case "mxfp8-e4m3" -> { return MXFP8_E4M3; }
            case "mxfp8-e5m2" -> { return MXFP8_E5M2; }
            case "mxfp6-e3m2" -> { return MXFP6_E3M2; }
            case "mxfp6-e2m3" -> { return MXFP6_E2M3; }
            case "mxfp4" -> { return MXFP4; }
            case "mxint8" -> { return MXINT8; }
            case "nvfp4" -> { return NVFP4; }
            default -> { }
        }
        try {
            Matcher mm = MINI.matcher(t);
            if (mm.matches()) {
                return parseMini(Integer.parseInt(mm.group(1)), Integer.parseInt(mm.group(2)), mm.group(3), name);
            }
            Matcher mi = INT.matcher(t);
            if (mi.matches()) {
                return parseInt(Integer.parseInt(mi.group(1)), mi.group(2), name);
            }
            Matcher mb = BFP.matcher(t);
            if (mb.matches()) {
                int m = Integer.parseInt(mb.group(2));
                if (mb.group(1) != null) {
                    return fastBfp(m, mb.group(3) == null ? FAST_BLOCK : Integer.parseInt(mb.group(3)));
                }
                return bfp(m, mb.group(3) == null ? BFP_BLOCK : Integer.parseInt(mb.group(3)));
            }
        } catch (LowbitException e) {
            throw e.getMessage().startsWith("bad format") ? e : new LowbitException("bad format '" + name + "': " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new LowbitException("bad format '" + name + "': " + e.getMessage());
        }
        throw new LowbitException("unknown format '" + name + "' (use fp16, bf16, tf32, e5m2, e4m3, e3m2, e2m3, e2m1, eXmY,"
                + " int2..int16, mxfp8-e4m3, mxfp8-e5m2, mxfp6-e3m2, mxfp6-e2m3, mxfp4, mxint8, nvfp4, bfp<m> or fast-bfp<m>; see './lowbit formats')");
    }

    private static MiniFloat parseMini(int e, int m, String suffixes, String name) {
        MiniFloat base = NAMED.get("e" + e + "m" + m) instanceof MiniFloat n ? n : generic(e, m);
        MiniFloat.Special special = base.special();
        int bias = MiniFloat.defaultBias(e);
        for (String s : suffixes.split("-")) {
            if (s.isEmpty()) {
                continue;
            }
            switch (s) {
                case "ieee" -> special = MiniFloat.Special.IEEE;
                case "fn" -> special = MiniFloat.Special.NAN_ONLY;
                case "finite" -> special = MiniFloat.Special.FINITE;
                default -> {
                    if (s.startsWith("b") && s.length() > 1) {
                        bias = Integer.parseInt(s.substring(1));
                    } else if (s.matches("\\d+") && suffixes.contains("-b-" + s)) {
                        bias = -Integer.parseInt(s);
                    } else if (!s.equals("b")) {
                        throw new LowbitException("bad format '" + name + "': unknown suffix '-" + s + "' (use -ieee, -fn, -finite, -b<bias>)");
                    }
                }
            }
        }
        return new MiniFloat(e, m, bias, special);
    }

    private static IntFormat parseInt(int bits, String suffixes, String name) {
        boolean sym = true;
        Granularity g = Granularity.TENSOR;
        for (String s : suffixes.split("-")) {
            if (s.isEmpty()) {
                continue;
            }
            switch (s) {
                case "sym" -> sym = true;
                case "asym" -> sym = false;
                case "tensor" -> g = Granularity.TENSOR;
                case "row" -> g = Granularity.ROW;
                case "col", "column" -> g = Granularity.COLUMN;
                default -> {
                    if (s.matches("g\\d+")) {
                        g = Granularity.group(Integer.parseInt(s.substring(1)));
                    } else {
                        throw new LowbitException("bad format '" + name + "': unknown suffix '-" + s
                                + "' (use -asym, -row, -col, -g<K>)");
                    }
                }
            }
        }
        return new IntFormat(bits, sym, g);
    }

    /** Fake-quantizes with round-to-nearest-even on one thread. */
    public static RoundStats round(NumberFormat f, float[] x, float[] out, int rows, int cols) {
        return f.round(x, out, rows, cols, Rounding.NEAREST_EVEN, 1);
    }
}
