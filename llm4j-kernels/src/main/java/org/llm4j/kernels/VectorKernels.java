// The fast kernels: Vector API SIMD, split over all cores. The only importer of jdk.incubator.vector.
package org.llm4j.kernels;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Same results as {@link ScalarKernels} up to float rounding (FMA and a different summation
 * order), and bit-identical results whatever the thread count: matrix products split the
 * output, never K; reductions over large arrays use chunks fixed by the array size alone.
 */
public final class VectorKernels implements Kernels {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();
    // Doubles of the same vector width, for sumOfSquares: L/2 lanes.
    static final VectorSpecies<Double> SD = VectorSpecies.of(double.class, S.vectorShape());

    // Matrix product blocking (see PERF-NOTES.md). A micro-tile of C is MR x NR = 4 x 2L (4 x 16 on
    // AVX2): 8 accumulators + 2 B vectors + 1 broadcast of A fit in the 16 ymm registers. KC x NR
    // of packed B (24 KB) stays in L1 while MC x KC of packed A (192 KB) streams from L2; the packed
    // B block KC x NC (1.5 MB) lives in L3. KC = 384 beat 256 by 2-5% on Zen3 (fewer passes over C);
    // MC and NC between 64 and 4096 made no difference beyond the noise. KC shrinks as NR grows so
    // that the B micro-panel stays 24 KB (AVX-512: 4 x 32 tiles, KC = 192).
    static final int MR = 4, NR = 2 * L, KC = Math.min(512, 6144 / NR), MC = 128, NC = 1024;
    // Below about this many multiply-adds a matrix product runs on the calling thread: waking a
    // pool thread costs tens of microseconds.
    static final long PARALLEL_MULADDS = 1L << 19;
    // Elementwise and row kernels go parallel above this many elements per chunk.
    static final int PARALLEL_ELEMENTS = 1 << 15;
    // Fixed chunk of the large-array reductions (sum, dot, sumOfSquares): the partials and their
    // order depend on n only.
    static final int REDUCE_CHUNK = 1 << 16;
    // Fixed rows per partial of dgamma/dbeta in layerNormBackward.
    static final int LN_CHUNK_ROWS = 32;

    private final int threads;

    public VectorKernels() {
        this(Parallel.defaultThreads());
    }

    /** Kernels that use at most {@code threads} threads (results do not depend on it). */
    public VectorKernels(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        this.threads = threads;
    }

    public int threads() {
        return threads;
    }

    /** True when the Vector API module is present in this JVM. */
    public static boolean available() {
        try {
            return S.length() > 1;
        } catch (Throwable t) {
            return false;
        }
    }

    // ---------------------------------------------------------------------------------------
    // Matrix products. All three layouts share one driver; only the packing routines read A and B
    // in their layouts: A(i,p) and B(p,j) below are the logical operands of C = A·B.

    private static final int NN = 0, NT = 1, TN = 2;

    // Few-row products (m <= Kernels.FEW_ROWS, heap or mapped weight) stream the weight once
    // through the matrix-vector loops instead of packing it: still memory-bound, each row equal to
    // its m = 1 product bit for bit, and one loop family for a prompt and the decoding after it.
    static final int SKINNY_ROWS = Kernels.FEW_ROWS;

    @Override
    public void matmulNN(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int m, int k, int n, boolean accumulate) {
        gemm(NN, a, aOff, b, bOff, null, c, cOff, m, k, n, accumulate);
    }

    @Override
    public void matmulNT(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int m, int k, int n, boolean accumulate) {
        gemm(NT, a, aOff, b, bOff, null, c, cOff, m, k, n, accumulate);
    }

    @Override
    public void matmulTN(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int m, int k, int n, boolean accumulate) {
        gemm(TN, a, aOff, b, bOff, null, c, cOff, m, k, n, accumulate);
    }

    @Override
    public void matmul(float[] a, int aOff, Weight w, boolean transposed, float[] c, int cOff, int m, boolean accumulate) {
        int k = transposed ? w.cols() : w.rows(), n = transposed ? w.rows() : w.cols();
        switch (w) {
            case Weight.Heap h -> {
                if (m > 1 && m <= SKINNY_ROWS && k > 0) {
                    // As the mapped case below: each row's bits equal its m = 1 product.
                    check(aOff, (long) m * k, a);
                    check(h.off(), (long) k * n, h.data());
                    check(cOff, (long) m * n, c);
                    int t = (long) m * n * k < PARALLEL_MULADDS ? 1 : threads;
                    if (transposed) gemvRows(t, m, h.data(), h.off(), a, aOff, c, cOff, n, k, accumulate);
                    else gemvCols(t, m, a, aOff, h.data(), h.off(), c, cOff, k, n, accumulate);
                } else {
                    gemm(transposed ? NT : NN, a, aOff, h.data(), h.off(), null, c, cOff, m, k, n, accumulate);
                }
            }
            case Weight.Mapped mw -> {
                if (m <= SKINNY_ROWS) {
                    if (m <= 0) return;
                    check(aOff, (long) m * k, a);
                    check(cOff, (long) m * n, c);
                    int t = (long) m * n * k < PARALLEL_MULADDS ? 1 : threads;
                    if (transposed) VectorWeights.gemvRows(t, m, mw, a, aOff, c, cOff, accumulate);
                    else VectorWeights.gemvCols(t, m, a, aOff, mw, c, cOff, accumulate);
                } else if (transposed && VectorWeights.promptInLanes(mw)
                        && gemmQ4(a, aOff, m, new Weight.Mapped[] {mw}, new float[][] {c}, new int[] {cOff}, accumulate)) {
                    return;   // int16 lanes on the copy: each row the bits of its decoding product
                } else if (ScalarKernels.roundsActivation(mw, transposed)) {
                    check(aOff, (long) m * k, a);
                    Interleaved.of(mw, threads);   // panels then come from the copy
                    gemm(NT, VectorWeights.roundedRows(mw.type(), threads, a, aOff, m, k), 0, null, 0, mw, c, cOff, m, k, n, accumulate);
                } else {
                    gemm(transposed ? NT : NN, a, aOff, null, 0, mw, c, cOff, m, k, n, accumulate);
                }
            }
        }
    }

    @Override
    public void matmulEach(float[] a, int aOff, int m, Weight[] ws, float[][] cs) {
        if (ws.length != cs.length) throw new IllegalArgumentException(ws.length + " weights but " + cs.length + " outputs");
        if (!promptProducts(m, ws)) {
            if (!decodingProducts(a, aOff, m, ws, cs)) Kernels.super.matmulEach(a, aOff, m, ws, cs);
            return;
        }
        // Q4_0 prompts run in int16 lanes on their copies (gemmQ4), not in the float job below:
        // all Q4_0 as one job, else each product alone (its own matmul, whichever path it takes).
        Weight.Mapped[] mws = new Weight.Mapped[ws.length];
        boolean anyQ4 = false, allQ4 = true;
        for (int i = 0; i < ws.length; i++) {
            mws[i] = (Weight.Mapped) ws[i];
            boolean q4 = VectorWeights.promptInLanes(mws[i]);
            anyQ4 |= q4;
            allQ4 &= q4;
        }
        if (anyQ4) {
            if (!allQ4 || !gemmQ4(a, aOff, m, mws, cs, new int[ws.length], false)) Kernels.super.matmulEach(a, aOff, m, ws, cs);
            return;
        }
        // A prompt's products with mapped weights of one width and rounding, each at least as wide
        // as A is tall (gemm's column-split path): A is rounded (quantized weights) and packed once,
        // and every weight's column chunks run as one job, each chunk exactly as gemm runs it.
        Weight.Mapped w0 = (Weight.Mapped) ws[0];
        int k = w0.cols();
        check(aOff, (long) m * k, a);
        long muladds = 0;
        for (int i = 0; i < ws.length; i++) {
            check(0, (long) m * ws[i].rows(), cs[i]);
            muladds += (long) m * ws[i].rows() * k;
        }
        int t = muladds < PARALLEL_MULADDS ? 1 : threads;
        // weight i's column chunks (gemm's split of its columns) are the job's chunks firstChunk[i]..
        int[] len = new int[ws.length], firstChunk = new int[ws.length + 1];
        for (int i = 0; i < ws.length; i++) {
            len[i] = columnChunk(ws[i].rows(), t);
            firstChunk[i + 1] = firstChunk[i] + (ws[i].rows() + len[i] - 1) / len[i];
        }
        boolean round = ScalarKernels.roundsActivation(w0, true);
        for (Weight w : ws) Interleaved.of((Weight.Mapped) w, threads);
        float[] x = round ? VectorWeights.roundedRows(w0.type(), threads, a, aOff, m, k) : a;
        int xOff = round ? 0 : aOff, mPad = roundUp(m, MR);
        float[] ap = SCRATCH.get().shared(mPad * k);
        Parallel.run(t, (k + KC - 1) / KC, (blk, s0, e0) -> {
            int pc = blk * KC;
            packA(x, xOff, k, pc, Math.min(KC, k - pc), 0, m, ap, pc * mPad);
        });
        Parallel.run(t, firstChunk[ws.length], (ci, s0, e0) -> {
            int i = 0;
            while (ci >= firstChunk[i + 1]) i++;
            int n = ws[i].rows(), j0 = (ci - firstChunk[i]) * len[i];
            gemmBlock(NT, x, xOff, null, 0, (Weight.Mapped) ws[i], cs[i], 0, m, k, n, false, 0, m, j0, Math.min(n, j0 + len[i]), ap, mPad, null, 0);
        });
    }

