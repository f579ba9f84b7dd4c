package dev.lowbit.format;

import dev.lowbit.LowbitException;
import dev.lowbit.round.Rounding;
import java.util.Arrays;

/**
 * A block format = scale ∘ element: consecutive runs of {@code blockSize} values along the last axis
 * share one scale ({@link ScaleFormat}), each value is stored as an element ({@link MiniFloat}, or an
 * {@link IntFormat} read as sign-magnitude fixed point k/2^(b−2)).
 *
 * <p><b>E8M0 scale (OCP MX v1.0, BFP).</b> Per block: {@code amax = max|x_i|};
 * {@code X = 2^clamp(floor(log2 amax) − emax_elem, −127, 127)} where emax_elem = floor(log2(element max))
 * (E4M3 8, E5M2 15, E3M2 4, E2M3 2, E2M1 2, integer elements 0); {@code P_i = round_elem(x_i / X)} with
 * saturation at ± element max (the largest elements can clip: MXFP4 amax 7 → X = 1 → 6); value
 * {@code X·P_i}, exact in float. A NaN or ±∞ in a block makes the scale NaN (0xFF) and the block NaN.
 * BFP with p magnitude bits is this rule with the (p+1)-bit integer element: step = 2^(floor(log2 amax) − p + 1),
 * |q| ≤ 2^p − 1. FAST's BFP ({@link Formats#fastBfp}) is the same rule with the {@link ScaleFormat.Pow2} scale
 * (no clamp to [−127, 127], so blocks of float32 subnormals keep their own exponent), blocks of 16 and, in
 * training, {@link dev.lowbit.round.Rounding.StochasticAdd} rounding.
 *
 * <p><b>NVFP4</b> (E4M3 block scale, FP32 tensor scale, E2M1 elements, blocks of 16), in float32 as in
 * TransformerEngine: {@code S_enc = 448·6/amax_tensor} (1 if amax or S_enc is 0; FLT_MAX if ∞);
 * {@code S_dec = e4m3(min(amax_b · (S_enc·(1/6)), 448))}; {@code enc = min(1/(S_dec·(1/S_enc)), FLT_MAX)};
 * {@code P_i = e2m1_sat(x_i · enc)}; value {@code P_i · S_dec / S_enc} (in double, rounded once to float).
 * amax_tensor is over the finite values; a block with a NaN or ±∞ decodes to NaN (E4M3 NaN scale).
 *
 * <p>The rounding mode applies to the elements (round-to-nearest-even is the hardware conversion; stochastic
 * is the NVFP4 gradient recipe and FAST's choice); scales always follow the rules above. MX and NVFP4 need
 * the last axis to be a multiple of the block size ({@code wholeBlocks}); BFP allows a shorter last block
 * (as if padded with zeros).
 */
