// Splits kernel work into a fixed set of chunks and runs them on a shared pool of daemon threads.
package org.llm4j.kernels;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The chunks of a call are fixed by the caller (never by which thread is free), and each chunk is
 * run by exactly one thread; threads only decide who runs which chunk. So a kernel that reduces
 * per-chunk partials in chunk order gives the same bits whatever the thread count.
 *
 * <p>The calling thread works too: it claims chunks until none are left, then waits for the
 * chunks that helpers already hold. Helpers that start late find nothing and return, so a busy
 * pool can delay a call but never deadlock it, and nested calls from a pool thread run inline.
 *
 * <p>The helpers spin for a while ({@code -Dllm4j.spinMicros}, default 2000) before they park,
 * and so does a caller waiting for the last chunks: decoding calls a few dozen short products per
 * token, and waking a parked thread took tens of microseconds each time (llama.cpp's workers spin
 * the same way). An idle pool parks after the spin, so it costs nothing between requests.
 */
public final class Parallel {

    @FunctionalInterface
    interface Chunk {
        /** Runs chunk {@code index} (0-based), which covers [start, end) of the caller's range. */
        void run(int index, int start, int end);
    }

    private Parallel() {}

    /** Threads used by default: {@code -Dllm4j.threads=N} overrides the number of cores. */
    static int defaultThreads() {
        return Math.max(1, Integer.getInteger("llm4j.threads", Runtime.getRuntime().availableProcessors()));
    }

    static final long SPIN_NANOS = 1000L * Long.getLong("llm4j.spinMicros", 2000L);

    // Created on first use, so a single-threaded JVM never starts a worker.
    private static final class Pool {
        static final ConcurrentLinkedQueue<Job> QUEUE = new ConcurrentLinkedQueue<>();
        static final Worker[] WORKERS = new Worker[Math.max(1, defaultThreads() - 1)];

        static {
            for (int i = 0; i < WORKERS.length; i++) {
                WORKERS[i] = new Worker("llm4j-kernels-" + i);
                WORKERS[i].start();
            }
        }

        static void submit(Job job, int helpers) {
            for (int h = 0; h < helpers; h++) QUEUE.offer(job);
            for (Worker w : WORKERS) {
                if (w.sleeping) LockSupport.unpark(w);
            }
        }
    }

    // A pool thread: takes jobs from the queue, spinning for SPIN_NANOS after the last one before it parks.
    private static final class Worker extends Thread {
        volatile boolean sleeping;

        Worker(String name) {
            super(name);
            setDaemon(true);
        }

        @Override
        public void run() {
            long idleSince = System.nanoTime();
            while (true) {
                Job j = Pool.QUEUE.poll();
                if (j != null) {
                    j.work();
                    idleSince = System.nanoTime();
                } else if (System.nanoTime() - idleSince < SPIN_NANOS) {
                    Thread.onSpinWait();
                } else {
                    sleeping = true;
                    // Re-check after announcing sleep: a job offered before the flag was visible is not missed.
                    if (Pool.QUEUE.isEmpty()) LockSupport.park(this);
                    sleeping = false;
                    idleSince = System.nanoTime();
                }
            }
        }
    }

    /**
     * Splits [0, n) into chunks of {@code chunkSize} (the last one shorter) and runs them with at
     * most {@code threads} threads. Chunk boundaries depend only on n and chunkSize.
     */
    static void forChunks(int threads, int n, int chunkSize, Chunk body) {
        if (n <= 0) return;
        int chunks = (int) ((n + (long) chunkSize - 1) / chunkSize);
        run(threads, chunks, (i, s, e) -> body.run(i, i * chunkSize, Math.min(n, (i + 1) * chunkSize)));
    }

    /**
     * Splits [0, n) into at most {@code threads} near-equal chunks, each a multiple of {@code align}
     * long (except the last) and at least {@code minChunk} long. Use only where the result of an
     * element does not depend on which chunk computed it (no cross-chunk reduction).
     */
    static void forRange(int threads, int n, int align, int minChunk, Chunk body) {
        forRange(threads, n, align, minChunk, body, threads);
    }

