package dev.lowbit.unpack;

import dev.lowbit.LowbitException;
import java.util.Locale;

/**
 * How out-of-range entries are unpacked (paper Algorithms 1–5).
 *
 * <ul>
 *   <li>{@code ROW}: each row of each operand becomes D(max|row|) digit rows (scales S^j).
 *   <li>{@code COLUMN}: inner index c becomes a_c·b_c digit-pair columns (scale S^(i+j)).
 *   <li>{@code BOTH}: the paper's greedy mix: repeatedly split whichever row or column of the operand
 *       holds the most out-of-range entries (ties to row), first for the left operand, then the right.
 *   <li>{@code AUTO}: the cheapest of the three by unpacked work m'·n'·k' (computed before any GEMM).
 * </ul>
 */
public enum UnpackStrategy {
    ROW, COLUMN, BOTH, AUTO;

    public static UnpackStrategy parse(String s) {
        try {
            return valueOf(s.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new LowbitException("unknown strategy '" + s + "' (use row, column, both or auto)");
        }
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
