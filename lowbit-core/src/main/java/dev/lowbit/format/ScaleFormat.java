package dev.lowbit.format;

/**
 * How a block format scales its elements.
 *
 * <ul>
 *   <li>{@link E8M0}: one power of two per block (OCP MX, and the shared exponent of BFP). Code c ∈ [0, 254]
 *       means 2^(c − 127); 0xFF is NaN; no zero, no sign. Scale selection ("FLOOR", OCP MX v1.0 §6.3):
 *       {@code X = 2^clamp(floor(log2 amax) − emax_elem, −127, 127)}; amax = 0 gives 2^−127; a NaN or ±∞ in
 *       the block gives the NaN scale, and the whole block decodes to NaN.
 *   <li>{@link Pow2}: the same power-of-two rule without the clamp,
 *       {@code X = 2^(floor(log2 amax) − emax_elem)} — FAST's shared exponent (as the deleted BfpQuantizer computed it).
 *       It differs from E8M0 only for blocks whose amax is below 2^−127 (float32 subnormals), which E8M0
 *       flushes towards its 2^−127 floor. Codes are {@code exponent + 127} like E8M0 (0xFF NaN), but may fall
 *       outside a byte for such blocks.
 *   <li>{@link E4M3TensorScaled}: NVFP4's two levels: an FP32 per-tensor encode scale
 *       {@code S_enc = 448·6 / amax_tensor} and per block an E4M3 decode scale
 *       {@code S_dec = e4m3(min(amax_block · (S_enc · (1/6)), 448))} (TransformerEngine's chain).
 * </ul>
 */
public sealed interface ScaleFormat permits ScaleFormat.E8M0, ScaleFormat.Pow2, ScaleFormat.E4M3TensorScaled {
    /** Bits stored per block. */
    int bitsPerBlock();

    String label();

    /** OCP E8M0 power-of-two scale. */
    record E8M0() implements ScaleFormat {
        public static final int NAN_CODE = 0xFF;
        public static final int MIN_EXP = -127;
        public static final int MAX_EXP = 127;

        @Override
        public int bitsPerBlock() {
            return 8;
        }

        @Override
        public String label() {
            return "E8M0";
        }

        /** Code of 2^exp, exp ∈ [−127, 127]. */
        public static int encode(int exp) {
            if (exp < MIN_EXP || exp > MAX_EXP) {
                throw new IllegalArgumentException("E8M0 exponent out of range: " + exp);
            }
            return exp + 127;
        }

        /** 2^(code − 127), NaN for 0xFF. */
        public static double decode(int code) {
            if (code < 0 || code > 255) {
                throw new IllegalArgumentException("E8M0 code out of range: " + code);
            }
            return code == NAN_CODE ? Double.NaN : Math.scalb(1.0, code - 127);
        }
    }

    /**
     * An unclamped power-of-two block scale (FAST's shared exponent). Counted as 8 bits per block like E8M0:
     * the extra range only serves blocks of float32 subnormals; {@link BlockFormat#encode} refuses those.
     */
    record Pow2() implements ScaleFormat {
        @Override
        public int bitsPerBlock() {
            return 8;
        }

        @Override
        public String label() {
            return "2^e (unclamped)";
        }
    }

    /** NVFP4: E4M3 block decode scale times an FP32 per-tensor scale. */
    record E4M3TensorScaled() implements ScaleFormat {
        @Override
        public int bitsPerBlock() {
            return 8;
        }

        @Override
        public String label() {
            return "E4M3 block + FP32 tensor";
        }
    }
}
