// Parallel: every chunk runs exactly once, boundaries are fixed, errors reach the caller, nesting works.
package org.llm4j.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class ParallelTest {

    @Test
    void forChunksCoversEachIndexOnceWithFixedBoundaries() {
        for (int threads = 1; threads <= 4; threads++) {
            for (int n : new int[] {1, 7, 64, 1000, 1001}) {
                AtomicIntegerArray hits = new AtomicIntegerArray(n);
                int[] chunkStart = new int[(n + 9) / 10];
                Parallel.forChunks(threads, n, 10, (ci, s, e) -> {
                    chunkStart[ci] = s;
                    assertThat(e - s).isBetween(1, 10);
                    for (int i = s; i < e; i++) hits.incrementAndGet(i);
                });
                for (int i = 0; i < n; i++) assertThat(hits.get(i)).as("index %d", i).isEqualTo(1);
                for (int ci = 0; ci < chunkStart.length; ci++) assertThat(chunkStart[ci]).isEqualTo(10 * ci);
            }
        }
    }

    @Test
    void forRangeAlignsChunksAndCoversTheRange() {
        for (int threads = 1; threads <= 4; threads++) {
            for (int n : new int[] {1, 15, 16, 17, 1000, 4099}) {
                AtomicIntegerArray hits = new AtomicIntegerArray(n);
                Parallel.forRange(threads, n, 16, 16, (ci, s, e) -> {
                    assertThat(s % 16).isZero();
                    for (int i = s; i < e; i++) hits.incrementAndGet(i);
                });
                for (int i = 0; i < n; i++) assertThat(hits.get(i)).isEqualTo(1);
            }
        }
    }

    @Test
    void errorsReachTheCaller() {
        assertThatThrownBy(() -> Parallel.forChunks(2, 100, 10, (ci, s, e) -> {
            if (ci == 7) throw new IllegalStateException("chunk 7");
        })).isInstanceOf(IllegalStateException.class).hasMessage("chunk 7");
    }

    @Test
    void concurrentCallersEachGetAllTheirChunks() throws Exception {
        // Several threads submit to the one pool at once (a server's requests, forEachTask tasks):
        // no job is lost or run twice, and a caller never waits for a job it cannot finish itself.
        int callers = 4, calls = 300;
        java.util.concurrent.ExecutorService ex = java.util.concurrent.Executors.newFixedThreadPool(callers);
        try {
            java.util.List<java.util.concurrent.Future<Boolean>> results = new java.util.ArrayList<>();
            for (int c = 0; c < callers; c++) {
                results.add(ex.submit(() -> {
                    for (int k = 0; k < calls; k++) {
                        AtomicIntegerArray hits = new AtomicIntegerArray(97);
                        Parallel.forChunks(2, 97, 7, (ci, s, e) -> {
                            for (int i = s; i < e; i++) hits.incrementAndGet(i);
                        });
                        for (int i = 0; i < 97; i++) if (hits.get(i) != 1) return false;
                    }
                    return true;
                }));
            }
            for (var r : results) assertThat(r.get(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        } finally {
            ex.shutdownNow();
        }
    }

    @Test
    void nestedCallsComplete() {
        AtomicIntegerArray hits = new AtomicIntegerArray(64);
        Parallel.forChunks(2, 8, 1, (outer, s, e) ->
                Parallel.forChunks(2, 8, 1, (inner, s2, e2) -> hits.incrementAndGet(outer * 8 + inner)));
        for (int i = 0; i < 64; i++) assertThat(hits.get(i)).isEqualTo(1);
    }
}