public record BlockFormat(String name, ScaleFormat scale, NumberFormat element, int blockSize, boolean wholeBlocks)
        implements NumberFormat {

    private static final MiniFloat E4M3 = new MiniFloat(4, 3, 7, MiniFloat.Special.NAN_ONLY);

    public BlockFormat {
        if (!(element instanceof MiniFloat || element instanceof IntFormat)) {
            throw new IllegalArgumentException("block elements must be MiniFloat or IntFormat, got " + element);
        }
        if (blockSize < 1) {
            throw new IllegalArgumentException("block size must be >= 1, got " + blockSize);
        }
        if (scale instanceof ScaleFormat.E4M3TensorScaled && !(element instanceof MiniFloat)) {
            throw new IllegalArgumentException("NVFP4-style scaling needs a MiniFloat element");
        }
    }

    /** Element bits. */
    public int elementBits() {
        return element instanceof MiniFloat f ? f.bits() : ((IntFormat) element).bits();
    }

    /** floor(log2(element max)): the emax_elem of the scale rule. */
    public int elementEmax() {
        return element instanceof MiniFloat f ? f.emax() : 0;
    }

    public double elementMax() {
        return element instanceof MiniFloat f ? f.maxFinite() : ((IntFormat) element).elementMax();
    }

    double roundElement(double v, Rounding r, long index) {
        return element instanceof MiniFloat f ? f.round(v, r, index, true) : ((IntFormat) element).roundElement(v, r, index);
    }

    int elementCode(double value) {
        return element instanceof MiniFloat f ? f.codeOf(value) : ((IntFormat) element).elementCode(value);
    }

    double elementValue(int code) {
        return element instanceof MiniFloat f ? f.decode(code) : ((IntFormat) element).elementValue(code);
    }

    @Override
    public FormatInfo info() {
        double bitsPer = elementBits() + (double) scale.bitsPerBlock() / blockSize;
        String desc = blockSize + "-element blocks, " + scale.label() + " scale, " + element.name() + " elements";
        if (scale instanceof ScaleFormat.E4M3TensorScaled) {
            MiniFloat f = (MiniFloat) element;
            return new FormatInfo(name, bitsPer, f.maxFinite() * E4M3.maxFinite(), f.minNormal() * E4M3.minSubnormal(),
                    f.minSubnormal() * E4M3.minSubnormal(), f.info().epsilon(), false, true,
                    desc + " (values in units of the tensor scale 1/S_enc)");
        }
        double top = Math.scalb(1.0, ScaleFormat.E8M0.MAX_EXP);
        // an unclamped Pow2 scale reaches the float32 subnormals: the smallest output is 2^-149
        double bottom = Math.scalb(1.0, scale instanceof ScaleFormat.Pow2 ? -149 : ScaleFormat.E8M0.MIN_EXP);
        if (element instanceof MiniFloat f) {
            return new FormatInfo(name, bitsPer, f.maxFinite() * top, f.minNormal() * bottom, f.minSubnormal() * bottom,
                    f.info().epsilon(), false, true, desc);
        }
        IntFormat in = (IntFormat) element;
        double lsb = Math.scalb(1.0, -in.fractionBits());
        return new FormatInfo(name, bitsPer, in.elementMax() * top, bottom, lsb * bottom, lsb, false, true, desc);
    }

    /** Blocks per row of {@code cols} values. */
    public int blocksPerRow(int cols) {
        return (cols + blockSize - 1) / blockSize;
    }

    /** Throws the CLI's error when the last axis does not hold whole blocks. */
    public void checkShape(int cols) {
        if (wholeBlocks && cols % blockSize != 0) {
            throw new LowbitException(name + " needs the last axis to be a multiple of the block size " + blockSize + ", got "
                    + cols);
        }
    }

    // ------------------------------------------------------------------ the block rule

    /** NVFP4's per-tensor encode scale S_enc from the finite values of {@code x}. */
    static float tensorEncodeScale(float[] x, int n) {
        float amax = 0;
        for (int i = 0; i < n; i++) {
            float a = Math.abs(x[i]);
            if (a <= Float.MAX_VALUE && a > amax) {
                amax = a;
            }
        }
        float s = 448f * 6f / amax;
        if (amax == 0 || s == 0) {
            return 1f;
        }
        return Math.min(s, Float.MAX_VALUE);
    }

    /**
     * Quantizes one block {@code x[from..to)}: writes element values (P_i, unscaled) into {@code p[0..to-from)}
     * and returns the block's scale code (E8M0 code, exponent + 127 for Pow2, or the E4M3 code of S_dec for NVFP4), and counts clipped
     * elements in {@code sat[0]}.
     */
    int quantizeBlock(float[] x, int from, int to, float sEnc, Rounding r, double[] p, long[] sat) {
        float amax = 0;
        boolean special = false;
        for (int i = from; i < to; i++) {
            float a = Math.abs(x[i]);
            if (!(a <= Float.MAX_VALUE)) {
                special = true;
            } else if (a > amax) {
                amax = a;
            }
        }
        double emaxValue = elementMax();
        if (scale instanceof ScaleFormat.E4M3TensorScaled) {
            MiniFloat f = (MiniFloat) element;
            if (special) {
                Arrays.fill(p, 0, to - from, Double.NaN);
                return E4M3.codeOf(Double.NaN);
            }
            float sDec = (float) E4M3.round(Math.min(amax * (sEnc * (1f / 6f)), 448f), Rounding.NEAREST_EVEN, 0, true);
            float enc = Math.min(1f / (sDec * (1f / sEnc)), Float.MAX_VALUE);
            for (int i = from; i < to; i++) {
                float v = x[i] * enc;
                double q = f.round(v, r, i, true);
                if (Math.abs(v) > emaxValue && Math.abs(q) == emaxValue) {
                    sat[0]++;
                }
                p[i - from] = q;
            }
            return E4M3.codeOf(sDec);
        }
        if (special) {
            Arrays.fill(p, 0, to - from, Double.NaN);
            return ScaleFormat.E8M0.NAN_CODE;
        }
        int shared = sharedExponent(amax);
        for (int i = from; i < to; i++) {
            double v = Math.scalb((double) x[i], -shared);
            double q = roundElement(v, r, i);
            if (Math.abs(v) > emaxValue && Math.abs(q) == emaxValue) {
                sat[0]++;
            }
            p[i - from] = q;
        }
        return scale instanceof ScaleFormat.E8M0 ? ScaleFormat.E8M0.encode(shared) : shared + 127;
    }

    /** The E8M0/Pow2 block exponent of a finite amax: floor(log2 amax) − emax_elem, E8M0 clamped to [−127, 127]. */
    private int sharedExponent(float amax) {
        int shared = amax == 0 ? ScaleFormat.E8M0.MIN_EXP : Math.getExponent((double) amax) - elementEmax();
        if (scale instanceof ScaleFormat.E8M0) {
            shared = Math.max(ScaleFormat.E8M0.MIN_EXP, Math.min(ScaleFormat.E8M0.MAX_EXP, shared));
        }
        return shared;
    }

    /**
     * {@link #quantizeBlock} then {@link #value} for integer elements (BFP, MXINT8) under a power-of-two scale, in one
     * pass on the integer grid: {@code t = x·2^(fb − shared)} equals scalb(scalb(x, −shared), fb) exactly (a float
     * times a power of two stays a normal double here), {@code k = clamp(round(t), ±(2^(b−1) − 1))}, value
     * {@code k·2^(shared − fb)} (exact in double, +0 for k = 0) rounded once to float — the same bits as the
     * two-step path (BfpPresetTest, BlockFormatTest).
     */
    private void roundIntBlock(float[] x, float[] out, int from, int to, IntFormat in, Rounding r, long[] sat) {
        float amax = 0;
        for (int i = from; i < to; i++) {
            amax = Math.max(amax, Math.abs(x[i])); // a NaN stays NaN
        }
        if (!(amax <= Float.MAX_VALUE)) { // a NaN or ±∞ in the block: the NaN scale
            Arrays.fill(out, from, to, Float.NaN);
            return;
        }
        int shared = sharedExponent(amax);
        int fb = in.fractionBits();
        double toGrid = pow2(fb - shared);
        double fromGrid = pow2(shared - fb);
        double qmax = Math.scalb(in.elementMax(), fb); // 2^(b−1) − 1
        long clipped = 0;
        for (int i = from; i < to; i++) {
            double t = x[i] * toGrid;
            double k = Math.max(-qmax, Math.min(qmax, r.round(t, i)));
            clipped += Math.abs(t) > qmax ? 1 : 0; // then |k| = qmax in every rounding mode (qmax is an integer)
            out[i] = (float) (k * fromGrid) + 0f; // + 0f: a zero element is +0
        }
        sat[0] += clipped;
    }

    /** 2^e for a normal double exponent (−1022 ≤ e ≤ 1023; here |e| < 300), without {@code Math.scalb}'s checks. */
    static double pow2(int e) {
        return Double.longBitsToDouble((long) (e + Double.MAX_EXPONENT) << 52);
    }

    /** The value of element P under a block scale code. */
    float value(double p, int scaleCode, float sEnc) {
        if (scale instanceof ScaleFormat.E4M3TensorScaled) {
            double sDec = E4M3.decode(scaleCode);
            return (float) (p * sDec / sEnc);
        }
        if (scaleCode == ScaleFormat.E8M0.NAN_CODE) {
            return Float.NaN;
        }
        return (float) Math.scalb(p, scaleCode - 127);
    }

    @Override
    public RoundStats round(float[] x, float[] out, int rows, int cols, Rounding rounding, int threads) {
        checkShape(cols);
        int n = Math.multiplyExact(rows, cols);
        float sEnc = scale instanceof ScaleFormat.E4M3TensorScaled ? tensorEncodeScale(x, n) : 1f;
        IntFormat intElements = element instanceof IntFormat in && !(scale instanceof ScaleFormat.E4M3TensorScaled) ? in : null;
        return RoundStats.overRanges(threads, rows, cols, (t, r0, r1) -> {
            double[] p = new double[blockSize];
            long[] sat = new long[1];
            for (int r = r0; r < r1; r++) {
                for (int c0 = 0; c0 < cols; c0 += blockSize) {
                    int from = r * cols + c0;
                    int to = from + Math.min(blockSize, cols - c0);
                    if (intElements != null) {
                        roundIntBlock(x, out, from, to, intElements, rounding, sat);
                        continue;
                    }
                    int sc = quantizeBlock(x, from, to, sEnc, rounding, p, sat);
                    for (int i = from; i < to; i++) {
                        out[i] = value(p[i - from], sc, sEnc);
                    }
                }
            }
            return new RoundStats((long) (r1 - r0) * cols, sat[0], 0);
        });
    }

    /**
     * Packed bit patterns: {@code elements} holds the element codes of the row-major array packed LSB first
     * ({@link PackedCodes}; two FP4 codes per byte, low nibble first); {@code scales} one byte per block
     * (row-major, {@link #blocksPerRow} per row): the E8M0 code, or NVFP4's E4M3 code of S_dec;
     * {@code tensorScale} is NVFP4's S_enc (1 otherwise).
     */
    public record Encoded(BlockFormat format, int rows, int cols, byte[] elements, byte[] scales, float tensorScale) {}

    public Encoded encode(float[] x, int rows, int cols, Rounding rounding) {
        checkShape(cols);
        int n = Math.multiplyExact(rows, cols);
        float sEnc = scale instanceof ScaleFormat.E4M3TensorScaled ? tensorEncodeScale(x, n) : 1f;
        int nb = blocksPerRow(cols);
        int[] codes = new int[n];
        byte[] scales = new byte[rows * nb];
        double[] p = new double[blockSize];
        long[] sat = new long[1];
        for (int r = 0; r < rows; r++) {
            for (int b = 0; b < nb; b++) {
                int from = r * cols + b * blockSize;
                int to = from + Math.min(blockSize, cols - b * blockSize);
                int sc = quantizeBlock(x, from, to, sEnc, rounding, p, sat);
                if (sc < 0 || sc > 255) { // only an unclamped Pow2 scale of a block of float32 subnormals
                    throw new LowbitException(name + ": block " + (r * nb + b) + " has shared exponent " + (sc - 127)
                            + ", outside the 8-bit scale code (round() handles it; encode() cannot store it)");
                }
                scales[r * nb + b] = (byte) sc;
                boolean nan = isNanScale(sc);
                for (int i = from; i < to; i++) {
                    codes[i] = nan ? 0 : elementCode(p[i - from]);
                }
            }
        }
        return new Encoded(this, rows, cols, PackedCodes.pack(codes, elementBits()), scales, sEnc);
    }

    private boolean isNanScale(int code) {
        return scale instanceof ScaleFormat.E4M3TensorScaled ? Double.isNaN(E4M3.decode(code)) : code == ScaleFormat.E8M0.NAN_CODE;
    }

    public float[] decode(Encoded e) {
        int rows = e.rows();
        int cols = e.cols();
        int nb = blocksPerRow(cols);
        int[] codes = PackedCodes.unpack(e.elements(), elementBits(), rows * cols);
        float[] out = new float[rows * cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                int sc = e.scales()[r * nb + c / blockSize] & 0xff;
                int i = r * cols + c;
                out[i] = isNanScale(sc) ? Float.NaN : value(elementValue(codes[i]), sc, e.tensorScale());
            }
        }
        return out;
    }
}
