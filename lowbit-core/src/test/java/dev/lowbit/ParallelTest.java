package dev.lowbit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ParallelTest {
    private static final int[] SIZES = {0, 1, 2, 3, 7, 8, 9, 100, 1000, 65537};

    @Test
    void rangesCoverEveryItemExactlyOnce() {
        for (int parts = 1; parts <= 9; parts++) {
            for (int n : SIZES) {
                int[] hits = new int[n];
                Parallel.forRanges(parts, n, (t, from, to) -> {
                    for (int i = from; i < to; i++) {
                        hits[i]++;
                    }
                });
                for (int i = 0; i < n; i++) {
                    assertThat(hits[i]).as("item %d of %d in %d parts", i, n, parts).isEqualTo(1);
                }
            }
        }
    }

    @Test
    void partBoundariesAreTheDocumentedContiguousSplit() {
        for (int parts = 1; parts <= 8; parts++) {
            for (int n : SIZES) {
                int p = parts;
                int[][] seen = new int[parts][];
                Parallel.forRanges(parts, n, (t, from, to) -> seen[t] = new int[] {from, to});
                for (int t = 0; t < parts; t++) {
                    assertThat(seen[t]).as("part %d of %d over %d", t, p, n)
                            .containsExactly((int) ((long) n * t / parts), (int) ((long) n * (t + 1) / parts));
                    assertThat(seen[t][0]).isEqualTo(Parallel.from(t, parts, n));
                }
            }
        }
    }

    @Test
    void mapRangesReturnsResultsInPartOrder() {
        for (int parts = 1; parts <= 8; parts++) {
            int p = parts;
            List<int[]> got = Parallel.mapRanges(parts, 1000, (t, from, to) -> {
                sleepMillis((p - t) % 3); // later parts tend to finish first
                return new int[] {t, from, to};
            });
            assertThat(got).hasSize(parts);
            for (int t = 0; t < parts; t++) {
                assertThat(got.get(t)).containsExactly(t, Parallel.from(t, parts, 1000), Parallel.from(t + 1, parts, 1000));
            }
        }
    }

    @Test
    void mapRangesKeepsNullResults() {
        List<String> got = Parallel.mapRanges(4, 10, (t, from, to) -> t == 2 ? null : "p" + t);
        assertThat(got).containsExactly("p0", "p1", null, "p3");
    }

    /** A merge in part order of per-part results that depend only on the items gives the same bits for parts 1..8. */
    @Test
    void resultsIdenticalForPartsOneToEight() {
        int n = 100_003;
        float[] x = new float[n];
        java.util.SplittableRandom r = new java.util.SplittableRandom(7);
        for (int i = 0; i < n; i++) {
            x[i] = (float) r.nextGaussian();
        }
        float[] reference = null;
        long referenceSum = 0;
        for (int parts = 1; parts <= 8; parts++) {
            float[] out = new float[n];
            List<Long> sums = Parallel.mapRanges(parts, n, (t, from, to) -> {
                long s = 0;
                for (int i = from; i < to; i++) {
                    out[i] = x[i] * x[i] + 1f;
                    s += Float.floatToIntBits(out[i]);
                }
                return s;
            });
            long sum = 0;
            for (long s : sums) {
                sum += s;
            }
            if (reference == null) {
                reference = out;
                referenceSum = sum;
            } else {
                assertThat(java.util.Arrays.equals(out, reference)).as("same bits with %d parts", parts).isTrue();
                assertThat(sum).isEqualTo(referenceSum);
            }
        }
    }

    @Test
    void forEachRunsEveryIndexOnceOnAtMostTheGivenThreads() {
        for (int threads = 1; threads <= 4; threads++) {
            int n = 200;
            AtomicInteger[] hits = new AtomicInteger[n];
            for (int i = 0; i < n; i++) {
                hits[i] = new AtomicInteger();
            }
            AtomicInteger running = new AtomicInteger();
            AtomicInteger most = new AtomicInteger();
            Parallel.forEach(threads, n, i -> {
                most.accumulateAndGet(running.incrementAndGet(), Math::max);
                hits[i].incrementAndGet();
                sleepMillis(i % 2);
                running.decrementAndGet();
            });
            for (int i = 0; i < n; i++) {
                assertThat(hits[i].get()).isEqualTo(1);
            }
            assertThat(most.get()).as("threads %d", threads).isBetween(1, threads);
        }
    }

    @Test
    void partsRunOnNamedDaemonWorkersAndTheCaller() {
        Set<Thread> threads = ConcurrentHashMap.newKeySet();
        CountDownLatch all = new CountDownLatch(3);
        Parallel.forParts(3, t -> {
            threads.add(Thread.currentThread());
            all.countDown();
            try {
                all.await(5, TimeUnit.SECONDS); // three threads at once: the caller and two workers
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertThat(threads).hasSize(3).contains(Thread.currentThread());
        for (Thread t : threads) {
            if (t != Thread.currentThread()) {
                assertThat(t.getName()).startsWith("lowbit-worker-");
                assertThat(t.isDaemon()).isTrue();
            }
        }
    }

    @Test
    void firstFailurePropagatesWithTheOthersSuppressed() {
        CountDownLatch both = new CountDownLatch(2);
        assertThatThrownBy(() -> Parallel.forRanges(2, 10, (t, from, to) -> {
            both.countDown();
            try {
                both.await(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            throw new IllegalArgumentException("part " + t);
        })).isInstanceOfSatisfying(IllegalArgumentException.class, e -> {
            assertThat(e.getMessage()).startsWith("part ");
            assertThat(e.getSuppressed()).hasSize(1);
            assertThat(e.getSuppressed()[0]).isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("part ");
            assertThat(e.getSuppressed()[0].getMessage()).isNotEqualTo(e.getMessage());
        });
    }

    @Test
    void errorsPropagateAsThemselvesFromAWorkerPart() {
        AtomicReference<Thread> thrower = new AtomicReference<>();
        CountDownLatch both = new CountDownLatch(2);
        assertThatThrownBy(() -> Parallel.forParts(2, t -> {
            both.countDown();
            try {
                both.await(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (Parallel.onWorker()) {
                thrower.set(Thread.currentThread());
                throw new AssertionError("from a worker");
            }
        })).isInstanceOf(AssertionError.class).hasMessage("from a worker");
        assertThat(thrower.get()).isNotNull().isNotSameAs(Thread.currentThread());
    }

    @Test
    void aFailureStopsPartsNotYetStarted() {
        AtomicInteger ran = new AtomicInteger();
        assertThatThrownBy(() -> Parallel.forEach(2, 10_000, i -> {
            ran.incrementAndGet();
            if (i == 0) {
                throw new IllegalStateException("stop");
            }
            sleepMillis(1);
        })).isInstanceOf(IllegalStateException.class).hasMessage("stop");
        assertThat(ran.get()).isLessThan(10_000);
    }

    @Test
    void poolStaysUsableAfterFailures() {
        for (int k = 0; k < 20; k++) {
            int kk = k;
            assertThatThrownBy(() -> Parallel.forRanges(4, 100, (t, from, to) -> {
                if (t == kk % 4) {
                    throw new IllegalStateException("boom");
                }
            })).hasMessage("boom");
        }
        int[] hits = new int[100];
        Parallel.forRanges(4, 100, (t, from, to) -> {
            for (int i = from; i < to; i++) {
                hits[i]++;
            }
        });
        assertThat(hits).containsOnly(1);
    }

    @Test
    void nestedCallsDoNotDeadlock() {
        int outer = 8;
        int inner = 8;
        long[][] out = new long[outer][inner];
        Parallel.forRanges(outer, outer, (t, from, to) -> Parallel.forRanges(inner, inner * 1000, (u, a, b) -> {
            Parallel.forEach(3, 4, v -> {});
            long s = 0;
            for (int i = a; i < b; i++) {
                s += i;
            }
            out[t][u] = s;
        }));
        for (int t = 0; t < outer; t++) {
            long total = 0;
            for (long s : out[t]) {
                total += s;
            }
            assertThat(total).isEqualTo((long) inner * 1000 * (inner * 1000 - 1) / 2);
        }
    }

    @Test
    void nestedCallsWhileEveryWorkerIsBlockedStillFinish() throws Exception {
        // four outer parts hold every thread until all inner calls (which nobody else can help) have finished
        CountDownLatch innerDone = new CountDownLatch(4);
        Parallel.forParts(4, t -> {
            Parallel.forParts(4, u -> {});
            innerDone.countDown();
            try {
                assertThat(innerDone.await(20, TimeUnit.SECONDS)).isTrue();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertThat(innerDone.getCount()).isZero();
    }

    @Test
    void concurrentCallersGetTheirOwnResults() throws Exception {
        int callers = 6;
        List<Thread> threads = new ArrayList<>();
        List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
        for (int c = 0; c < callers; c++) {
            int id = c;
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    for (int rep = 0; rep < 50; rep++) {
                        int n = 1000 + id;
                        List<Integer> sums = Parallel.mapRanges(1 + (rep + id) % 5, n, (t, from, to) -> {
                            int s = 0;
                            for (int i = from; i < to; i++) {
                                s += i;
                            }
                            return s;
                        });
                        assertThat(sums.stream().mapToInt(Integer::intValue).sum()).isEqualTo(n * (n - 1) / 2);
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        assertThat(failures).isEmpty();
    }

    @Test
    void interruptedCallerStopsStartingPartsAndKeepsItsInterruptStatus() {
        AtomicInteger ran = new AtomicInteger();
        Thread.currentThread().interrupt();
        try {
            assertThatThrownBy(() -> Parallel.forEach(2, 1000, i -> {
                ran.incrementAndGet();
                sleepMillis(1);
            })).isInstanceOf(LowbitException.class).hasMessageContaining("interrupted");
            assertThat(Thread.currentThread().isInterrupted()).isTrue();
        } finally {
            Thread.interrupted();
        }
        assertThat(ran.get()).isLessThan(1000);
    }

    @Test
    void interruptWhileWaitingLetsRunningPartsFinishBeforeReturning() throws Exception {
        CountDownLatch both = new CountDownLatch(2);
        CountDownLatch workerStarted = new CountDownLatch(1);
        AtomicInteger finishedParts = new AtomicInteger();
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        AtomicInteger finishedWhenReturned = new AtomicInteger(-1);
        AtomicReference<Boolean> stillInterrupted = new AtomicReference<>();
        Thread caller = Thread.ofPlatform().start(() -> {
            try {
                Parallel.forParts(2, t -> {
                    both.countDown();
                    try {
                        both.await(5, TimeUnit.SECONDS); // both parts running: one of them on a worker
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    if (Parallel.onWorker()) {
                        workerStarted.countDown();
                        sleepMillis(300);
                    }
                    finishedParts.incrementAndGet();
                });
            } catch (Throwable e) {
                thrown.set(e);
            }
            finishedWhenReturned.set(finishedParts.get());
            stillInterrupted.set(Thread.currentThread().isInterrupted());
        });
        assertThat(workerStarted.await(10, TimeUnit.SECONDS)).isTrue();
        Thread.sleep(50);
        caller.interrupt();
        caller.join();
        // both parts had started, so nothing was skipped: the call returns normally, all parts done, flag kept
        assertThat(thrown.get()).isNull();
        assertThat(finishedWhenReturned.get()).isEqualTo(2);
        assertThat(stillInterrupted.get()).isTrue();
    }

    @Test
    void oneThreadRunsInlineInOrder() {
        List<Integer> order = new ArrayList<>();
        Parallel.forEach(1, 5, order::add);
        assertThat(order).containsExactly(0, 1, 2, 3, 4);
        Thread[] ran = new Thread[1];
        Parallel.forRanges(1, 10, (t, from, to) -> ran[0] = Thread.currentThread());
        assertThat(ran[0]).isSameAs(Thread.currentThread());
    }

    @Test
    void partsHonoursParallelismItemsAndGrain() {
        assertThat(Parallel.parts(8, 1_000_000, 1)).isEqualTo(8);
        assertThat(Parallel.parts(8, 3, 1 << 20)).isEqualTo(3);
        assertThat(Parallel.parts(8, 100, 1)).isEqualTo(1);
        assertThat(Parallel.parts(8, 100, 100, 4096)).isEqualTo(2);
        assertThat(Parallel.parts(0, 100, 100)).isEqualTo(1);
    }

    private static void sleepMillis(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
