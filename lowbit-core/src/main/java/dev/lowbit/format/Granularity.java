package dev.lowbit.format;

import dev.lowbit.LowbitException;
import java.util.Locale;

/**
 * Which elements share one scale. The scales of a {@code rows × cols} matrix form a
 * {@code scaleRows(rows) × scaleCols(cols)} grid; element (r, c) uses cell
 * ({@code r} or 0, {@code c / groupCols(cols)}).
 *
 * <ul>
 *   <li>{@code TENSOR}: one scale for everything.
 *   <li>{@code ROW}: one scale per row (per token / per output channel in an NT GEMM).
 *   <li>{@code COLUMN}: one scale per column.
 *   <li>{@code GROUP}: one scale per row and group of {@code groupSize} consecutive columns.
 * </ul>
 */
public record Granularity(Kind kind, int groupSize) {
    public enum Kind { TENSOR, ROW, COLUMN, GROUP }

    public static final Granularity TENSOR = new Granularity(Kind.TENSOR, 0);
    public static final Granularity ROW = new Granularity(Kind.ROW, 0);
    public static final Granularity COLUMN = new Granularity(Kind.COLUMN, 0);

    public Granularity {
        if (kind == Kind.GROUP ? groupSize < 1 : groupSize != 0) {
            throw new LowbitException("group size must be >= 1 for GROUP granularity and absent otherwise, got " + groupSize);
        }
    }

    public static Granularity group(int groupSize) {
        return new Granularity(Kind.GROUP, groupSize);
    }

    /** Parses {@code tensor}, {@code row}, {@code column} or {@code group:K}. */
    public static Granularity parse(String s) {
        String t = s.strip().toLowerCase(Locale.ROOT);
        return switch (t) {
            case "tensor" -> TENSOR;
            case "row" -> ROW;
            case "column", "col" -> COLUMN;
            default -> {
                if (t.startsWith("group:")) {
                    try {
                        yield group(Integer.parseInt(t.substring(6)));
                    } catch (NumberFormatException e) {
                        // fall through to the error below
                    }
                }
                throw new LowbitException("unknown granularity '" + s + "' (use tensor, row, column or group:K)");
            }
        };
    }

    /** Number of scale rows for a matrix with {@code rows} rows. */
    public int scaleRows(int rows) {
        return kind == Kind.ROW || kind == Kind.GROUP ? rows : 1;
    }

    /** Width of one column group for a matrix with {@code cols} columns (at least 1). */
    public int groupCols(int cols) {
        return switch (kind) {
            case TENSOR, ROW -> Math.max(cols, 1);
            case COLUMN -> 1;
            case GROUP -> groupSize;
        };
    }

    /** Number of scale columns for a matrix with {@code cols} columns. */
    public int scaleCols(int cols) {
        int g = groupCols(cols);
        return cols == 0 ? 1 : (cols + g - 1) / g;
    }

    @Override
    public String toString() {
        return kind == Kind.GROUP ? "group:" + groupSize : kind.name().toLowerCase(Locale.ROOT);
    }
}
