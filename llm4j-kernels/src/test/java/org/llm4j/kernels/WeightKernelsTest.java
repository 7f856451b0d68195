package org.llm4j.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Matrix products that read weights in place: heap and mapped, F32/F16/BF16, against the scalar twin. */
class WeightKernelsTest {
    static final Kernels SCALAR = new ScalarKernels();
    static final Kernels VECTOR = new VectorKernels(3);

    /** A mapped matrix (rows, cols) of the given type, starting at an odd byte to prove unaligned loads. */
    static Weight.Mapped mapped(Arena arena, float[] values, DType type, int rows, int cols) {
        byte[] bytes = Quant.encode(type, values);
        MemorySegment seg = arena.allocate(bytes.length + 1).asSlice(1);
        MemorySegment.copy(MemorySegment.ofArray(bytes), 0, seg, 0, bytes.length);
        return new Weight.Mapped(seg, type, rows, cols);
    }

    static float[] random(Random r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) r.nextGaussian();
        return x;
    }

    @Test
    void elementConversionsMatchTheJdk() {
        float[] special = {0f, -0f, 1f, -2.5f, 65504f, 6.1e-5f, 5.96e-8f, 3e-6f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, 0.1f};
        float[] padded = java.util.Arrays.copyOf(special, 64);
        for (int i = special.length; i < padded.length; i++) padded[i] = (float) Math.scalb(1.0 + i / 64.0, i % 40 - 26) * (i % 3 == 0 ? -1 : 1);
        try (Arena arena = Arena.ofShared()) {
            for (DType t : DType.values()) {
                if (t.quantized()) continue; // QuantTest
                Weight.Mapped w = mapped(arena, padded, t, 1, padded.length);
                float[] viaRow = new float[padded.length], viaVector = new float[padded.length];
                w.row(0, 0, padded.length, viaRow, 0);
                for (int i = 0; i + VectorWeights.L <= padded.length; i += VectorWeights.L) VectorWeights.load(w, i).intoArray(viaVector, i);
                for (int i = 0; i < padded.length; i++) {
                    float expected = switch (t) {
                        case F32 -> padded[i];
                        case F16 -> Float.float16ToFloat(Float.floatToFloat16(padded[i]));
                        case BF16 -> Float.intBitsToFloat(Float.floatToRawIntBits(padded[i]) & 0xffff0000);
                        case Q8_0, Q4_0, Q4_K, Q6_K -> throw new AssertionError();
                    };
                    assertThat(Float.floatToIntBits(viaRow[i])).as(t + " row element " + i).isEqualTo(Float.floatToIntBits(expected));
                    assertThat(Float.floatToIntBits(viaVector[i])).as(t + " vector element " + i).isEqualTo(Float.floatToIntBits(expected));
                }
            }
        }
    }

    @Test
    void mappedProductsMatchTheScalarTwinInEveryLayout() {
        Random r = new Random(7);
        int[][] shapes = {{1, 37, 29}, {1, 64, 130}, {3, 17, 45}, {5, 70, 33}, {9, 400, 50}, {130, 33, 21}, {2, 800, 1100}};
        try (Arena arena = Arena.ofShared()) {
            for (int[] s : shapes) {
                int m = s[0], k = s[1], n = s[2];
                float[] a = random(r, m * k);
                for (boolean transposed : new boolean[]{false, true}) {
                    float[] wv = random(r, k * n);
                    int rows = transposed ? n : k, cols = transposed ? k : n;
                    for (DType t : DType.values()) {
                        if (t.quantized()) continue; // QuantTest: rows of whole blocks
                        Weight.Mapped w = mapped(arena, wv, t, rows, cols);
                        float[] expected = new float[m * n], actual = new float[m * n];
                        SCALAR.matmul(a, 0, w, transposed, expected, 0, m, false);
                        VECTOR.matmul(a, 0, w, transposed, actual, 0, m, false);
                        for (int i = 0; i < expected.length; i++) {
                            assertThat(actual[i]).as(t + " " + (transposed ? "NT" : "NN") + " " + m + "x" + k + "x" + n + " at " + i)
                                    .isCloseTo(expected[i], org.assertj.core.data.Offset.offset(1e-4f * (1 + Math.abs(expected[i])) * (float) Math.sqrt(k)));
                        }
                        float[] again = actual.clone();
                        VECTOR.matmul(a, 0, w, transposed, again, 0, m, true);
                        for (int i = 0; i < again.length; i++) assertThat(again[i]).isCloseTo(2 * actual[i], org.assertj.core.data.Offset.offset(1e-4f * (1 + Math.abs(actual[i]))));
                    }
                }
            }
        }
    }

    /**
     * matmulEach (a block's q/k/v or gate/up products with one input) gives each output the bits
     * of its own matmul: in the shared path (rows > FEW_ROWS, mapped weights of one type and
     * width, each at least as wide as A is tall; few rows with interleaved weights of one type)
     * and in the fallbacks (mixed types, a heap weight, a weight narrower than A).
     */
    @Test
    void productsSharingAnInputGiveTheBitsOfEachProductAlone() {
        Random r = new Random(17);
        int k = 256;
        try (Arena arena = Arena.ofShared()) {
            for (DType t : new DType[] {DType.F32, DType.F16, DType.Q8_0, DType.Q4_0, DType.Q4_K, DType.Q6_K}) {
                int[] ns = {160, 48, 80};
                Weight[] same = new Weight[ns.length];
                for (int i = 0; i < ns.length; i++) same[i] = mapped(arena, random(r, ns[i] * k), t, ns[i], k);
                // mixed: a weight narrower than A is tall (32 < 40 rows) and one of another rounding or on the heap
                Weight[] mixed = {same[0], mapped(arena, random(r, 32 * k), t, 32, k),
                        t == DType.F32 ? Weight.Heap.of(random(r, 64 * k), 64, k) : mapped(arena, random(r, 64 * k), DType.F32, 64, k)};
                // alike: another type that rounds A the same way (Q4_K_M's Q6_K attn_v beside Q4_K), shared
                DType twin = switch (t) {
                    case F32 -> DType.BF16; case F16 -> DType.F32; case Q8_0 -> DType.Q4_0; case Q4_0 -> DType.Q8_0;
                    case Q4_K -> DType.Q6_K; case Q6_K -> DType.Q4_K; default -> t;
                };
                Weight[] alike = {same[0], same[1], mapped(arena, random(r, 64 * k), twin, 64, k)};
                for (int variant = 0; variant < 7; variant++) {
                    // decoding's few rows (one parallel job for interleaved weights of one type), then prompts
                    int m = new int[] {5, 40, 40, 40, 1, 8, 3}[variant];
                    Weight[] ws = variant == 2 || variant == 6 ? mixed : variant == 3 || variant == 5 ? alike : same;
                    float[] a = random(r, m * k + 3);
                    int[] widths = java.util.Arrays.stream(ws).mapToInt(Weight::rows).toArray();
                    float[][] got = new float[ws.length][], want = new float[ws.length][];
                    for (int i = 0; i < ws.length; i++) {
                        got[i] = new float[m * widths[i]];
                        want[i] = new float[m * widths[i]];
                        java.util.Arrays.fill(got[i], Float.NaN); // overwritten, never accumulated onto
                        VECTOR.matmul(a, 3, ws[i], true, want[i], 0, m, false);
                    }
                    VECTOR.matmulEach(a, 3, m, ws, got);
                    for (int i = 0; i < ws.length; i++) {
                        VectorKernelsTest.assertSameBits(t + " m=" + m + " weight " + i, want[i], got[i]);
                    }
                    float[] scalar = new float[m * widths[1]];
                    SCALAR.matmul(a, 3, ws[1], true, scalar, 0, m, false);
                    VectorKernelsTest.assertClose(t + " m=" + m + " against the scalar twin", scalar, got[1], 0, m * widths[1], 2e-3);
                }
            }
            Weight w = mapped(arena, random(r, 64 * k), DType.Q8_0, 64, k);
            assertThatThrownBy(() -> VECTOR.matmulEach(new float[20 * k], 0, 20, new Weight[] {w, w}, new float[][] {new float[20 * 64]}))
                    .hasMessageContaining("2 weights but 1 outputs");
        }
    }

    @Test
    void mappedF32GivesTheSameBitsAsTheHeap() {
        Random r = new Random(11);
        int[][] shapes = {{1, 96, 300}, {1, 300, 96}, {7, 96, 130}, {200, 64, 40}};
        try (Arena arena = Arena.ofShared()) {
            for (int[] s : shapes) {
                int m = s[0], k = s[1], n = s[2];
                float[] a = random(r, m * k), wv = random(r, k * n);
                for (boolean transposed : new boolean[]{false, true}) {
                    int rows = transposed ? n : k, cols = transposed ? k : n;
                    float[] heap = new float[m * n], map = new float[m * n];
                    VECTOR.matmul(a, 0, Weight.Heap.of(wv, rows, cols), transposed, heap, 0, m, false);
                    VECTOR.matmul(a, 0, mapped(arena, wv, DType.F32, rows, cols), transposed, map, 0, m, false);
                    VectorKernelsTest.assertSameBits("mapped vs heap " + m + "x" + k + "x" + n + (transposed ? " NT" : " NN"), heap, map);
                }
            }
        }
    }

    @Test
    void fewRowProductsGiveEachRowTheBitsOfItsOwnMatrixVectorProduct() {
        // Short prompts and a few sequences decoded in lockstep (m <= SKINNY_ROWS) stream the weight
        // once; every row must equal the m = 1 product, heap or mapped, in both layouts, any type.
        Random r = new Random(13);
        try (Arena arena = Arena.ofShared()) {
            for (int[] s : new int[][]{{2, 96, 130}, {4, 64, 1000}, {7, 800, 96}, {VectorKernels.SKINNY_ROWS, 128, 37}, {3, 512, 40}}) {
                int m = s[0], k = s[1], n = s[2];
                float[] a = random(r, m * k), wv = random(r, k * n);
                for (boolean transposed : new boolean[]{false, true}) {
                    int rows = transposed ? n : k, cols = transposed ? k : n;
                    List<Weight> weights = new java.util.ArrayList<>(List.of(Weight.Heap.of(wv, rows, cols)));
                    for (DType t : DType.values()) {
                        if (!t.quantized() || (transposed && cols % t.blockSize == 0)) weights.add(mapped(arena, wv, t, rows, cols));
                    }
                    for (Weight w : weights) {
                        float[] all = new float[m * n];
                        VECTOR.matmul(a, 0, w, transposed, all, 0, m, false);
                        for (int i = 0; i < m; i++) {
                            float[] row = new float[n];
                            VECTOR.matmul(java.util.Arrays.copyOfRange(a, i * k, (i + 1) * k), 0, w, transposed, row, 0, 1, false);
                            String what = (w instanceof Weight.Mapped mm ? "mapped " + mm.type() : "heap") + " row " + i + " of " + m + "x" + k + "x" + n + (transposed ? " NT" : " NN");
                            VectorKernelsTest.assertSameBits(what, row, java.util.Arrays.copyOfRange(all, i * n, (i + 1) * n));
                        }
                    }
                }
            }
        }
    }

    @Test
    void warmingUpKeepsToItsBudgetAndChangesNoResult() {
        Random r = new Random(17);
        try (Arena arena = Arena.ofShared()) {
            float[] wv = random(r, 96 * 130), a = random(r, 3 * 96);
            Weight.Mapped w = mapped(arena, wv, DType.F32, 96, 130);
            float[] before = new float[3 * 130], after = new float[3 * 130];
            VECTOR.matmul(a, 0, w, false, before, 0, 3, false);
            long t0 = System.nanoTime();
            VECTOR.warmUp(w, false, 50_000_000L);
            VECTOR.warmUp(w, false, 50_000_000L);   // once per type and layout: the second returns at once
            assertThat(System.nanoTime() - t0).as("two warm-ups within one budget and the row kernels' half").isLessThan(150_000_000L);
            VECTOR.matmul(a, 0, w, false, after, 0, 3, false);
            VectorKernelsTest.assertSameBits("after warm-up", before, after);
            SCALAR.warmUp(w, true, 50_000_000L);   // a no-op for the scalar twin
        }
    }

    @Test
    void eachRowOfAnNnProductEqualsThatRowAloneBitForBit() {
        // Batched decoding relies on it: B sequences through one product give each sequence's own bits.
        Random r = new Random(5);
        for (int[] s : new int[][]{{2, 900, 48}, {3, 100, 37}, {7, 1000, 130}, {5, 64, 3000}}) {
            int m = s[0], k = s[1], n = s[2];
            float[] a = random(r, m * k), b = random(r, k * n), all = new float[m * n];
            VECTOR.matmulNN(a, 0, b, 0, all, 0, m, k, n, false);
            for (int i = 0; i < m; i++) {
                float[] row = new float[n];
                VECTOR.matmulNN(java.util.Arrays.copyOfRange(a, i * k, (i + 1) * k), 0, b, 0, row, 0, 1, k, n, false);
                VectorKernelsTest.assertSameBits("row " + i + " of " + m + "x" + k + "x" + n, row, java.util.Arrays.copyOfRange(all, i * n, (i + 1) * n));
            }
        }
    }

    @Test
    void sizesAreChecked() {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment seg = arena.allocate(10);
            assertThatThrownBy(() -> new Weight.Mapped(seg, DType.F32, 2, 2)).hasMessageContaining("needs 16 bytes");
            assertThatThrownBy(() -> Weight.Heap.of(new float[3], 2, 2)).hasMessageContaining("does not fit");
        }
    }
}
