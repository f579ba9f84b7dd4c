package dev.lowbit.gemm;

/**
 * How one exact GEMM of integer codes is executed: the middle stage of the one GEMM road (codes → plan → executor →
 * {@link GemmBackend}). {@link FastImUnpack} chooses the plan from the codes' row and column maxima and the backend's
 * {@link GemmBackend#intCostPerMac costs}; the result never depends on the plan, only the time does. {@link #label()} is
 * the name reports and JSON use.
 */
public sealed interface GemmPlan {
    /** b of the integer kernel (0 where no b-bit kernel runs: float lanes, wide). */
    int bits();

    /** The plan's name in reports: {@code none}, {@code row}, {@code column}, {@code both}, {@code float}, … */
    String label();

    /** Every code already fits b bits: one b-bit GEMM of the codes as they are. */
    record None(int bits) implements GemmPlan {
        public String label() {
            return "none";
        }
    }

    /** Rows with large codes unpacked into b-bit digit rows (IM-Unpack's row strategy). */
    record Row(int bits) implements GemmPlan {
        public String label() {
            return "row";
        }
    }

    /** Columns with large codes unpacked into b-bit digit columns, grouped by digit exponent (column strategy). */
    record Column(int bits) implements GemmPlan {
        public String label() {
            return "column";
        }
    }

    /** The paper's greedy mix of row and column unpacking ({@link ImUnpackGemm} only). */
    record Greedy(int bits) implements GemmPlan {
        public String label() {
            return "both";
        }
    }

    /**
     * The codes in float32 lanes, nothing unpacked: every partial sum of each of {@code segments} k-segments stays an
     * integer below 2^24, so any summation order is exact.
     */
    record FloatLanes(int segments) implements GemmPlan {
        public int bits() {
            return 0;
        }

        public String label() {
            return "float";
        }
    }

    /** Column unpacking to 8-bit digits, each exponent group one exact float32 GEMM, summed in float64. */
    record FloatDigits(int bits) implements GemmPlan {
        public String label() {
            return "float-column";
        }
    }

    /** The int32 codes unsplit through the backend's wide kernel ({@link GemmBackend#WIDE_BITS}). */
    record Wide() implements GemmPlan {
        public int bits() {
            return 0;
        }

        public String label() {
            return "wide";
        }
    }

    /** Codes beyond int32: the general pipeline ({@link ImUnpackGemm}) with the inner plan. */
    record Fallback(GemmPlan inner) implements GemmPlan {
        public int bits() {
            return inner.bits();
        }

        public String label() {
            return "fallback:" + inner.label();
        }
    }
}
