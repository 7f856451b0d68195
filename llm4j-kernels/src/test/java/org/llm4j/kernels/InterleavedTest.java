package org.llm4j.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Q8_0/Q4_0/Q4_K/Q6_K matrices copied in groups of 16 rows (Interleaved): the layout as documented,
 * the products read only the copy and give the integer block sums (K-quants: the scalar
 * twin's products), the prompt panels packed from it are the in-place panels bit for bit, and matrices
 * that cannot be copied stay in place.
 */
class InterleavedTest {
    static final DType[] TYPES = {DType.Q8_0, DType.Q4_0, DType.Q4_K, DType.Q6_K};

    // A (rows, k) matrix of random bytes (Q8_0 values include -128, Q4_0 every nibble, Q4_K
    // every 6-bit scale and min) with finite, modest f16 scales (Q4_K: d and dmin), at an odd address.
    static Weight.Mapped randomMatrix(Arena arena, Random r, DType t, int rows, int k) {
        byte[] bytes = new byte[Math.toIntExact(t.byteSize((long) rows * k))];
        r.nextBytes(bytes);
        for (int b = 0; b < bytes.length / t.blockBytes; b++) {
            for (int h = 0; h < (t == DType.Q4_K ? 2 : 1); h++) {
                short f = Float.floatToFloat16((float) (r.nextGaussian() * (h == 0 ? 0.01 : 0.002)));
                bytes[b * t.blockBytes + scaleAt(t) + 2 * h] = (byte) f;
                bytes[b * t.blockBytes + scaleAt(t) + 2 * h + 1] = (byte) (f >> 8);
            }
        }
        MemorySegment seg = arena.allocate(bytes.length + 1).asSlice(1);
        MemorySegment.copy(MemorySegment.ofArray(bytes), 0, seg, 0, bytes.length);
        return new Weight.Mapped(seg, t, rows, k);
    }

    // where a block's f16 scale d is: Q6_K keeps it last
    static int scaleAt(DType t) {
        return t == DType.Q6_K ? 208 : 0;
    }

    @Test
    void theCopyHasTheDocumentedLayout() {
        assumeThat(Interleaved.ENABLED && VectorWeights.INT_DOT).as("interleaving on, 256-bit integer lanes").isTrue();
        Random r = new Random(3);
        try (Arena arena = Arena.ofShared()) {
            for (DType t : new DType[] {DType.Q8_0, DType.Q4_0}) {
                int rows = 32, k = 96, nb = k / 32, gb = Interleaved.blockBytes(t);
                Weight.Mapped w = randomMatrix(arena, r, t, rows, k);
                MemorySegment il = Interleaved.of(w, 2);
                assertThat(il).as(t + " copy").isNotNull();
                assertThat(il.byteSize()).isEqualTo(w.seg().byteSize());
                for (int g = 0; g < rows / 16; g++) {
                    for (int b = 0; b < nb; b++) {
                        long at = ((long) g * nb + b) * gb;
                        for (int j = 0; j < 8; j++) {
                            int pair = il.get(ValueLayout.JAVA_INT_UNALIGNED, at + 4L * j);
                            assertThat((short) pair).isEqualTo(scale(w, 16 * g + j, b));
                            assertThat((short) (pair >>> 16)).isEqualTo(scale(w, 16 * g + 8 + j, b));
                        }
                        for (int i = 0; i < 16; i++) {
                            int row = 16 * g + (i % 2 == 0 ? i / 2 : 8 + i / 2);
                            long in = ((long) row * nb + b) * t.blockBytes + 2;
                            for (int e = 0; e < t.blockBytes - 2; e++) {
                                assertThat(il.get(ValueLayout.JAVA_BYTE, at + 32 + 16L * e + i)).as(t + " group %d block %d lane %d chunk %d", g, b, i, e)
                                        .isEqualTo(w.seg().get(ValueLayout.JAVA_BYTE, in + e));
                            }
                        }
                    }
                }
            }
        }
    }

    private static short scale(Weight.Mapped w, int row, int b) {
        return w.seg().get(Weight.Mapped.H, ((long) row * (w.cols() / 32) + b) * w.type().blockBytes);
    }

    /**
     * The K-quant copies: per (group, super-block) d (and Q4_K's dmin) as the f16 ints, then Q4_K's
     * unpacked 6-bit scales and mins and its nibble bytes, or Q6_K's int8 scales and its bytes
     * three to a position (low-bits bytes 64n + l, 64n + 32 + l, high-bits byte 32n + l).
     */
    @Test
    void theKQuantCopiesHaveTheDocumentedLayout() {
        assumeThat(Interleaved.ENABLED && VectorWeights.INT_DOT).as("interleaving on, 256-bit integer lanes").isTrue();
        Random r = new Random(4);
        try (Arena arena = Arena.ofShared()) {
            for (DType t : new DType[] {DType.Q4_K, DType.Q6_K}) {
                int rows = 32, k = 512, nsb = k / 256, gb = Interleaved.blockBytes(t);
                Weight.Mapped w = randomMatrix(arena, r, t, rows, k);
                MemorySegment il = Interleaved.of(w, 2);
                assertThat(il).as(t + " copy").isNotNull();
                assertThat(il.byteSize()).isEqualTo((long) rows / 16 * nsb * gb);
                for (int g = 0; g < rows / 16; g++) {
                    for (int sb = 0; sb < nsb; sb++) {
                        long at = ((long) g * nsb + sb) * gb;
                        for (int i = 0; i < 16; i++) {
                            long in = ((long) (16 * g + Interleaved.row(i)) * nsb + sb) * t.blockBytes;
                            if (t == DType.Q4_K) assertQ4K(w.seg(), in, il, at, i);
                            else assertQ6K(w.seg(), in, il, at, i);
                        }
                    }
                }
            }
        }
    }

    private static void assertQ4K(MemorySegment file, long in, MemorySegment il, long at, int i) {
        for (int h = 0; h < 2; h++) {
            assertThat(il.get(Weight.Mapped.H, at + 32 * h + 2L * i)).as("d/dmin %d of lane %d", h, i).isEqualTo(file.get(Weight.Mapped.H, in + 2 * h));
        }
        for (int c = 0; c < 8; c++) {
            int sm = KQuant.scaleMin(file, in + 4, c);
            assertThat(il.get(ValueLayout.JAVA_BYTE, at + 64 + 16L * c + i)).as("scale %d lane %d", c, i).isEqualTo((byte) (sm & 0xffff));
            assertThat(il.get(ValueLayout.JAVA_BYTE, at + 192 + 16L * c + i)).as("min %d lane %d", c, i).isEqualTo((byte) (sm >>> 16));
        }
        for (int b = 0; b < 128; b++) {
            assertThat(il.get(ValueLayout.JAVA_BYTE, at + Interleaved.Q4K_VALUES + 16L * b + i)).as("byte %d lane %d", b, i)
                    .isEqualTo(file.get(ValueLayout.JAVA_BYTE, in + 16 + b));
        }
    }

    private static void assertQ6K(MemorySegment file, long in, MemorySegment il, long at, int i) {
        assertThat(il.get(Weight.Mapped.H, at + 2L * i)).as("d of lane %d", i).isEqualTo(file.get(Weight.Mapped.H, in + 208));
        for (int s = 0; s < 16; s++) {
            assertThat(il.get(ValueLayout.JAVA_BYTE, at + 32 + 16L * s + i)).as("scale %d lane %d", s, i).isEqualTo(file.get(ValueLayout.JAVA_BYTE, in + 192 + s));
        }
        for (int p = 0; p < 64; p++) {
            long to = at + Interleaved.Q6K_VALUES + 48L * p + i;
            int low = 64 * (p / 32) + p % 32;
            assertThat(il.get(ValueLayout.JAVA_BYTE, to)).as("low byte %d lane %d", low, i).isEqualTo(file.get(ValueLayout.JAVA_BYTE, in + low));
            assertThat(il.get(ValueLayout.JAVA_BYTE, to + 16)).as("low byte %d lane %d", low + 32, i).isEqualTo(file.get(ValueLayout.JAVA_BYTE, in + low + 32));
            assertThat(il.get(ValueLayout.JAVA_BYTE, to + 32)).as("high byte %d lane %d", p, i).isEqualTo(file.get(ValueLayout.JAVA_BYTE, in + 128 + p));
        }
    }

    /**
     * Decoding products (1 and 3 vectors) against Σ_blocks d_w·d_x·Σ q_w·q_x in double, and
     * after the copy exists the file's bytes are overwritten: every product, few-row and prompt,
     * still gives the same bits, so none reads the file any more.
     */
    @Test
    void productsAreTheIntegerBlockSumsAndReadOnlyTheCopy() {
        assumeThat(Interleaved.ENABLED && VectorWeights.INT_DOT).as("interleaving on, 256-bit integer lanes").isTrue();
        Random r = new Random(5);
        try (Arena arena = Arena.ofShared()) {
            for (int[] s : new int[][] {{16, 256}, {48, 768}, {32, 2048}, {64, 8192}, {48, 800}}) {
                int n = s[0], k = s[1];
                for (DType t : TYPES) {
                    if (k % t.blockSize != 0) continue;
                    Weight.Mapped w = randomMatrix(arena, r, t, n, k);
                    byte[] bytes = w.seg().toArray(ValueLayout.JAVA_BYTE);
                    float[][] before = new float[3][];
                    int[] ms = {1, 3, 40};
                    float[] a = WeightKernelsTest.random(r, 40 * k);
                    for (int v = 0; v < ms.length; v++) {
                        int m = ms[v];
                        float[] c = new float[m * n];
                        WeightKernelsTest.VECTOR.matmul(a, 0, w, true, c, 0, m, false);
                        before[v] = c;
                        if (m == 40) continue;   // the prompt path: the float GEMM, checked below against the in-place panels
                        if (t.kQuant()) {
                            // against the scalar twin, within 1e-5 of Σ|w·x| (the mins' term cancels much of the sum)
                            float[] scalar = new float[m * n];
                            WeightKernelsTest.SCALAR.matmul(a, 0, w, true, scalar, 0, m, false);
                            for (int i = 0; i < m; i++) {
                                for (int row = 0; row < n; row++) {
                                    double size = 0;
                                    for (int p = 0; p < k; p++) size += Math.abs(w.at((long) row * k + p) * a[i * k + p]);
                                    assertThat(c[i * n + row]).as("%s %dx%dx%d vector %d row %d", t, m, k, n, i, row)
                                            .isCloseTo(scalar[i * n + row], org.assertj.core.data.Offset.offset((float) (1e-5 * size)));
                                }
                            }
                        } else {
                            QuantTest.assertIntegerBlockSums(t + " " + m + "x" + k + "x" + n, t, bytes, a, c, m, n, k);
                        }
                    }
                    assertThat(w.interleaved).as(t + " copy made").isNotNull().isNotEqualTo(MemorySegment.NULL);
                    w.seg().fill((byte) 0x7c);   // NaN scales (0x7c7c), values unlike the originals: any read of the file shows
                    for (int v = 0; v < ms.length; v++) {
                        float[] c = new float[ms[v] * n];
                        WeightKernelsTest.VECTOR.matmul(a, 0, w, true, c, 0, ms[v], false);
                        VectorKernelsTest.assertSameBits(t + " " + ms[v] + "x" + k + "x" + n + " after the file changed", before[v], c);
                    }
                }
            }
        }
    }

    /**
     * The prompt GEMM packs its weight panels from the copy: the same bits as from the file, and
     * the same at 1, 2 and 3 threads. (Q4_0 prompts with a copy run in int16 lanes instead: below.)
     */
    @Test
    void promptPanelsFromTheCopyAreTheInPlacePanels() {
        Random r = new Random(7);
        try (Arena arena = Arena.ofShared()) {
            for (DType t : TYPES) {
                if (t == DType.Q4_0) continue;
                int n = 96, k = t.kQuant() ? 256 * 5 : 32 * 25, m = 37;   // k: more than one KC block of the GEMM
                Weight.Mapped w = randomMatrix(arena, r, t, n, k);
                Weight.Mapped inPlace = new Weight.Mapped(w.seg(), t, n, k);
                inPlace.interleaved = MemorySegment.NULL;
                float[] a = WeightKernelsTest.random(r, m * k);
                float[] want = new float[m * n];
                WeightKernelsTest.VECTOR.matmul(a, 0, inPlace, true, want, 0, m, false);
                for (int threads = 1; threads <= 3; threads++) {
                    float[] got = new float[m * n];
                    new VectorKernels(threads).matmul(a, 0, w, true, got, 0, m, false);
                    VectorKernelsTest.assertSameBits(t + " prompt product at " + threads + " threads", want, got);
                }
                assertThat(w.interleaved != null && w.interleaved != MemorySegment.NULL).isEqualTo(Interleaved.ENABLED && VectorWeights.INT_DOT);
            }
        }
    }

    /**
     * Q4_0 prompt products with a copy (int16 lanes, eight rows a tile) give each row the bits of
     * its own decoding product: 9, 13 and 37 rows (tiles with padding), 1 and 2 threads, plain and
     * accumulating, through matmul and through matmulEach with two matrices; and the products stay
     * within 1e-5 of Σ|w·x| of the float GEMM on the in-place panels.
     */
    @Test
    void q4PromptProductsGiveEachRowTheBitsOfItsDecodingProduct() {
        assumeThat(Interleaved.ENABLED && VectorWeights.INT_DOT).as("interleaving on, 256-bit integer lanes").isTrue();
        Random r = new Random(17);
        try (Arena arena = Arena.ofShared()) {
            for (int k : new int[] {32 * 24, 32 * (64 + 24)}) {
                int n = 16 * 5, n2 = 16 * 3 * 2;
                Weight.Mapped w = randomMatrix(arena, r, DType.Q4_0, n, k), w2 = randomMatrix(arena, r, DType.Q4_0, n2, k);
                Weight.Mapped inPlace = new Weight.Mapped(w.seg(), DType.Q4_0, n, k);
                inPlace.interleaved = MemorySegment.NULL;
                for (int m : new int[] {9, 13, 37}) {
                    float[] a = WeightKernelsTest.random(r, m * k), base = WeightKernelsTest.random(r, m * n);
                    for (int threads = 1; threads <= 2; threads++) {
                        VectorKernels kernels = new VectorKernels(threads);
                        float[][] both = plainAndAccumulated(kernels, a, w, m, base);
                        float[] got = both[0], accumulated = both[1], got2 = new float[m * n2];
                        float[] each = new float[m * n], each2 = new float[m * n2];
                        kernels.matmulEach(a, 0, m, new Weight[] {w, w2}, new float[][] {each, each2});
                        kernels.matmul(a, 0, w2, true, got2, 0, m, false);
                        VectorKernelsTest.assertSameBits("matmulEach m=" + m, got, each);
                        VectorKernelsTest.assertSameBits("matmulEach second matrix m=" + m, got2, each2);
                        for (int i = 0; i < m; i++) {
                            float[] one = new float[n], oneAcc = java.util.Arrays.copyOfRange(base, i * n, (i + 1) * n);
                            float[] row = java.util.Arrays.copyOfRange(a, i * k, (i + 1) * k);
                            kernels.matmul(row, 0, w, true, one, 0, 1, false);
                            kernels.matmul(row, 0, w, true, oneAcc, 0, 1, true);
                            String what = "m=" + m + " row " + i + " at " + threads + " threads";
                            VectorKernelsTest.assertSameBits(what, one, java.util.Arrays.copyOfRange(got, i * n, (i + 1) * n));
                            VectorKernelsTest.assertSameBits(what + ", accumulating", oneAcc, java.util.Arrays.copyOfRange(accumulated, i * n, (i + 1) * n));
                        }
                        float[] panels = new float[m * n];
                        kernels.matmul(a, 0, inPlace, true, panels, 0, m, false);
                        for (int i = 0; i < m; i++) {
                            for (int row = 0; row < n; row++) {
                                double size = 0;
                                for (int p = 0; p < k; p++) size += Math.abs(w.at((long) row * k + p) * a[i * k + p]);
                                assertThat(got[i * n + row]).as("m=%d row %d column %d against the float GEMM", m, i, row)
                                        .isCloseTo(panels[i * n + row], org.assertj.core.data.Offset.offset((float) (1e-5 * size)));
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * A few-row product (2..8 vectors, which every copied type runs four at a time) gives each vector
     * the bits of its product alone, at one and two threads, plain and accumulating.
     */
    @Test
    void fewRowProductsGiveEachVectorTheBitsOfItsOwnProduct() {
        Random r = new Random(11);
        try (Arena arena = Arena.ofShared()) {
            for (DType t : TYPES) {
                int n = 16 * 5, k = t.kQuant() ? 256 * 3 : 32 * 24;
                Weight.Mapped w = randomMatrix(arena, r, t, n, k);
                for (int m = 2; m <= Kernels.FEW_ROWS; m++) {
                    float[] a = WeightKernelsTest.random(r, m * k), base = WeightKernelsTest.random(r, m * n);
                    for (int threads = 1; threads <= 2; threads++) {
                        VectorKernels kernels = new VectorKernels(threads);
                        float[][] both = plainAndAccumulated(kernels, a, w, m, base);
                        float[] got = both[0], accumulated = both[1];
                        for (int i = 0; i < m; i++) {
                            float[] one = new float[n], oneAcc = java.util.Arrays.copyOfRange(base, i * n, (i + 1) * n);
                            kernels.matmul(java.util.Arrays.copyOfRange(a, i * k, (i + 1) * k), 0, w, true, one, 0, 1, false);
                            kernels.matmul(java.util.Arrays.copyOfRange(a, i * k, (i + 1) * k), 0, w, true, oneAcc, 0, 1, true);
                            String what = t + " m=" + m + " vector " + i + " at " + threads + " threads";
                            VectorKernelsTest.assertSameBits(what, one, java.util.Arrays.copyOfRange(got, i * n, (i + 1) * n));
                            VectorKernelsTest.assertSameBits(what + ", accumulating", oneAcc, java.util.Arrays.copyOfRange(accumulated, i * n, (i + 1) * n));
                        }
                    }
                }
            }
        }
    }

    /**
     * Decoding products that take several groups of 16 rows in one pass (Q8_0's q8Rows4) give each
     * group the bits of that group's 16 rows as a matrix of their own (one group, the one-group
     * kernel): 9 groups (two fours and one left over, split differently at 1 and 2 threads), 1 to 5
     * vectors, plain and accumulating.
     */
    @Test
    void groupsTakenTogetherGiveEachGroupTheBitsOfItsRowsAlone() {
        Random r = new Random(13);
        try (Arena arena = Arena.ofShared()) {
            for (DType t : TYPES) {
                int groups = 9, n = 16 * groups, k = t.kQuant() ? 256 * 3 : 32 * 24;
                long groupBytes = t.byteSize(16L * k);
                Weight.Mapped w = randomMatrix(arena, r, t, n, k);
                for (int m : new int[] {1, 2, 3, 5}) {
                    float[] a = WeightKernelsTest.random(r, m * k), base = WeightKernelsTest.random(r, m * n);
                    for (int threads = 1; threads <= 2; threads++) {
                        VectorKernels kernels = new VectorKernels(threads);
                        float[][] both = plainAndAccumulated(kernels, a, w, m, base);
                        float[] got = both[0], accumulated = both[1];
                        for (int g = 0; g < groups; g++) {
                            Weight.Mapped alone = new Weight.Mapped(w.seg().asSlice(g * groupBytes, groupBytes), t, 16, k);
                            float[] one = new float[m * 16], oneAcc = new float[m * 16];
                            for (int i = 0; i < m; i++) System.arraycopy(base, i * n + 16 * g, oneAcc, i * 16, 16);
                            kernels.matmul(a, 0, alone, true, one, 0, m, false);
                            kernels.matmul(a, 0, alone, true, oneAcc, 0, m, true);
                            for (int i = 0; i < m; i++) {
                                String what = t + " m=" + m + " vector " + i + " group " + g + " at " + threads + " threads";
                                VectorKernelsTest.assertSameBits(what, java.util.Arrays.copyOfRange(one, i * 16, i * 16 + 16),
                                        java.util.Arrays.copyOfRange(got, i * n + 16 * g, i * n + 16 * g + 16));
                                VectorKernelsTest.assertSameBits(what + ", accumulating", java.util.Arrays.copyOfRange(oneAcc, i * 16, i * 16 + 16),
                                        java.util.Arrays.copyOfRange(accumulated, i * n + 16 * g, i * n + 16 * g + 16));
                            }
                        }
                    }
                }
            }
        }
    }

    /** Decoding products give the same bits at any thread count (the groups are split, never a sum). */
    @Test
    void decodingProductsDoNotDependOnTheThreadCount() {
        Random r = new Random(9);
        try (Arena arena = Arena.ofShared()) {
            for (DType t : TYPES) {
                int n = 16 * 37, k = 32 * 40;
                Weight.Mapped w = randomMatrix(arena, r, t, n, k);
                for (int m : new int[] {1, 5}) {
                    float[] a = WeightKernelsTest.random(r, m * k), want = new float[m * n];
                    new VectorKernels(1).matmul(a, 0, w, true, want, 0, m, false);
                    for (int threads = 2; threads <= 3; threads++) {
                        float[] got = new float[m * n];
                        java.util.Arrays.fill(got, 1f);
                        new VectorKernels(threads).matmul(a, 0, w, true, got, 0, m, true);   // accumulating onto ones
                        for (int i = 0; i < got.length; i++) got[i] -= 1f;
                        float[] plain = new float[m * n];
                        new VectorKernels(threads).matmul(a, 0, w, true, plain, 0, m, false);
                        VectorKernelsTest.assertSameBits(t + " m=" + m + " at " + threads + " threads", want, plain);
                        VectorKernelsTest.assertClose(t + " m=" + m + " accumulated", want, got, 0, want.length, 1e-5);
                    }
                }
            }
        }
    }

    /**
     * Matrices that stay in place: rows not a multiple of 16, and an infinite or NaN block scale
     * (the copy's lane conversion is exact for normal and subnormal scales only). Subnormal and
     * extreme finite scales go through the copy and agree with the scalar twin.
     */
    @Test
    void oddShapesAndSpecialScalesStayInPlaceAndSubnormalsGoThroughTheCopy() {
        Random r = new Random(11);
        try (Arena arena = Arena.ofShared()) {
            for (DType t : TYPES) {
                int k = t.kQuant() ? 256 * 2 : 32 * 10, nb = k / t.blockSize;
                Weight.Mapped odd = randomMatrix(arena, r, t, 24, k);
                assertThat(Interleaved.of(odd, 2)).as("24 rows").isNull();
                Weight.Mapped inf = randomMatrix(arena, r, t, 32, k);
                inf.seg().set(Weight.Mapped.H, (long) (17 * nb + 1) * t.blockBytes + scaleAt(t), (short) 0x7c00);
                assertThat(Interleaved.of(inf, 2)).as("an infinite scale").isNull();
                if (t == DType.Q4_K) {
                    Weight.Mapped nan = randomMatrix(arena, r, t, 32, k);
                    nan.seg().set(Weight.Mapped.H, (long) (5 * nb + 1) * t.blockBytes + 2, (short) 0x7e00);
                    assertThat(Interleaved.of(nan, 2)).as("a NaN dmin").isNull();
                }

                short[] scales = {(short) 0x0001, (short) 0x83ff, (short) 0x0400, (short) 0xfbff, (short) 0x7bff, (short) 0x8001, 0, (short) 0x8000};
                Weight.Mapped w = randomMatrix(arena, r, t, 32, k);
                for (int row = 0; row < 32; row++) w.seg().set(Weight.Mapped.H, (long) (row * nb + row % nb) * t.blockBytes + scaleAt(t), scales[row % scales.length]);
                if (t == DType.Q4_K) {   // and dmin
                    for (int row = 0; row < 32; row++) w.seg().set(Weight.Mapped.H, (long) (row * nb + (row + 1) % nb) * t.blockBytes + 2, scales[(row + 3) % scales.length]);
                }
                float[] a = WeightKernelsTest.random(r, k), c = new float[32], cs = new float[32];
                WeightKernelsTest.VECTOR.matmul(a, 0, w, true, c, 0, 1, false);
                WeightKernelsTest.SCALAR.matmul(a, 0, w, true, cs, 0, 1, false);
                assertThat(w.interleaved != null && w.interleaved != MemorySegment.NULL).isEqualTo(Interleaved.ENABLED && VectorWeights.INT_DOT);
                for (int row = 0; row < 32; row++) {
                    assertThat(c[row]).as(t + " row " + row).isCloseTo(cs[row], org.assertj.core.data.Offset.offset(1e-4f * (1 + Math.abs(cs[row]))));
                }
            }
        }
    }

    // w's product with a's m rows, plain and added onto a copy of base: {plain, accumulated}.
    private static float[][] plainAndAccumulated(VectorKernels kernels, float[] a, Weight.Mapped w, int m, float[] base) {
        float[] got = new float[m * w.rows()], accumulated = base.clone();
        kernels.matmul(a, 0, w, true, got, 0, m, false);
        kernels.matmul(a, 0, w, true, accumulated, 0, m, true);
        return new float[][] {got, accumulated};
    }
}
