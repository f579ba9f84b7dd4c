package dev.lowbit.simd;

import dev.lowbit.LowbitException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * Fixed pools of daemon worker threads, one per thread count. {@link #run} calls a task once per part
 * {@code t ∈ [0, parts)}, part 0 on the caller's thread; kernels give each part a disjoint set of
 * output tiles and never reduce across parts, so results do not depend on the thread count.
 */
final class SimdPool {
    private static final ConcurrentHashMap<Integer, ExecutorService> POOLS = new ConcurrentHashMap<>();

    private SimdPool() {}

    static void run(int parts, IntConsumer task) {
        if (parts <= 1) {
            task.accept(0);
            return;
        }
        ExecutorService pool = POOLS.computeIfAbsent(parts - 1, SimdPool::newPool);
        @SuppressWarnings("unchecked")
        Future<?>[] futures = new Future<?>[parts - 1];
        for (int t = 1; t < parts; t++) {
            int part = t;
            futures[t - 1] = pool.submit(() -> task.accept(part));
        }
        Throwable failure = null;
        try {
            task.accept(0);
        } catch (RuntimeException | Error e) {
            failure = e;
        }
        for (Future<?> f : futures) {
            try {
                f.get();
            } catch (ExecutionException e) {
                failure = failure == null ? e.getCause() : failure;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                failure = failure == null ? new LowbitException("interrupted while waiting for GEMM workers") : failure;
            }
        }
        if (failure instanceof RuntimeException r) {
            throw r;
        }
        if (failure instanceof Error err) {
            throw err;
        }
        if (failure != null) {
            throw new IllegalStateException(failure);
        }
    }

    private static ExecutorService newPool(int workers) {
        AtomicInteger id = new AtomicInteger();
        return Executors.newFixedThreadPool(workers, r -> {
            Thread t = new Thread(r, "lowbit-gemm-" + id.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }
}
