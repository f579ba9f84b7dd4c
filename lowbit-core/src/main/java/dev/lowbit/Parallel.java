package dev.lowbit;

import java.util.stream.IntStream;

/**
 * Contiguous ranges of {@code [0, n)} shared out over the common fork-join pool. Bodies write disjoint parts of their
 * outputs (and merge anything shared after the call, in part order), so a result never depends on the part count.
 */
public final class Parallel {
    private Parallel() {}

    /** A body over the items {@code [from, to)} of part {@code part}. */
    public interface Range {
        void run(int part, int from, int to);
    }

    /** How many parts {@code n} items of {@code cost} each make: at most {@code parallelism}, each worth ≥ 2^16 cost units. */
    public static int parts(int parallelism, long n, long cost) {
        return (int) Math.max(1, Math.min(Math.min(parallelism, n), n * cost / 65536));
    }

    /** Runs {@code body} on {@code parts} contiguous ranges of {@code [0, n)}, in parallel when parts > 1. */
    public static void forRanges(int parts, int n, Range body) {
        if (parts <= 1) {
            body.run(0, 0, n);
            return;
        }
        IntStream.range(0, parts).parallel().forEach(t -> body.run(t, (int) ((long) n * t / parts), (int) ((long) n * (t + 1) / parts)));
    }
}
