package dev.lowbit;

/**
 * The one place where {@code lowbit.*} system properties are read.
 *
 * <ul>
 *   <li>{@code lowbit.backend}: name of the {@code GemmBackend} to use (default: highest priority found)
 *   <li>{@code lowbit.threads}: worker threads for kernels that parallelize (default: available processors)
 *   <li>{@code lowbit.vectorBits}: force a Vector API width (128, 256, 512) for SIMD kernels (default: preferred)
 *   <li>{@code lowbit.vectorMath}: name of the {@code VectorMath} implementation (default: highest priority found)
 *   <li>{@code lowbit.rtnGeneral}: {@code true} makes lowbit-nn's RTN precisions (imunpack, int8) run every GEMM on the
 *       general IM-Unpack path instead of the fast one (same results; for A/B measurements and tests)
 * </ul>
 */
public final class Flags {
    private Flags() {}

    public static String backend() {
        return System.getProperty("lowbit.backend", "").strip();
    }

    public static String vectorMath() {
        return System.getProperty("lowbit.vectorMath", "").strip();
    }

    public static boolean rtnGeneral() {
        return Boolean.parseBoolean(System.getProperty("lowbit.rtnGeneral", "false").strip());
    }

    public static int threads() {
        return positiveInt("lowbit.threads", Runtime.getRuntime().availableProcessors());
    }

    /** 0 means "the preferred species". */
    public static int vectorBits() {
        return positiveInt("lowbit.vectorBits", 0);
    }

    private static int positiveInt(String key, int dflt) {
        String v = System.getProperty(key);
        if (v == null || v.isBlank()) {
            return dflt;
        }
        try {
            int i = Integer.parseInt(v.strip());
            if (i < 0) {
                throw new NumberFormatException();
            }
            return i;
        } catch (NumberFormatException e) {
            throw new LowbitException("system property " + key + " must be a non-negative integer, got '" + v + "'");
        }
    }
}