    // parts: the most chunks; threads: the most threads that run them
    private static void forRange(int parts0, int n, int align, int minChunk, Chunk body, int threads) {
        if (n <= 0) return;
        int units = (n + align - 1) / align;
        int parts = Math.max(1, Math.min(parts0, n / Math.max(1, minChunk)));
        parts = Math.min(parts, units);
        if (parts == 1) {
            body.run(0, 0, n);
            return;
        }
        int per = units / parts, extra = units % parts;
        int[] bounds = new int[parts + 1];
        for (int i = 0; i < parts; i++) bounds[i + 1] = bounds[i] + (per + (i < extra ? 1 : 0)) * align;
        bounds[parts] = n;
        run(threads, parts, (i, s, e) -> body.run(i, bounds[i], Math.min(n, bounds[i + 1])));
    }

    /**
     * forRange with up to four chunks a thread, taken in turn by whichever thread is free: for the
     * matrix-vector products of decoding, where a thread slowed by the host (another process on
     * its core) would otherwise hold the other at the end of every product with half the rows.
     */
    static void forRangeBalanced(int threads, int n, int align, int minChunk, Chunk body) {
        forRange(threads <= 1 ? threads : 4 * threads, n, align, minChunk, body, threads);
    }

    // Set while a thread runs one of forEachTask's tasks: kernels it calls then run inline, so
    // the tasks themselves are the unit of parallelism and no thread waits on a busy pool.
    private static final ThreadLocal<boolean[]> IN_TASK = ThreadLocal.withInitial(() -> new boolean[1]);

    /**
     * Runs independent tasks 0..tasks-1 on the calling thread and the pool (each task exactly
     * once), with every kernel they call running single-threaded inside the task. For coarse
     * parallelism above the kernels: attention heads, data-parallel shards of a batch. Tasks
     * must not write to shared state except their own slots.
     */
    public static void forEachTask(int tasks, java.util.function.IntConsumer task) {
        run(defaultThreads(), tasks, (i, s, e) -> {
            boolean[] f = IN_TASK.get();
            boolean was = f[0];
            f[0] = true;
            try {
                task.accept(i);
            } finally {
                f[0] = was;
            }
        });
    }

    /** Runs chunk indices [0, chunks) with at most {@code threads} threads; start/end are unused (0). */
    static void run(int threads, int chunks, Chunk body) {
        int helpers = Math.min(threads, chunks) - 1;
        if (helpers <= 0 || inPool() || IN_TASK.get()[0]) {
            for (int i = 0; i < chunks; i++) body.run(i, 0, 0);
            return;
        }
        Job job = new Job(chunks, body, Thread.currentThread());
        Pool.submit(job, helpers);
        job.work();
        long spinUntil = System.nanoTime() + SPIN_NANOS;
        while (job.done.get() < chunks) {
            if (System.nanoTime() < spinUntil) Thread.onSpinWait();
            else LockSupport.park(job);
        }
        if (job.error != null) {
            if (job.error instanceof RuntimeException re) throw re;
            if (job.error instanceof Error err) throw err;
            throw new RuntimeException(job.error);
        }
    }

    private static boolean inPool() {
        return Thread.currentThread() instanceof Worker;
    }

    private static final class Job implements Runnable {
        final int chunks;
        final Chunk body;
        final Thread caller;
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger done = new AtomicInteger();
        volatile Throwable error;

        Job(int chunks, Chunk body, Thread caller) {
            this.chunks = chunks;
            this.body = body;
            this.caller = caller;
        }

        @Override
        public void run() {
            work();
        }

        void work() {
            int i;
            while ((i = next.getAndIncrement()) < chunks) {
                try {
                    if (error == null) body.run(i, 0, 0);
                } catch (Throwable t) {
                    error = t;
                } finally {
                    if (done.incrementAndGet() == chunks && caller != Thread.currentThread()) LockSupport.unpark(caller);
                }
            }
        }
    }
}
