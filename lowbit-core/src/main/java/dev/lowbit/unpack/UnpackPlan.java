package dev.lowbit.unpack;

/**
 * How the unpacked operands map back to the original GEMM {@code C = A·Bᵀ} (A m×k, B n×k).
 * Unpacked row r of A contributes {@code S^lhsRowExp[r]} times itself to original row
 * {@code lhsRowSource[r]}; likewise for B; unpacked column c has weight {@code S^colExp[c]} and comes
 * from original inner index {@code colSource[c]}. Columns are sorted by exponent, and
 * {@code colGroupStart} lists where each run of equal exponents begins (plus k' at the end), so each
 * run is one plain low-bit GEMM:
 *
 * <pre>
 *   C[i,j] = Σ_{r→i} Σ_{t→j} S^(eA_r + eB_t) · Σ_g S^(e_g) · (A'_g · B'_gᵀ)[r,t]
 * </pre>
 */
public record UnpackPlan(int bits, int m, int n, int k,
                         int[] lhsRowSource, int[] lhsRowExp,
                         int[] rhsRowSource, int[] rhsRowExp,
                         int[] colSource, int[] colExp, int[] colGroupStart,
                         UnpackStrategy strategy) {

    public int unpackedM() {
        return lhsRowSource.length;
    }

    public int unpackedN() {
        return rhsRowSource.length;
    }

    public int unpackedK() {
        return colSource.length;
    }

    /** Number of column runs with a common exponent (one low-bit GEMM each). */
    public int groups() {
        return colGroupStart.length - 1;
    }

    /** (m'·n'·k') / (m·n·k); 1 for empty GEMMs. */
    public double ratio() {
        double base = (double) m * n * k;
        return base == 0 ? 1.0 : (double) unpackedM() * unpackedN() * unpackedK() / base;
    }

    /** Unpacked work m'·n'·k' (multiply-adds). */
    public double work() {
        return (double) unpackedM() * unpackedN() * unpackedK();
    }

    /** log2 of S: the shift for one digit position. */
    public int digitShift() {
        return bits - 1;
    }
}
