package dev.lowbit;

import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * The one way lowbit runs work in parallel: contiguous ranges of {@code [0, n)} shared out over lowbit's own pool
 * of persistent daemon threads ({@code lowbit-worker-N}).
 *
 * <p><b>Splits.</b> Part {@code t} of {@code parts} always covers {@code [n·t/parts, n·(t+1)/parts)} ({@link #from}),
 * whichever thread runs it. Bodies write disjoint parts of their outputs and anything shared is merged after the
 * call in part order ({@link #mapRanges}), so a result depends on the part count at most, never on the thread
 * count, the scheduling or the machine; callers that must give the same bits for any thread count (GEMM tiles,
 * rounding statistics, integer sums) split by something other than the thread count or merge exactly.
 *
 * <p><b>Threads.</b> A call with {@code parts} parts runs on at most {@code parts} threads: the caller and up to
 * {@code parts − 1} workers ({@link #forEach} takes the thread count separately). The pool grows on demand to the
 * largest such count asked for (what {@code --threads} / {@link Flags#threads()} set; default: the available
 * processors), up to {@value #MAX_WORKERS} workers, and is shared by all calls; workers are never created per call.
 * The caller claims parts too (in index order, like the workers) and only waits for parts other threads have
 * already started, so a call always finishes even when every worker is busy: nested calls from inside a part (a
 * GEMM inside an attention head) and concurrent calls from several threads cannot deadlock.
 *
 * <p><b>Failures.</b> When a part throws, parts not yet started are skipped, the call waits for the running ones
 * and rethrows the first failure with the later ones {@linkplain Throwable#addSuppressed suppressed}. When the
 * calling thread is interrupted, the call likewise stops starting parts, waits for the running ones (no part
 * writes after the call returns), keeps the interrupt status set and throws {@link LowbitException} if any part
 * was skipped; parts themselves are never interrupted.
 */
public final class Parallel {
    /** Most worker threads the pool will hold (callers asking for more threads share these). */
    public static final int MAX_WORKERS = 1024;

    private static final LinkedBlockingQueue<Batch> QUEUE = new LinkedBlockingQueue<>();
    private static final Object GROW = new Object();
    private static volatile int workers;

    private Parallel() {}

    /** A body over the items {@code [from, to)} of part {@code part}. */
    public interface Range {
        void run(int part, int from, int to);
    }

    /** A body over the items {@code [from, to)} of part {@code part} that returns that part's result. */
    public interface RangeFn<T> {
        T apply(int part, int from, int to);
    }

    /** The default thread count: {@link Flags#threads()} ({@code lowbit.threads}, else the available processors). */
    public static int defaultThreads() {
        return Flags.threads();
    }

    /** How many parts {@code n} items of {@code cost} each make: at most {@code parallelism}, each worth ≥ 2^16 cost units. */
    public static int parts(int parallelism, long n, long cost) {
        return parts(parallelism, n, cost, 65536);
    }

    /** How many parts {@code n} items of {@code cost} each make: at most {@code parallelism}, each worth ≥ {@code grain}. */
    public static int parts(int parallelism, long n, long cost, long grain) {
        return (int) Math.max(1, Math.min(Math.min(parallelism, n), n * Math.max(1, cost) / Math.max(1, grain)));
    }

    /** The first item of part {@code part} of {@code parts} over {@code [0, n)}: {@code n·part/parts}. */
    public static int from(int part, int parts, int n) {
        return (int) ((long) n * part / parts);
    }

    /** Runs {@code body} on {@code parts} contiguous ranges of {@code [0, n)}, in parallel when parts > 1. */
    public static void forRanges(int parts, int n, Range body) {
        if (parts <= 1) {
            body.run(0, 0, n);
            return;
        }
        run(parts, parts, t -> body.run(t, from(t, parts, n), from(t + 1, parts, n)));
    }

    /**
     * Runs {@code fn} on {@code parts} contiguous ranges of {@code [0, n)}, in parallel when parts > 1, and returns
     * the parts' results in part order (to be merged in that order; elements may be null).
     */
    public static <T> List<T> mapRanges(int parts, int n, RangeFn<T> fn) {
        if (parts <= 1) {
            return Collections.singletonList(fn.apply(0, 0, n));
        }
        Object[] out = new Object[parts];
        run(parts, parts, t -> out[t] = fn.apply(t, from(t, parts, n), from(t + 1, parts, n)));
        @SuppressWarnings("unchecked")
        List<T> list = (List<T>) Collections.unmodifiableList(Arrays.asList(out));
        return list;
    }

    /** Runs {@code body.accept(t)} for every part {@code t ∈ [0, parts)}, in parallel when parts > 1 (the body splits). */
    public static void forParts(int parts, IntConsumer body) {
        run(parts, parts, body);
    }

    /**
     * Runs {@code body.accept(i)} for every {@code i ∈ [0, n)} on at most {@code threads} threads, each index its own
     * task claimed in index order: for a few items of uneven cost (attention heads, per-layer quantization jobs).
     */
    public static void forEach(int threads, int n, IntConsumer body) {
        run(threads, n, body);
    }

    /** Whether the current thread is one of the pool's workers. */
    public static boolean onWorker() {
        return Thread.currentThread() instanceof Worker;
    }

    /** Runs tasks {@code [0, tasks)} on at most {@code threads} threads, the caller included. */
    private static void run(int threads, int tasks, IntConsumer task) {
        if (tasks <= 0) {
            return;
        }
        int helpers = Math.min(threads, tasks) - 1;
        if (helpers <= 0) {
            for (int i = 0; i < tasks; i++) {
                task.accept(i);
            }
            return;
        }
        helpers = ensureWorkers(helpers);
        Batch b = new Batch(task, tasks, Thread.currentThread());
        for (int h = 0; h < helpers; h++) {
            QUEUE.offer(b);
        }
        b.work(true);
        b.await();
    }

    /** Starts workers until there are {@code wanted} (at most {@link #MAX_WORKERS}); returns how many may help. */
    private static int ensureWorkers(int wanted) {
        int want = Math.min(wanted, MAX_WORKERS);
        if (workers < want) {
            synchronized (GROW) {
                for (int w = workers; w < want; w++) {
                    Worker t = new Worker(w + 1);
                    t.start();
                    workers = w + 1;
                }
            }
        }
        return want;
    }

    private static final class Worker extends Thread {
        Worker(int id) {
            super("lowbit-worker-" + id);
            setDaemon(true);
        }

        @Override
        public void run() {
            while (true) {
                try {
                    QUEUE.take().work(false);
                } catch (InterruptedException e) {
                    // nobody but lowbit owns this thread: ignore and keep serving
                }
            }
        }
    }

    /**
     * One call's tasks: claimed in index order by the caller and the workers that pick up its tickets (the same object
     * queued once per helper). The counters are fields updated through var handles, so a call allocates this object,
     * its body's lambda and one queue node per helper, nothing else.
     */
    private static final class Batch {
        private static final VarHandle NEXT;
        private static final VarHandle FINISHED;
        private static final VarHandle FAILURE;

        static {
            try {
                MethodHandles.Lookup l = MethodHandles.lookup();
                NEXT = l.findVarHandle(Batch.class, "next", int.class);
                FINISHED = l.findVarHandle(Batch.class, "finished", int.class);
                FAILURE = l.findVarHandle(Batch.class, "failure", Throwable.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        private final IntConsumer task;
        private final int tasks;
        private final Thread caller;
        /** The next task to claim (past {@code tasks} once all are claimed or the call is cancelled). */
        private volatile int next;
        /** Tasks run or skipped. */
        private volatile int finished;
        private volatile Throwable failure;
        private volatile boolean skipped;

        Batch(IntConsumer task, int tasks, Thread caller) {
            this.task = task;
            this.tasks = tasks;
            this.caller = caller;
        }

        void work(boolean isCaller) {
            while (true) {
                if (isCaller && caller.isInterrupted()) {
                    cancel();
                }
                int i = (int) NEXT.getAndAdd(this, 1);
                if (i >= tasks) {
                    return;
                }
                try {
                    task.accept(i);
                } catch (Throwable e) {
                    fail(e);
                }
                done(1);
            }
        }

        private void fail(Throwable e) {
            if (!FAILURE.compareAndSet(this, null, e)) {
                Throwable first = failure;
                if (first != e) {
                    first.addSuppressed(e);
                }
            }
            cancel();
        }

        /** Stops tasks from being claimed; those never claimed count as finished. */
        private void cancel() {
            int claimed = (int) NEXT.getAndSet(this, tasks);
            if (claimed < tasks) {
                skipped = true;
                done(tasks - claimed);
            }
        }

        private void done(int count) {
            if ((int) FINISHED.getAndAdd(this, count) + count == tasks) {
                LockSupport.unpark(caller);
            }
        }

        /** Waits for every task (the running ones finish even when interrupted), then reports the outcome. */
        void await() {
            boolean interrupted = false;
            int spins = 0;
            while (finished < tasks) {
                if (spins < 256) {
                    spins++;
                    Thread.onSpinWait();
                    continue;
                }
                LockSupport.park(this);
                if (Thread.interrupted()) {
                    interrupted = true;
                    cancel();
                }
            }
            if (interrupted) {
                caller.interrupt();
            }
            Throwable f = failure;
            if (f instanceof RuntimeException r) {
                throw r;
            }
            if (f instanceof Error e) {
                throw e;
            }
            if (f != null) {
                throw new IllegalStateException(f);
            }
            if (skipped) {
                throw new LowbitException("interrupted: parallel work stopped before all parts ran");
            }
        }
    }
}