    // Q4_0 prompt products in int16 lanes on the interleaved copies (VectorWeights.gemmQ4), after
    // the bounds checks; false, with nothing done, where some matrix has no copy.
    private boolean gemmQ4(float[] a, int aOff, int m, Weight.Mapped[] ws, float[][] cs, int[] offs, boolean accumulate) {
        int k = ws[0].cols();
        check(aOff, (long) m * k, a);
        long muladds = 0;
        for (int i = 0; i < ws.length; i++) {
            check(offs[i], (long) m * ws[i].rows(), cs[i]);
            muladds += (long) m * ws[i].rows() * k;
        }
        return VectorWeights.gemmQ4(muladds < PARALLEL_MULADDS ? 1 : threads, m, ws, a, aOff, cs, offs, accumulate);
    }

    // matmulEach for a few rows (decoding) with interleaved quantized weights of one type and
    // width: the activation rounded once and every weight's groups of rows in one parallel job
    // (VectorWeights.gemvEach, each output the bits of its own matmul). False, with nothing done,
    // where it does not apply.
    private boolean decodingProducts(float[] a, int aOff, int m, Weight[] ws, float[][] cs) {
        if (m < 1 || m > SKINNY_ROWS || ws.length < 2) return false;
        Weight.Mapped[] mws = new Weight.Mapped[ws.length];
        long muladds = 0;
        for (int i = 0; i < ws.length; i++) {
            if (!(ws[i] instanceof Weight.Mapped mw) || mw.cols() != ws[0].cols()) return false;
            mws[i] = mw;
            muladds += (long) m * mw.rows() * mw.cols();
        }
        check(aOff, (long) m * mws[0].cols(), a);
        for (int i = 0; i < ws.length; i++) check(0, (long) m * mws[i].rows(), cs[i]);
        return VectorWeights.gemvEach(muladds < PARALLEL_MULADDS ? 1 : threads, m, mws, a, aOff, cs, new int[ws.length], false);
    }

    // Whether matmulEach can share A's preparation: more rows than the matrix-vector path takes,
    // mapped weights of one width that round A alike (none for F32/F16/BF16, Q8_0 blocks for
    // Q8_0/Q4_0, Q8_K for Q4_K/Q6_K: a Q4_K_M block's Q6_K attn_v shares q and k's rounding),
    // each with at least as many rows (output columns) as A.
    private static boolean promptProducts(int m, Weight[] ws) {
        if (m <= SKINNY_ROWS || ws.length == 0 || !(ws[0] instanceof Weight.Mapped w0) || w0.cols() == 0) return false;
        for (Weight w : ws) {
            if (!(w instanceof Weight.Mapped mw) || rounding(mw.type()) != rounding(w0.type()) || mw.cols() != w0.cols() || mw.rows() < m) return false;
        }
        return true;
    }

    private static int rounding(DType t) {
        return !t.quantized() ? 0 : t.kQuant() ? 2 : 1;
    }

    private static final java.util.Set<String> WARMED = java.util.concurrent.ConcurrentHashMap.newKeySet();

