package dev.lowbit.format;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits {@code [0, n)} into contiguous chunks, one per thread (at most {@code threads}, and fewer when there
 * are under 4096 elements of work per thread), and sums the chunks' statistics. Chunks never share output.
 */
final class Parallel {
    private Parallel() {}

    interface Chunk {
        RoundStats run(int from, int to);
    }

    static RoundStats forRange(int n, int threads, Chunk chunk) {
        return forRange(n, 1, threads, chunk);
    }

    /** {@code elementsPerUnit}: work per index (e.g. the row length when splitting rows). */
    static RoundStats forRange(int n, int elementsPerUnit, int threads, Chunk chunk) {
        long work = (long) n * Math.max(1, elementsPerUnit);
        int t = (int) Math.max(1, Math.min(Math.min(threads, n), work / 4096 + 1));
        if (t == 1) {
            return chunk.run(0, n);
        }
        List<Thread> ts = new ArrayList<>();
        RoundStats[] res = new RoundStats[t];
        RuntimeException[] err = new RuntimeException[1];
        for (int i = 0; i < t; i++) {
            int id = i;
            int from = (int) ((long) n * i / t);
            int to = (int) ((long) n * (i + 1) / t);
            ts.add(Thread.ofPlatform().daemon().start(() -> {
                try {
                    res[id] = chunk.run(from, to);
                } catch (RuntimeException e) {
                    synchronized (err) {
                        err[0] = e;
                    }
                }
            }));
        }
        for (Thread th : ts) {
            try {
                th.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
        }
        if (err[0] != null) {
            throw err[0];
        }
        RoundStats s = RoundStats.EMPTY;
        for (RoundStats r : res) {
            s = s.plus(r);
        }
        return s;
    }
}