    @Override
    public void warmUp(Weight w, boolean transposed, long budgetNanos) {
        if (WARMED.add("rows")) warmRows(budgetNanos / 5);
        if (!(w instanceof Weight.Mapped mw)) return;
        if (!WARMED.add(mw.type() + (transposed ? " NT" : " NN"))) return;
        // Load the segment classes the products use (heap float views of copies, byte views)
        // first: loading one after a loop is compiled invalidates the compiled loop (class
        // hierarchy dependencies), which measured as 300 ms of interpreted work on real sizes.
        float[] one = new float[4];
        java.lang.foreign.MemorySegment.copy(mw.seg(), java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), 0, one, 0, 1);
        java.lang.foreign.MemorySegment.ofArray(one).get(java.lang.foreign.ValueLayout.JAVA_FLOAT, 0);
        java.lang.foreign.MemorySegment.ofArray(new byte[4]).get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0);
        // 16 rows: a Q8_0/Q4_0 slice then has an interleaved copy, and its kernels compile too
        int rows = Math.min(Interleaved.eligible(mw) ? Interleaved.ROWS : 8, mw.rows()), cols = Math.min(Math.max(64, mw.type().blockSize), mw.cols());
        // A slice of the real mapping: the loops see the same segment class as later.
        Weight.Mapped tiny = new Weight.Mapped(mw.seg().asSlice(0, mw.type().byteSize((long) rows * cols)), mw.type(), rows, cols);
        int k = transposed ? cols : rows, n = transposed ? rows : cols, m = Math.min(FEW_ROWS, 4);
        float[] a = new float[m * k], c = new float[m * n];
        for (int i = 0; i < a.length; i++) a[i] = (i % 7) * 0.01f;
        untilCompiled(budgetNanos, i -> matmul(a, 0, tiny, transposed, c, 0, (i & 1) == 0 ? 1 : m, false));
        boolean kq = mw.type().kQuant();
        if (transposed && mw.type().quantized() && WARMED.add(kq ? "roundActivationK" : "roundActivation")) {
            // The activation rounding of quantized products (Q8_0 blocks, or Q8_K for the K-quants):
            // on the tiny slice it is too short to reach C2 before the products do, and cold it took
            // ~0.4 s of a 124M Q8_0 first forward.
            float[] x = new float[512];
            for (int i = 0; i < x.length; i++) x[i] = (i % 13) * 0.1f - 0.6f;
            short[] q = new short[x.length];
            float[] d = new float[x.length / 32];
            int[] s = new int[x.length / 16];
            untilCompiled(budgetNanos, i -> {
                if (kq) VectorWeights.roundActivationK(x, 0, x.length, q, 0, d, 0, s, 0);
                else VectorWeights.roundActivation(x, 0, x.length, q, 0, d, 0);
            });
        }
    }

    // Runs calls 0, 1, 2, ... in rounds of 16 until a round takes under 2 µs a call (compiled: a few
    // microseconds a round; interpreted: milliseconds), after at least 5 rounds, or budgetNanos.
    private static void untilCompiled(long budgetNanos, java.util.function.IntConsumer call) {
        long end = System.nanoTime() + budgetNanos;
        for (int round = 0; System.nanoTime() < end; round++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < 16; i++) call.accept(i);
            if (round >= 4 && System.nanoTime() - t0 < 16 * 2_000L) break;
        }
    }

    // The row kernels of a decoding step (norms, activations, residual adds, attention dots) on
    // vectors of 64 until they run compiled: a cold step otherwise runs them interpreted.
    private void warmRows(long budgetNanos) {
        int n = 64;
        float[] x = new float[4 * n], y = new float[4 * n], g = new float[n], b = new float[n];
        for (int i = 0; i < x.length; i++) x[i] = (i % 13) * 0.1f - 0.6f;
        java.util.Arrays.fill(g, 1f);
        untilCompiled(budgetNanos, i -> {
            layerNorm(x, 0, g, b, y, 0, null, null, 1 + (i & 3), n, 1e-5f);
            gelu(y, 0, y, 0, 4 * n);
            axpy(0.5f, x, 0, y, 0, n);
            dot(x, 0, y, 0, n);
            softmaxRows(y, 0, 1, n);
        });
    }

    // B is b[bOff..] or, when wb is set, a mapped weight matrix that only the packing routines read.
    private void gemm(int layout, float[] a, int aOff, float[] b, int bOff, Weight.Mapped wb, float[] c, int cOff,
                      int m, int k, int n, boolean acc) {
        if (m <= 0 || n <= 0) return;
        check(aOff, (long) m * k, a);
        if (wb == null) check(bOff, (long) k * n, b);
        check(cOff, (long) m * n, c);
        if (k == 0) {
            if (!acc) java.util.Arrays.fill(c, cOff, cOff + m * n, 0f);
            return;
        }
        int t = (long) m * n * k < PARALLEL_MULADDS ? 1 : threads;
        // Matrix-vector products (decoding) are memory-bound: read the matrix once, no packing.
        if (m == 1 && wb == null) {
            // C(1,N): A(1,K) is a contiguous vector in all three layouts.
            if (layout == NT) gemvRows(t, 1, b, bOff, a, aOff, c, cOff, n, k, acc);
            else gemvCols(t, 1, a, aOff, b, bOff, c, cOff, k, n, acc);
            return;
        }
        if (n == 1 && wb == null) {
            // C(M,1): B(K,1) is a contiguous vector in all three layouts.
            if (layout == TN) gemvCols(t, 1, b, bOff, a, aOff, c, cOff, k, m, acc);
            else gemvRows(t, 1, a, aOff, b, bOff, c, cOff, m, k, acc);
            return;
        }
        // Split the output, never K, so every element of C sees the same sums whatever the threads.
        // The operand shared by all chunks (A when splitting columns, B when splitting rows) is
        // packed once by the caller; each chunk packs its own slice of the other. Chunks are claimed
        // dynamically, several per thread, so a pool thread that wakes late (a busy host) still
        // takes a share instead of leaving the whole call to the caller.
        Scratch own = SCRATCH.get();
        if (n >= m) {
            int mPad = roundUp(m, MR);
            float[] ap = own.shared(mPad * k); // K blocks of (mPad, kc), block pc at pc·mPad
            // The K blocks are packed in parallel (a copy: no effect on the sums); packed serially,
            // a large A (768×3072) left the second core idle for a fifth of the call.
            Parallel.run(t, (k + KC - 1) / KC, (blk, s0, e0) -> {
                int pc = blk * KC;
                if (layout == TN) packAT(a, aOff, m, pc, Math.min(KC, k - pc), 0, m, ap, pc * mPad);
                else packA(a, aOff, k, pc, Math.min(KC, k - pc), 0, m, ap, pc * mPad);
            });
            Parallel.forChunks(t, n, columnChunk(n, t), (i, j0, j1) ->
                    gemmBlock(layout, a, aOff, b, bOff, wb, c, cOff, m, k, n, acc, 0, m, j0, j1, ap, mPad, null, 0));
        } else {
            int nPad = roundUp(n, NR);
            float[] bp = own.shared(nPad * k); // K blocks of (kc, nPad), block pc at pc·nPad
            Parallel.run(t, (k + KC - 1) / KC, (blk, s0, e0) -> {
                int pc = blk * KC;
                packBlockB(layout, b, bOff, wb, k, n, pc, Math.min(KC, k - pc), 0, n, bp, pc * nPad, SCRATCH.get());
            });
            Parallel.forChunks(t, m, chunk(m, t, MR, 8 * MR), (i, i0, i1) ->
                    gemmBlock(layout, a, aOff, b, bOff, wb, c, cOff, m, k, n, acc, i0, i1, 0, n, null, 0, bp, nPad));
        }
    }

    // Chunk length for splitting `len` over t threads: about CHUNKS_PER_THREAD chunks each, a
    // multiple of align and at least minLen. Chunk boundaries only move whole tiles between
    // threads, never change a tile's sums. NOTE: one of this machine's two cores often runs
    // 30-40% slower than the other (another tenant on the host); with one chunk per thread the
    // fast core then sat idle for a third of each call. Eight chunks a thread of at least 64
    // columns (was four of at least 128): a 768-column product split 6 ways left the thread that
    // finished first waiting on the other's last chunk, ~8% of a 124M prompt's samples; two
    // threads, alternating JVMs, 256x768x768 went from 69-111 to 116-155 GFLOP/s.
    private static final int CHUNKS_PER_THREAD = 8;

    // Columns per chunk when a product splits its n output columns over t threads (gemm's
    // column split, and matmulEach's chunks of each weight).
    private static int columnChunk(int n, int t) {
        return chunk(n, t, NR, 4 * NR);
    }

    private static int chunk(int len, int t, int align, int minLen) {
        if (t == 1) return len;
        return Math.max(minLen, roundUp(Math.max(1, (len + CHUNKS_PER_THREAD * t - 1) / (CHUNKS_PER_THREAD * t)), align));
    }

    // Packing buffers, one set per thread, grown on demand and reused by later calls.
    private static final class Scratch {
        float[] a = new float[0];
        float[] b = new float[0];
        float[] shared = new float[0];
        final float[] tile = new float[MR * NR];
        final float[] row = new float[KC]; // one converted weight row slice (packing from mapped weights)

        // The caller's fully packed operand; kept up to 16M floats, larger ones are per call.
        float[] shared(int size) {
            if (size > (1 << 24)) return new float[size];
            if (shared.length < size) shared = new float[size];
            return shared;
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    // C[i0:i1, j0:j1] (+)= A[i0:i1, :] · B[:, j0:j1], blocked BLIS-style: jc (NC) → pc (KC) → pack B
    // → ic (MC) → pack A → jr (NR) → ir (MR) → micro-kernel. An operand already packed by the caller
    // (sharedA with rows padded to mPad, or sharedB with columns padded to nPad) is read in place.
    private static void gemmBlock(int layout, float[] a, int aOff, float[] b, int bOff, Weight.Mapped wb, float[] c, int cOff,
                                  int m, int k, int n, boolean acc, int i0, int i1, int j0, int j1,
                                  float[] sharedA, int mPad, float[] sharedB, int nPad) {
        Scratch s = SCRATCH.get();
        int kcMax = Math.min(KC, k);
        if (sharedB == null && s.b.length < kcMax * roundUp(Math.min(NC, j1 - j0), NR)) {
            s.b = new float[kcMax * roundUp(Math.min(NC, j1 - j0), NR)];
        }
        if (sharedA == null && s.a.length < kcMax * roundUp(Math.min(MC, i1 - i0), MR)) {
            s.a = new float[kcMax * roundUp(Math.min(MC, i1 - i0), MR)];
        }
        float[] ap = sharedA != null ? sharedA : s.a, bp = sharedB != null ? sharedB : s.b, tile = s.tile;
        for (int jc = j0; jc < j1; jc += NC) {
            int nc = Math.min(NC, j1 - jc);
            for (int pc = 0; pc < k; pc += KC) {
                int kc = Math.min(KC, k - pc);
                // The first K block overwrites C unless accumulating; later blocks add to it.
                boolean load = acc || pc > 0;
                int bBase = sharedB != null ? pc * nPad + jc * kc : 0;
                if (sharedB == null) packBlockB(layout, b, bOff, wb, k, n, pc, kc, jc, nc, bp, 0, s);
                for (int ic = i0; ic < i1; ic += MC) {
                    int mc = Math.min(MC, i1 - ic);
                    int aBase = sharedA != null ? pc * mPad + ic * kc : 0;
                    if (sharedA == null) {
                        if (layout == TN) packAT(a, aOff, m, pc, kc, ic, mc, ap, 0);
                        else packA(a, aOff, k, pc, kc, ic, mc, ap, 0);
                    }
                    for (int jr = 0; jr < nc; jr += NR) {
                        int nr = Math.min(NR, nc - jr);
                        int bo = bBase + jr * kc; // panel jr/NR starts at (jr/NR)·kc·NR
                        for (int ir = 0; ir < mc; ir += MR) {
                            int mr = Math.min(MR, mc - ir);
                            int ao = aBase + ir * kc;
                            int co = cOff + (ic + ir) * n + jc + jr;
                            if (mr == MR && nr == NR) {
                                kernel(ap, ao, bp, bo, kc, c, co, n, load);
                            } else {
                                // Edge tile: the padded panels hold zeros; compute the full tile aside,
                                // continuing C's own multiply-add chain as a full tile does, so that
                                // every element is the same chain fma(a_p, b_p, ·) over p = 0..K-1
                                // whatever its position: row i of A·B equals the product of row i alone.
                                if (load) {
                                    for (int r = 0; r < mr; r++) System.arraycopy(c, co + r * n, tile, r * NR, nr);
                                }
                                kernel(ap, ao, bp, bo, kc, tile, 0, NR, load);
                                for (int r = 0; r < mr; r++) System.arraycopy(tile, r * NR, c, co + r * n, nr);
                            }
                        }
                    }
                }
            }
        }
    }

    private static void packBlockB(int layout, float[] b, int bOff, Weight.Mapped wb, int k, int n, int pc, int kc,
                                   int jc, int nc, float[] dst, int dOff, Scratch s) {
        if (wb != null) {
            if (layout == NT) VectorWeights.packBT(wb, pc, kc, jc, nc, dst, dOff, s.row);
            else VectorWeights.packB(wb, pc, kc, jc, nc, dst, dOff);
        } else if (layout == NT) {
            packBT(b, bOff, k, pc, kc, jc, nc, dst, dOff);
        } else {
            packB(b, bOff, n, pc, kc, jc, nc, dst, dOff);
        }
    }

    // Index checks before any thread starts, so a bad call fails on the caller with a clear message.
    private static void check(int off, long size, float[] arr) {
        if (off < 0 || size < 0 || off + size > arr.length) {
            throw new IndexOutOfBoundsException("range [" + off + ", " + off + " + " + size + ") out of bounds for length " + arr.length);
        }
    }

    private static int roundUp(int x, int to) {
        return (x + to - 1) / to * to;
    }

    // The micro-kernel: C(4, NR) at c[co], row stride ldc, (+)= Σ_p A4(p) ⊗ B(p), where packed A
    // holds the 4 rows interleaved (ap[ao + 4p + r]) and packed B one NR-wide row per p. Kept
    // small and alone so the JIT compiles it to one tight loop (PERF-NOTES.md).
    static void kernel(float[] ap, int ao, float[] bp, int bo, int kc, float[] c, int co, int ldc, boolean load) {
        FloatVector c00, c01, c10, c11, c20, c21, c30, c31;
        if (load) {
            c00 = FloatVector.fromArray(S, c, co);
            c01 = FloatVector.fromArray(S, c, co + L);
            c10 = FloatVector.fromArray(S, c, co + ldc);
            c11 = FloatVector.fromArray(S, c, co + ldc + L);
            c20 = FloatVector.fromArray(S, c, co + 2 * ldc);
            c21 = FloatVector.fromArray(S, c, co + 2 * ldc + L);
            c30 = FloatVector.fromArray(S, c, co + 3 * ldc);
            c31 = FloatVector.fromArray(S, c, co + 3 * ldc + L);
        } else {
            c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = FloatVector.zero(S);
        }
        // NOTE: indices derived from p (not separate += counters) let C2 hoist the bounds checks
        // out of the loop: 95 against 80 GFLOP/s on one Zen3 core.
        for (int p = 0; p < kc; p++) {
            int ai = ao + p * MR, bi = bo + p * NR;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + L);
            FloatVector a0 = FloatVector.broadcast(S, ap[ai]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(S, ap[ai + 1]);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(S, ap[ai + 2]);
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(S, ap[ai + 3]);
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
        }
        c00.intoArray(c, co);
        c01.intoArray(c, co + L);
        c10.intoArray(c, co + ldc);
        c11.intoArray(c, co + ldc + L);
        c20.intoArray(c, co + 2 * ldc);
        c21.intoArray(c, co + 2 * ldc + L);
        c30.intoArray(c, co + 3 * ldc);
        c31.intoArray(c, co + 3 * ldc + L);
    }

    // Packed A (ceil(mc/4)·4, kc): group g holds rows ic+4g.. interleaved, dst[g·4kc + 4p + r];
    // rows past mc are zeros. NN/NT: A(i,p) = a[aOff + i·k + p].
    private static void packA(float[] a, int aOff, int k, int pc, int kc, int ic, int mc, float[] dst, int dOff) {
        for (int ir = 0; ir < mc; ir += MR) {
            int base = dOff + ir * kc;
            for (int r = 0; r < MR; r++) {
                if (ir + r < mc) {
                    int src = aOff + (ic + ir + r) * k + pc;
                    for (int p = 0; p < kc; p++) dst[base + p * MR + r] = a[src + p];
                } else {
                    for (int p = 0; p < kc; p++) dst[base + p * MR + r] = 0f;
                }
            }
        }
    }

    // TN: A(i,p) = a[aOff + p·m + i], so the 4 rows of a group are 4 consecutive floats. Eight
    // groups at a time (two cache lines of a row) walk down the kc rows, 4 floats copied at a time:
    // group by group down all kc rows (stride m) read one cache line per 4 floats and took 7% of
    // a small GPT's training step; a whole row of groups at a time wrote to too many panels at once.
    private static void packAT(float[] a, int aOff, int m, int pc, int kc, int ic, int mc, float[] dst, int dOff) {
        int full = MR == 4 ? mc / MR * MR : 0;
        for (int i0 = 0; i0 < full; i0 += 8 * MR) {
            int i1 = Math.min(full, i0 + 8 * MR);
            for (int p = 0; p < kc; p++) {
                int src = aOff + (pc + p) * m + ic, d = dOff + p * MR;
                for (int ir = i0; ir < i1; ir += MR) FloatVector.fromArray(F4, a, src + ir).intoArray(dst, d + ir * kc);
            }
        }
        for (int ir = full; ir < mc; ir += MR) {
            int base = dOff + ir * kc, mr = Math.min(MR, mc - ir);
            for (int p = 0; p < kc; p++) {
                int src = aOff + (pc + p) * m + ic + ir, d = base + p * MR;
                for (int r = 0; r < MR; r++) dst[d + r] = r < mr ? a[src + r] : 0f;
            }
        }
    }

    private static final VectorSpecies<Float> F4 = FloatVector.SPECIES_128;

    // Packed B (kc, ceil(nc/NR)·NR) as NR-wide panels: panel q holds dst[q·NR·kc + p·NR + j];
    // columns past nc are zeros. NN/TN: B(p,j) = b[bOff + p·n + j]. Walks b row by row: reading
    // one panel down all kc rows instead touched a new page per row and ran at half the speed.
    private static void packB(float[] b, int bOff, int n, int pc, int kc, int jc, int nc, float[] dst, int dOff) {
        int full = nc / NR * NR;
        for (int p = 0; p < kc; p++) {
            int src = bOff + (pc + p) * n + jc;
            for (int jr = 0; jr < full; jr += NR) {
                int d = dOff + jr * kc + p * NR;
                FloatVector.fromArray(S, b, src + jr).intoArray(dst, d);
                FloatVector.fromArray(S, b, src + jr + L).intoArray(dst, d + L);
            }
            if (full < nc) {
                int d = dOff + full * kc + p * NR;
                for (int j = 0; j < NR; j++) dst[d + j] = full + j < nc ? b[src + full + j] : 0f;
            }
        }
    }

    // NT: B(p,j) = b[bOff + j·k + p]: read each row of b along p, write with stride NR (the
    // panel, kc·NR floats, stays in L1).
    private static void packBT(float[] b, int bOff, int k, int pc, int kc, int jc, int nc, float[] dst, int dOff) {
        for (int jr = 0; jr < nc; jr += NR) {
            int base = dOff + jr * kc, nr = Math.min(NR, nc - jr);
            for (int j = 0; j < NR; j++) {
                if (j < nr) {
                    int src = bOff + (jc + jr + j) * k + pc;
                    for (int p = 0; p < kc; p++) dst[base + p * NR + j] = b[src + p];
                } else {
                    for (int p = 0; p < kc; p++) dst[base + p * NR + j] = 0f;
                }
            }
        }
    }

    // out[i·rows + r] (+)= Σ_p mat[matOff + r·k + p] · vec[vecOff + i·k + p] for r in [0, rows) and
    // the m vectors i: one dot product per matrix row, four rows at a time so that each load of vec
    // serves four rows; the four rows stay in L1 while the m vectors pass over them.
    private static void gemvRows(int t, int m, float[] mat, int matOff, float[] vec, int vecOff, float[] out, int outOff,
                                 int rows, int k, boolean acc) {
        int minRows = Math.max(4, PARALLEL_ELEMENTS / Math.max(1, k));
        Parallel.forRange(t, rows, 4, minRows, (ci, r0, r1) -> {
            int r = r0;
            for (; r + 4 <= r1; r += 4) {
                for (int i = 0; i < m; i++) dot4(mat, matOff + r * k, k, vec, vecOff + i * k, out, outOff + i * rows + r, acc);
            }
            for (; r < r1; r++) {
                for (int i = 0; i < m; i++) {
                    float s = dot1(mat, matOff + r * k, vec, vecOff + i * k, k);
                    int o = outOff + i * rows + r;
                    out[o] = acc ? out[o] + s : s;
                }
            }
        });
    }

    // Four dot products with one accumulator each; dot1 repeats the same operations for one row,
    // so a row's result does not depend on whether it fell in a group of four.
    static void dot4(float[] mat, int m0, int k, float[] vec, int v0, float[] out, int o, boolean acc) {
        FloatVector s0 = FloatVector.zero(S), s1 = s0, s2 = s0, s3 = s0;
        int m1 = m0 + k, m2 = m1 + k, m3 = m2 + k;
        int bound = S.loopBound(k), p = 0;
        for (; p < bound; p += L) {
            FloatVector v = FloatVector.fromArray(S, vec, v0 + p);
            s0 = FloatVector.fromArray(S, mat, m0 + p).fma(v, s0);
            s1 = FloatVector.fromArray(S, mat, m1 + p).fma(v, s1);
            s2 = FloatVector.fromArray(S, mat, m2 + p).fma(v, s2);
            s3 = FloatVector.fromArray(S, mat, m3 + p).fma(v, s3);
        }
        float r0 = VectorMath.sum(s0), r1 = VectorMath.sum(s1);
        float r2 = VectorMath.sum(s2), r3 = VectorMath.sum(s3);
        for (; p < k; p++) {
            float v = vec[v0 + p];
            r0 = Math.fma(mat[m0 + p], v, r0);
            r1 = Math.fma(mat[m1 + p], v, r1);
            r2 = Math.fma(mat[m2 + p], v, r2);
            r3 = Math.fma(mat[m3 + p], v, r3);
        }
        if (acc) {
            out[o] += r0;
            out[o + 1] += r1;
            out[o + 2] += r2;
            out[o + 3] += r3;
        } else {
            out[o] = r0;
            out[o + 1] = r1;
            out[o + 2] = r2;
            out[o + 3] = r3;
        }
    }

    private static float dot1(float[] mat, int m0, float[] vec, int v0, int k) {
        FloatVector s0 = FloatVector.zero(S);
        int bound = S.loopBound(k), p = 0;
        for (; p < bound; p += L) s0 = FloatVector.fromArray(S, mat, m0 + p).fma(FloatVector.fromArray(S, vec, v0 + p), s0);
        float r = VectorMath.sum(s0);
        for (; p < k; p++) r = Math.fma(mat[m0 + p], vec[v0 + p], r);
        return r;
    }

    // out[j] (+)= Σ_p vec[vecOff + p] · mat[matOff + p·cols + j] for j in [0, cols): rows of the
    // matrix are added into the output, four rows per pass over a column block that stays in L1.
    // Each output element sums p in ascending order, as the scalar twin does.
    private static final int GEMV_COLS_BLOCK = 2048;

    // The m-vector form: vector i at vecOff + i·k, its output row at outOff + i·cols; each block of
    // four matrix rows serves all m vectors while it is in L1.
    private static void gemvCols(int t, int m, float[] vec, int vecOff, float[] mat, int matOff, float[] out, int outOff,
                                 int k, int cols, boolean acc) {
        int minCols = Math.max(L, PARALLEL_ELEMENTS / Math.max(1, k));
        Parallel.forRange(t, cols, 4 * L, minCols, (ci, c0, c1) -> {
            for (int jb = c0; jb < c1; jb += GEMV_COLS_BLOCK) {
                int je = Math.min(c1, jb + GEMV_COLS_BLOCK);
                if (!acc) for (int i = 0; i < m; i++) java.util.Arrays.fill(out, outOff + i * cols + jb, outOff + i * cols + je, 0f);
                int p = 0;
                for (; p + 4 <= k; p += 4) {
                    for (int i = 0, v = vecOff + p; i < m; i++, v += k) {
                        axpy4(vec[v], vec[v + 1], vec[v + 2], vec[v + 3], mat, matOff + p * cols, cols, out, outOff + i * cols, jb, je);
                    }
                }
                for (; p < k; p++) {
                    for (int i = 0; i < m; i++) axpy1(vec[vecOff + i * k + p], mat, matOff + p * cols, out, outOff + i * cols, jb, je);
                }
            }
        });
    }

    private static void axpy1(float w, float[] mat, int row, float[] out, int outOff, int jb, int je) {
        FloatVector wv = FloatVector.broadcast(S, w);
        int j = jb;
        for (; j + L <= je; j += L) {
            FloatVector.fromArray(S, mat, row + j).fma(wv, FloatVector.fromArray(S, out, outOff + j)).intoArray(out, outOff + j);
        }
        for (; j < je; j++) out[outOff + j] = Math.fma(mat[row + j], w, out[outOff + j]);
    }

    private static void axpy4(float w0, float w1, float w2, float w3, float[] mat, int row, int cols,
                              float[] out, int outOff, int jb, int je) {
        FloatVector v0 = FloatVector.broadcast(S, w0), v1 = FloatVector.broadcast(S, w1);
        FloatVector v2 = FloatVector.broadcast(S, w2), v3 = FloatVector.broadcast(S, w3);
        int r1 = row + cols, r2 = r1 + cols, r3 = r2 + cols;
        int j = jb;
        for (; j + L <= je; j += L) {
            FloatVector o = FloatVector.fromArray(S, out, outOff + j);
            o = FloatVector.fromArray(S, mat, row + j).fma(v0, o);
            o = FloatVector.fromArray(S, mat, r1 + j).fma(v1, o);
            o = FloatVector.fromArray(S, mat, r2 + j).fma(v2, o);
            o = FloatVector.fromArray(S, mat, r3 + j).fma(v3, o);
            o.intoArray(out, outOff + j);
        }
        for (; j < je; j++) {
            float o = out[outOff + j];
            o = Math.fma(mat[row + j], w0, o);
            o = Math.fma(mat[r1 + j], w1, o);
            o = Math.fma(mat[r2 + j], w2, o);
            o = Math.fma(mat[r3 + j], w3, o);
            out[outOff + j] = o;
        }
    }

    // ---------------------------------------------------------------------------------------
    // Row kernels: each row is independent, so rows are split freely over threads.

    // Rows per chunk so that a chunk holds at least PARALLEL_ELEMENTS floats.
    private static int minRows(int cols) {
        return Math.max(1, PARALLEL_ELEMENTS / Math.max(1, cols));
    }

    @Override
    public void softmaxRows(float[] x, int off, int rows, int cols) {
        if (rows <= 0 || cols <= 0) return;
        check(off, (long) rows * cols, x);
        Parallel.forRange(threads, rows, 1, minRows(cols), (ci, r0, r1) -> {
            for (int r = r0; r < r1; r++) softmaxRow(x, off + r * cols, cols);
        });
    }

    // Three passes (max; exp and sum; scale): a fused single pass needs more exps (PERF-NOTES.md).
    // NOTE: each exp call site sits in its own small method. With two in one method C2 hit its
    // node limit (NodeCountInliningCutoff), left one call out of line and boxed every vector
    // through it: 3x slower.
    private static void softmaxRow(float[] x, int base, int cols) {
        float max = rowMax(x, base, cols);
        if (max == Float.NEGATIVE_INFINITY) max = 0f; // a fully masked row stays all zeros below
        float sum = expAndSum(x, base, cols, max);
        float inv = sum == 0f ? 0f : 1f / sum;
        scaleRange(x, base, cols, inv);
    }

    private static float rowMax(float[] x, int base, int cols) {
        int bound = S.loopBound(cols), j = 0;
        FloatVector m0 = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY), m1 = m0;
        for (; j + 2 * L <= bound; j += 2 * L) {
            m0 = m0.max(FloatVector.fromArray(S, x, base + j));
            m1 = m1.max(FloatVector.fromArray(S, x, base + j + L));
        }
        for (; j < bound; j += L) m0 = m0.max(FloatVector.fromArray(S, x, base + j));
        // Max is exact, so the lane order does not matter here.
        float max = m0.max(m1).reduceLanes(VectorOperators.MAX);
        for (; j < cols; j++) max = Math.max(max, x[base + j]);
        return max;
    }

    // x[j] = e^{x[j] - max} over the row; returns Σ x[j].
    private static float expAndSum(float[] x, int base, int cols, float max) {
        FloatVector mv = FloatVector.broadcast(S, max), s0 = FloatVector.zero(S);
        int bound = S.loopBound(cols), j = 0;
        for (; j < bound; j += L) {
            FloatVector e = VectorMath.exp(FloatVector.fromArray(S, x, base + j).sub(mv));
            e.intoArray(x, base + j);
            s0 = s0.add(e);
        }
        float sum = VectorMath.sum(s0);
        return j < cols ? sum + expAndSumTail(x, base + j, cols - j, max) : sum;
    }

    // The last len < L elements, through the same exp under a mask.
    private static float expAndSumTail(float[] x, int off, int len, float max) {
        VectorMask<Float> in = S.indexInRange(0, len);
        FloatVector e = VectorMath.exp(FloatVector.fromArray(S, x, off, in).sub(max));
        e.intoArray(x, off, in);
        return VectorMath.sum(FloatVector.zero(S).add(e, in));
    }

    @Override
    public void layerNorm(float[] x, int xOff, float[] gamma, float[] beta, float[] out, int outOff,
                          float[] mean, float[] rstd, int rows, int cols, float eps) {
        if (rows <= 0 || cols <= 0) return;
        check(xOff, (long) rows * cols, x);
        check(outOff, (long) rows * cols, out);
        Parallel.forRange(threads, rows, 1, minRows(cols), (ci, r0, r1) ->
                layerNormRows(x, xOff, gamma, beta, out, outOff, mean, rstd, r0, r1, cols, eps));
    }

    private static void layerNormRows(float[] x, int xOff, float[] gamma, float[] beta, float[] out, int outOff,
                                      float[] mean, float[] rstd, int r0, int r1, int cols, float eps) {
        int bound = S.loopBound(cols);
        for (int r = r0; r < r1; r++) {
            int xi = xOff + r * cols, oi = outOff + r * cols;
            float mu = sumRange(x, xi, cols) / cols;
            float var = sumSqDevRange(x, xi, cols, mu) / cols;
            float rs = (float) (1.0 / Math.sqrt(var + eps));
            FloatVector muv = FloatVector.broadcast(S, mu), rsv = FloatVector.broadcast(S, rs);
            int j = 0;
            for (; j < bound; j += L) {
                FloatVector.fromArray(S, x, xi + j).sub(muv).mul(rsv)
                        .mul(FloatVector.fromArray(S, gamma, j)).add(FloatVector.fromArray(S, beta, j))
                        .intoArray(out, oi + j);
            }
            for (; j < cols; j++) out[oi + j] = (x[xi + j] - mu) * rs * gamma[j] + beta[j];
            if (mean != null) mean[r] = mu;
            if (rstd != null) rstd[r] = rs;
        }
    }

    // Σ (x - mu)² over one row, four accumulators.
    private static float sumSqDevRange(float[] x, int off, int n, float mu) {
        FloatVector muv = FloatVector.broadcast(S, mu);
        FloatVector s0 = FloatVector.zero(S), s1 = s0, s2 = s0, s3 = s0;
        int bound = S.loopBound(n), i = 0;
        for (; i + 4 * L <= bound; i += 4 * L) {
            FloatVector d0 = FloatVector.fromArray(S, x, off + i).sub(muv);
            FloatVector d1 = FloatVector.fromArray(S, x, off + i + L).sub(muv);
            FloatVector d2 = FloatVector.fromArray(S, x, off + i + 2 * L).sub(muv);
            FloatVector d3 = FloatVector.fromArray(S, x, off + i + 3 * L).sub(muv);
            s0 = d0.fma(d0, s0);
            s1 = d1.fma(d1, s1);
            s2 = d2.fma(d2, s2);
            s3 = d3.fma(d3, s3);
        }
        for (; i < bound; i += L) {
            FloatVector d0 = FloatVector.fromArray(S, x, off + i).sub(muv);
            s0 = d0.fma(d0, s0);
        }
        float s = VectorMath.sum(s0.add(s1).add(s2.add(s3)));
        for (; i < n; i++) {
            float d = x[off + i] - mu;
            s = Math.fma(d, d, s);
        }
        return s;
    }

    @Override
    public void layerNormBackward(float[] dout, int dOff, float[] x, int xOff, float[] gamma, float[] mean, float[] rstd,
                                  float[] dx, int dxOff, float[] dgamma, float[] dbeta, int rows, int cols) {
        if (rows <= 0 || cols <= 0) return;
        check(dOff, (long) rows * cols, dout);
        check(xOff, (long) rows * cols, x);
        if (dx != null) check(dxOff, (long) rows * cols, dx);
        boolean params = dgamma != null || dbeta != null;
        if (!params || rows <= LN_CHUNK_ROWS) {
            // No cross-row sums, or a single chunk: rows run in order straight into dgamma/dbeta.
            int t = params ? 1 : threads;
            Parallel.forRange(t, rows, 1, minRows(cols), (ci, r0, r1) ->
                    lnBackwardRows(dout, dOff, x, xOff, gamma, mean, rstd, dx, dxOff, dgamma, 0, dbeta, 0, r0, r1, cols));
            return;
        }
        // dgamma and dbeta sum over rows: each fixed chunk of LN_CHUNK_ROWS rows sums into its own
        // partial, and the partials are added in chunk order, so no bit depends on the threads.
        int chunks = (rows + LN_CHUNK_ROWS - 1) / LN_CHUNK_ROWS;
        float[] pg = dgamma != null ? new float[chunks * cols] : null; // (chunks, cols)
        float[] pb = dbeta != null ? new float[chunks * cols] : null;  // (chunks, cols)
        int t = (long) rows * cols < PARALLEL_ELEMENTS ? 1 : threads;
        Parallel.forChunks(t, rows, LN_CHUNK_ROWS, (ci, r0, r1) ->
                lnBackwardRows(dout, dOff, x, xOff, gamma, mean, rstd, dx, dxOff, pg, ci * cols, pb, ci * cols, r0, r1, cols));
        for (int ci = 0; ci < chunks; ci++) {
            if (pg != null) addRange(pg, ci * cols, dgamma, 0, cols);
            if (pb != null) addRange(pb, ci * cols, dbeta, 0, cols);
        }
    }

    private static void lnBackwardRows(float[] dout, int dOff, float[] x, int xOff, float[] gamma, float[] mean, float[] rstd,
                                       float[] dx, int dxOff, float[] dg, int dgOff, float[] db, int dbOff,
                                       int r0, int r1, int cols) {
        int bound = S.loopBound(cols);
        for (int r = r0; r < r1; r++) {
            int di = dOff + r * cols, xi = xOff + r * cols, dxi = dxOff + r * cols;
            float mu = mean[r], rs = rstd[r];
            FloatVector muv = FloatVector.broadcast(S, mu), rsv = FloatVector.broadcast(S, rs);
            FloatVector g0 = FloatVector.zero(S), g1 = g0, gx0 = g0, gx1 = g0;
            int j = 0;
            for (; j + 2 * L <= bound; j += 2 * L) {
                FloatVector xh0 = FloatVector.fromArray(S, x, xi + j).sub(muv).mul(rsv);
                FloatVector xh1 = FloatVector.fromArray(S, x, xi + j + L).sub(muv).mul(rsv);
                FloatVector gg0 = FloatVector.fromArray(S, dout, di + j).mul(FloatVector.fromArray(S, gamma, j));
                FloatVector gg1 = FloatVector.fromArray(S, dout, di + j + L).mul(FloatVector.fromArray(S, gamma, j + L));
                g0 = g0.add(gg0);
                g1 = g1.add(gg1);
                gx0 = gg0.fma(xh0, gx0);
                gx1 = gg1.fma(xh1, gx1);
            }
            for (; j < bound; j += L) {
                FloatVector xh0 = FloatVector.fromArray(S, x, xi + j).sub(muv).mul(rsv);
                FloatVector gg0 = FloatVector.fromArray(S, dout, di + j).mul(FloatVector.fromArray(S, gamma, j));
                g0 = g0.add(gg0);
                gx0 = gg0.fma(xh0, gx0);
            }
            float meanG = VectorMath.sum(g0.add(g1));
            float meanGX = VectorMath.sum(gx0.add(gx1));
            for (; j < cols; j++) {
                float xhat = (x[xi + j] - mu) * rs;
                float g = dout[di + j] * gamma[j];
                meanG += g;
                meanGX = Math.fma(g, xhat, meanGX);
            }
            meanG /= cols;
            meanGX /= cols;
            FloatVector mg = FloatVector.broadcast(S, meanG), mgx = FloatVector.broadcast(S, meanGX);
            for (j = 0; j < bound; j += L) {
                FloatVector xh = FloatVector.fromArray(S, x, xi + j).sub(muv).mul(rsv);
                FloatVector d = FloatVector.fromArray(S, dout, di + j);
                if (db != null) d.add(FloatVector.fromArray(S, db, dbOff + j)).intoArray(db, dbOff + j);
                if (dg != null) d.fma(xh, FloatVector.fromArray(S, dg, dgOff + j)).intoArray(dg, dgOff + j);
                if (dx != null) {
                    FloatVector v = d.mul(FloatVector.fromArray(S, gamma, j)).sub(mg).sub(xh.mul(mgx)).mul(rsv);
                    v.add(FloatVector.fromArray(S, dx, dxi + j)).intoArray(dx, dxi + j);
                }
            }
            for (; j < cols; j++) {
                float xhat = (x[xi + j] - mu) * rs;
                float d = dout[di + j];
                if (db != null) db[dbOff + j] += d;
                if (dg != null) dg[dgOff + j] = Math.fma(d, xhat, dg[dgOff + j]);
                if (dx != null) dx[dxi + j] += rs * (d * gamma[j] - meanG - xhat * meanGX);
            }
        }
    }

    // ---------------------------------------------------------------------------------------
    // Elementwise kernels: split over threads when large; no cross-element sums.

    private void elementwise(int n, Parallel.Chunk body) {
        Parallel.forRange(threads, n, 4 * L, PARALLEL_ELEMENTS, body);
    }

    // Whether elementwise(n, ...) would run one chunk on the calling thread (Parallel.forRange's
    // rule for these arguments): a kernel called on short ranges in a hot loop can then call its
    // range loop directly and skip building the task object.
    private boolean oneChunk(int n) {
        return threads <= 1 || n < 2 * PARALLEL_ELEMENTS;
    }

    @Override
    public void gelu(float[] x, int xOff, float[] out, int outOff, int n) {
        if (n <= 0) return;
        check(xOff, n, x);
        check(outOff, n, out);
        elementwise(n, (ci, s, e) -> {
            if (geluCompiled) geluRange(x, xOff + s, out, outOff + s, e - s);
            else geluCold(x, xOff + s, out, outOff + s, e - s);
        });
    }

    // Until the JIT has compiled the vector GELU (a C2 compilation: hundreds of milliseconds on a
    // fresh JVM, during which each lane operation runs as a Java loop, ~100x slower than plain
    // scalar code), GELU runs lane by lane in geluLane, which gives the same bits. Each call
    // times the vector loop on its first PROBE elements; once that runs at compiled speed, the
    // vector loop takes over for good. The choice never changes a result, only the speed of a
    // cold start (time to first token): 110-160 ms of the first GPT-2 124M forward. Long ranges
    // take the vector loop at once: within one call its loop is compiled on the stack (OSR)
    // before the lane twin would have finished (without this, training's 4 GELU calls a step kept
    // the lane twin for hundreds of steps, 15% of its time). After COLD_ELEMENTS elements by the
    // lane twin the vector loop takes over whatever the probe says, so no workload stays on the
    // twin. A longer probe (1024 elements) cost the cold start ~90 ms in the fallback code.
    private static volatile boolean geluCompiled;
    private static final int PROBE = 8 * L, LONG_RANGE = 4096 * L;
    private static final long COLD_ELEMENTS = 1L << 21;
    private static final java.util.concurrent.atomic.AtomicLong geluColdDone = new java.util.concurrent.atomic.AtomicLong();

    // out may be x (in place): every element is computed once, by one path or the other.
    private static void geluCold(float[] x, int xo, float[] out, int oo, int n) {
        if (n >= LONG_RANGE) {
            geluRange(x, xo, out, oo, n);
            return;
        }
        int m = Math.min(n, PROBE);
        long t0 = System.nanoTime();
        geluRange(x, xo, out, oo, m);
        if (System.nanoTime() - t0 < 4L * m) { // ~1 ns an element compiled; tens to hundreds before
            geluCompiled = true;
            geluRange(x, xo + m, out, oo + m, n - m);
        } else {
            for (int i = m; i < n; i++) out[oo + i] = geluLane(x[xo + i]);
            if (geluColdDone.addAndGet(n - m) > COLD_ELEMENTS) geluCompiled = true;
        }
    }

    /** One lane of the vector GELU below, operation for operation: the same bits. */
    static float geluLane(float v) {
        float u = (v + v * GELU_CUBE * v * v) * GELU_SCALE;
        float e = VectorMath.expLane(Math.abs(u) * -2f);
        float r = 1f / (e + 1f);
        return v * (u < 0f ? e * r : r);
    }

    private static final float GELU_SCALE = ScalarKernels.GELU_SCALE, GELU_CUBE = 0.044715f;

    // With u = √(2/π)(x + 0.044715x³), 0.5(1 + tanh u) = σ(2u) = 1/(1 + e^{-2u}), so
    // gelu(x) = x·σ(2u): one exp and no cancellation for negative x. Taking e = e^{-2|u|} <= 1
    // (σ(2u) = 1/(1+e) for u >= 0, e/(1+e) below) never overflows.
    static FloatVector gelu(FloatVector v) {
        FloatVector u = v.add(v.mul(GELU_CUBE).mul(v).mul(v)).mul(GELU_SCALE);
        FloatVector e = VectorMath.exp(u.abs().mul(-2f));
        FloatVector r = e.broadcast(1f).div(e.add(1f));
        return v.mul(r.blend(e.mul(r), u.compare(VectorOperators.LT, 0f)));
    }

    // gelu'(x) = 0.5(1 + tanh u) + 0.5x·sech²u·du/dx, with 0.5(1 + tanh u) = σ(2u) as in gelu
    // and sech²u = 4e/(1+e)², e = e^{-2|u|}: no 1 - tanh² cancellation for large |u|.
    private static FloatVector geluGrad(FloatVector v) {
        FloatVector u = v.add(v.mul(GELU_CUBE).mul(v).mul(v)).mul(GELU_SCALE);
        FloatVector e = VectorMath.exp(u.abs().mul(-2f));
        FloatVector r = e.broadcast(1f).div(e.add(1f));
        FloatVector sig = r.blend(e.mul(r), u.compare(VectorOperators.LT, 0f));
        FloatVector sech2 = e.mul(4f).mul(r).mul(r);
        FloatVector du = v.mul(3f * GELU_CUBE).mul(v).add(1f).mul(GELU_SCALE);
        return sig.add(v.mul(0.5f).mul(sech2).mul(du));
    }

    // Full vectors here, the last n % L elements under a mask in a separate method (see softmaxRow).
    private static void geluRange(float[] x, int xo, float[] out, int oo, int n) {
        int bound = S.loopBound(n), i = 0;
        for (; i < bound; i += L) gelu(FloatVector.fromArray(S, x, xo + i)).intoArray(out, oo + i);
        if (i < n) geluTail(x, xo + i, out, oo + i, n - i);
    }

    private static void geluTail(float[] x, int xo, float[] out, int oo, int len) {
        VectorMask<Float> in = S.indexInRange(0, len);
        gelu(FloatVector.fromArray(S, x, xo, in)).intoArray(out, oo, in);
    }

    @Override
    public void geluBackward(float[] dout, int dOff, float[] x, int xOff, float[] dx, int dxOff, int n) {
        if (n <= 0) return;
        check(dOff, n, dout);
        check(xOff, n, x);
        check(dxOff, n, dx);
        elementwise(n, (ci, s, e) -> geluBackwardRange(dout, dOff + s, x, xOff + s, dx, dxOff + s, e - s));
    }

    private static void geluBackwardRange(float[] dout, int dOff, float[] x, int xo, float[] dx, int dxo, int n) {
        int bound = S.loopBound(n), i = 0;
        for (; i < bound; i += L) {
            FloatVector g = geluGrad(FloatVector.fromArray(S, x, xo + i));
            FloatVector.fromArray(S, dout, dOff + i).mul(g).add(FloatVector.fromArray(S, dx, dxo + i)).intoArray(dx, dxo + i);
        }
        if (i < n) geluBackwardTail(dout, dOff + i, x, xo + i, dx, dxo + i, n - i);
    }

    private static void geluBackwardTail(float[] dout, int dOff, float[] x, int xo, float[] dx, int dxo, int len) {
        VectorMask<Float> in = S.indexInRange(0, len);
        FloatVector g = geluGrad(FloatVector.fromArray(S, x, xo, in));
        FloatVector.fromArray(S, dout, dOff, in).mul(g).add(FloatVector.fromArray(S, dx, dxo, in)).intoArray(dx, dxo, in);
    }

    @Override
    public void sigmoid(float[] x, int off, int n) {
        if (n <= 0) return;
        check(off, n, x);
        elementwise(n, (ci, s, e) -> sigmoidRange(x, off + s, e - s));
    }

    // σ(v) = 1/(1+e) for v >= 0 and e/(1+e) below, with e = e^{−|v|} <= 1: never overflows.
    private static FloatVector sigmoid(FloatVector v) {
        FloatVector e = VectorMath.exp(v.abs().neg());
        FloatVector r = e.broadcast(1f).div(e.add(1f));
        return r.blend(e.mul(r), v.compare(VectorOperators.LT, 0f));
    }

    private static void sigmoidRange(float[] x, int off, int n) {
        int bound = S.loopBound(n), i = 0;
        for (; i < bound; i += L) sigmoid(FloatVector.fromArray(S, x, off + i)).intoArray(x, off + i);
        if (i < n) sigmoidTail(x, off + i, n - i);
    }

    private static void sigmoidTail(float[] x, int off, int len) {
        VectorMask<Float> in = S.indexInRange(0, len);
        sigmoid(FloatVector.fromArray(S, x, off, in)).intoArray(x, off, in);
    }

    @Override
    public void rmsNorm(float[] x, int xOff, float[] gain, float[] out, int outOff, int rows, int cols, float eps) {
        if (rows <= 0 || cols <= 0) return;
        check(xOff, (long) rows * cols, x);
        check(outOff, (long) rows * cols, out);
        check(0, cols, gain);
        Parallel.forRange(threads, rows, 1, minRows(cols), (ci, r0, r1) -> {
            int bound = S.loopBound(cols);
            for (int r = r0; r < r1; r++) {
                int xi = xOff + r * cols, oi = outOff + r * cols;
                float ms = dot(x, xi, x, xi, cols) / cols + eps;
                float inv = (float) (1.0 / Math.sqrt(ms));
                FloatVector iv = FloatVector.broadcast(S, inv);
                int j = 0;
                for (; j < bound; j += L) {
                    FloatVector.fromArray(S, gain, j).mul(iv.mul(FloatVector.fromArray(S, x, xi + j))).intoArray(out, oi + j);
                }
                for (; j < cols; j++) out[oi + j] = gain[j] * (inv * x[xi + j]);
            }
        });
    }

    @Override
    public void swiglu(float[] gate, int gOff, float[] up, int uOff, int n) {
        if (n <= 0) return;
        check(gOff, n, gate);
        check(uOff, n, up);
        if (oneChunk(n)) swigluRange(gate, gOff, up, uOff, n);
        else elementwise(n, (ci, s, e) -> swigluRange(gate, gOff + s, up, uOff + s, e - s));
    }

    private static void swigluRange(float[] g, int gOff, float[] u, int uOff, int n) {
        int bound = S.loopBound(n), i = 0;
        for (; i < bound; i += L) {
            FloatVector z = FloatVector.fromArray(S, g, gOff + i);
            z.mul(sigmoid(z)).mul(FloatVector.fromArray(S, u, uOff + i)).intoArray(g, gOff + i);
        }
        if (i < n) {
            VectorMask<Float> in = S.indexInRange(0, n - i);
            FloatVector z = FloatVector.fromArray(S, g, gOff + i, in);
            z.mul(sigmoid(z)).mul(FloatVector.fromArray(S, u, uOff + i, in)).intoArray(g, gOff + i, in);
        }
    }

    @Override
    public void tanh(float[] x, int off, int n) {
        if (n <= 0) return;
        check(off, n, x);
        elementwise(n, (ci, s, e) -> tanhRange(x, off + s, e - s));
    }

    // tanh|v| = (1 − e)/(1 + e) with e = e^{−2|v|}, sign restored afterwards. NOTE: 1 − e cancels
    // for small |v|, so below |v| = 0.05 the odd Taylor series v − v³/3 + 2v⁵/15 takes over
    // (its first omitted term, 17v⁷/315, is below 1e-10 there).
    private static FloatVector tanh(FloatVector v) {
        FloatVector a = v.abs();
        FloatVector e = VectorMath.exp(a.mul(-2f));
        FloatVector t = e.broadcast(1f).sub(e).div(e.add(1f));
        FloatVector a2 = a.mul(a);
        FloatVector series = a2.fma(2f / 15f, -1f / 3f).mul(a2).fma(a, a);
        t = t.blend(series, a.compare(VectorOperators.LT, 0.05f));
        return t.blend(t.neg(), v.compare(VectorOperators.LT, 0f));
    }

    private static void tanhRange(float[] x, int off, int n) {
        int bound = S.loopBound(n), i = 0;
        for (; i < bound; i += L) tanh(FloatVector.fromArray(S, x, off + i)).intoArray(x, off + i);
        if (i < n) tanhTail(x, off + i, n - i);
    }

    private static void tanhTail(float[] x, int off, int len) {
        VectorMask<Float> in = S.indexInRange(0, len);
        tanh(FloatVector.fromArray(S, x, off, in)).intoArray(x, off, in);
    }

    @Override
    public void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        if (n <= 0) return;
        check(xOff, n, x);
        check(yOff, n, y);
        if (oneChunk(n)) axpyRange(alpha, x, xOff, y, yOff, n);
        else elementwise(n, (ci, s, e) -> axpyRange(alpha, x, xOff + s, y, yOff + s, e - s));
    }

    private static void axpyRange(float alpha, float[] x, int xo, float[] y, int yo, int n) {
        FloatVector av = FloatVector.broadcast(S, alpha);
        int bound = S.loopBound(n), i = 0;
        for (; i < bound; i += L) {
            FloatVector.fromArray(S, x, xo + i).fma(av, FloatVector.fromArray(S, y, yo + i)).intoArray(y, yo + i);
        }
        for (; i < n; i++) y[yo + i] = Math.fma(alpha, x[xo + i], y[yo + i]);
    }

    @Override
    public void scale(float[] x, int off, int n, float alpha) {
        if (n <= 0) return;
        check(off, n, x);
        elementwise(n, (ci, s, e) -> scaleRange(x, off + s, e - s, alpha));
    }

    private static void scaleRange(float[] x, int off, int n, float alpha) {
        int bound = S.loopBound(n), i = 0;
        for (; i < bound; i += L) FloatVector.fromArray(S, x, off + i).mul(alpha).intoArray(x, off + i);
        for (; i < n; i++) x[off + i] *= alpha;
    }

    // dst[dOff + i] += src[sOff + i]
    private static void addRange(float[] src, int sOff, float[] dst, int dOff, int n) {
        int bound = S.loopBound(n), i = 0;
        for (; i < bound; i += L) {
            FloatVector.fromArray(S, dst, dOff + i).add(FloatVector.fromArray(S, src, sOff + i)).intoArray(dst, dOff + i);
        }
        for (; i < n; i++) dst[dOff + i] += src[sOff + i];
    }

    // Same operations in the same order as the scalar twin (no FMA), so the step is bit-identical.
    @Override
    public void adamw(float[] p, float[] g, float[] m, float[] v, int off, int n, float lr, float beta1, float beta2,
                      float eps, float weightDecay, long step) {
        if (n <= 0) return;
        for (float[] arr : new float[][] {p, g, m, v}) check(off, n, arr);
        float bc1 = (float) (1.0 - Math.pow(beta1, step));
        float bc2 = (float) (1.0 - Math.pow(beta2, step));
        elementwise(n, (ci, s, e) -> adamwRange(p, g, m, v, off + s, off + e, lr, beta1, beta2, eps, weightDecay, bc1, bc2));
    }

    private static void adamwRange(float[] p, float[] g, float[] m, float[] v, int from, int to, float lr, float beta1,
                                   float beta2, float eps, float weightDecay, float bc1, float bc2) {
        float ob1 = 1f - beta1, ob2 = 1f - beta2;
        int i = from;
        for (; i + L <= to; i += L) {
            FloatVector gi = FloatVector.fromArray(S, g, i);
            FloatVector mi = FloatVector.fromArray(S, m, i).mul(beta1).add(gi.mul(ob1));
            FloatVector vi = FloatVector.fromArray(S, v, i).mul(beta2).add(gi.mul(ob2).mul(gi));
            mi.intoArray(m, i);
            vi.intoArray(v, i);
            FloatVector mhat = mi.div(bc1), vhat = vi.div(bc2);
            FloatVector pi = FloatVector.fromArray(S, p, i);
            FloatVector upd = mhat.div(vhat.sqrt().add(eps)).add(pi.mul(weightDecay));
            pi.sub(upd.mul(lr)).intoArray(p, i);
        }
        for (; i < to; i++) {
            float gs = g[i];
            float ms = beta1 * m[i] + ob1 * gs;
            float vs = beta2 * v[i] + ob2 * gs * gs;
            m[i] = ms;
            v[i] = vs;
            float mh = ms / bc1, vh = vs / bc2;
            p[i] -= lr * (mh / ((float) Math.sqrt(vh) + eps) + weightDecay * p[i]);
        }
    }

    // ---------------------------------------------------------------------------------------
    // Reductions: four accumulators per chunk; arrays longer than REDUCE_CHUNK are cut into fixed
    // chunks whose partials are added in order.

    @Override
    public float sum(float[] x, int off, int n) {
        if (n <= 0) return 0f;
        check(off, n, x);
        if (n <= REDUCE_CHUNK) return sumRange(x, off, n);
        float[] part = new float[(n + REDUCE_CHUNK - 1) / REDUCE_CHUNK];
        Parallel.forChunks(reduceThreads(n), n, REDUCE_CHUNK, (ci, s, e) -> part[ci] = sumRange(x, off + s, e - s));
        float total = 0f;
        for (float v : part) total += v;
        return total;
    }

    private int reduceThreads(int n) {
        return n < 4 * REDUCE_CHUNK ? 1 : threads;
    }

    private static float sumRange(float[] x, int off, int n) {
        FloatVector s0 = FloatVector.zero(S), s1 = s0, s2 = s0, s3 = s0;
        int bound = S.loopBound(n), i = 0;
        for (; i + 4 * L <= bound; i += 4 * L) {
            s0 = s0.add(FloatVector.fromArray(S, x, off + i));
            s1 = s1.add(FloatVector.fromArray(S, x, off + i + L));
            s2 = s2.add(FloatVector.fromArray(S, x, off + i + 2 * L));
            s3 = s3.add(FloatVector.fromArray(S, x, off + i + 3 * L));
        }
        for (; i < bound; i += L) s0 = s0.add(FloatVector.fromArray(S, x, off + i));
        float s = VectorMath.sum(s0.add(s1).add(s2.add(s3)));
        for (; i < n; i++) s += x[off + i];
        return s;
    }

    @Override
    public float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        if (n <= 0) return 0f;
        check(aOff, n, a);
        check(bOff, n, b);
        if (n <= REDUCE_CHUNK) return dotRange(a, aOff, b, bOff, n);
        float[] part = new float[(n + REDUCE_CHUNK - 1) / REDUCE_CHUNK];
        Parallel.forChunks(reduceThreads(n), n, REDUCE_CHUNK, (ci, s, e) -> part[ci] = dotRange(a, aOff + s, b, bOff + s, e - s));
        float total = 0f;
        for (float v : part) total += v;
        return total;
    }

    static float dotRange(float[] a, int ao, float[] b, int bo, int n) {
        FloatVector s0 = FloatVector.zero(S), s1 = s0, s2 = s0, s3 = s0;
        int bound = S.loopBound(n), i = 0;
        for (; i + 4 * L <= bound; i += 4 * L) {
            s0 = FloatVector.fromArray(S, a, ao + i).fma(FloatVector.fromArray(S, b, bo + i), s0);
            s1 = FloatVector.fromArray(S, a, ao + i + L).fma(FloatVector.fromArray(S, b, bo + i + L), s1);
            s2 = FloatVector.fromArray(S, a, ao + i + 2 * L).fma(FloatVector.fromArray(S, b, bo + i + 2 * L), s2);
            s3 = FloatVector.fromArray(S, a, ao + i + 3 * L).fma(FloatVector.fromArray(S, b, bo + i + 3 * L), s3);
        }
        for (; i < bound; i += L) s0 = FloatVector.fromArray(S, a, ao + i).fma(FloatVector.fromArray(S, b, bo + i), s0);
        float s = VectorMath.sum(s0.add(s1).add(s2.add(s3)));
        for (; i < n; i++) s = Math.fma(a[ao + i], b[bo + i], s);
        return s;
    }

    @Override
    public double sumOfSquares(float[] x, int off, int n) {
        if (n <= 0) return 0.0;
        check(off, n, x);
        if (n <= REDUCE_CHUNK) return sumSqRange(x, off, n);
        double[] part = new double[(n + REDUCE_CHUNK - 1) / REDUCE_CHUNK];
        Parallel.forChunks(reduceThreads(n), n, REDUCE_CHUNK, (ci, s, e) -> part[ci] = sumSqRange(x, off + s, e - s));
        double total = 0.0;
        for (double v : part) total += v;
        return total;
    }

    // In double, as the scalar twin: a float squared is exact in double, so only the sums round.
    private static double sumSqRange(float[] x, int off, int n) {
        DoubleVector s0 = DoubleVector.zero(SD), s1 = s0, s2 = s0, s3 = s0;
        int bound = S.loopBound(n), i = 0;
        for (; i + 2 * L <= bound; i += 2 * L) {
            FloatVector v0 = FloatVector.fromArray(S, x, off + i);
            FloatVector v1 = FloatVector.fromArray(S, x, off + i + L);
            DoubleVector d0 = (DoubleVector) v0.convertShape(VectorOperators.F2D, SD, 0);
            DoubleVector d1 = (DoubleVector) v0.convertShape(VectorOperators.F2D, SD, 1);
            DoubleVector d2 = (DoubleVector) v1.convertShape(VectorOperators.F2D, SD, 0);
            DoubleVector d3 = (DoubleVector) v1.convertShape(VectorOperators.F2D, SD, 1);
            s0 = d0.fma(d0, s0);
            s1 = d1.fma(d1, s1);
            s2 = d2.fma(d2, s2);
            s3 = d3.fma(d3, s3);
        }
        double s = VectorMath.sum(s0.add(s1).add(s2.add(s3)));
        for (; i < n; i++) s += (double) x[off + i] * x[off + i];
        return s;
    }
}
