// Q4_K, Q6_K and Q8_K against llama.cpp's own reference code (fixture from tools/kquants), and the lane kernels against the scalar specification.
package org.llm4j.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class KQuantTest {
    // kquants.bin: weights x (rows of different character: plain, outliers, zeros, constant,
    // positive, negative, zero sub-blocks, tiny), an activation a, and what llama.cpp's
    // libggml made of them (see tools/kquants/make_fixtures.c for the layout).
    static int rows, cols;
    static float[] x, a, q4Deq, q6Deq, dot4, dot6;
    static byte[] q4, q6, q8;

    @BeforeAll
    static void load() throws IOException {
        byte[] all;
        try (InputStream in = KQuantTest.class.getResourceAsStream("kquants.bin")) {
            all = in.readAllBytes();
        }
        ByteBuffer b = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(b.getInt()).isEqualTo(0x3146514B); // "KQF1"
        rows = b.getInt();
        cols = b.getInt();
        int n = rows * cols, sb = n / 256;
        x = floats(b, n);
        a = floats(b, cols);
        q4 = bytes(b, sb * 144);
        q4Deq = floats(b, n);
        q6 = bytes(b, sb * 210);
        q6Deq = floats(b, n);
        q8 = bytes(b, cols / 256 * 292);
        dot4 = floats(b, rows);
        dot6 = floats(b, rows);
        assertThat(b.remaining()).isZero();
    }

    private static float[] floats(ByteBuffer b, int n) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) f[i] = b.getFloat();
        return f;
    }

    private static byte[] bytes(ByteBuffer b, int n) {
        byte[] v = new byte[n];
        b.get(v);
        return v;
    }

    private static Weight.Mapped weight(Arena arena, byte[] bytes, DType t) {
        MemorySegment seg = arena.allocate(bytes.length + 1).asSlice(1);   // unaligned, as a file's tensor may be
        MemorySegment.copy(MemorySegment.ofArray(bytes), 0, seg, 0, bytes.length);
        return new Weight.Mapped(seg, t, rows, cols);
    }

    @Test
    void quantizationWritesLlamaCppsBytes() {
        assertThat(Quant.quantize(DType.Q4_K, x)).as("Q4_K").isEqualTo(q4);
        assertThat(Quant.quantize(DType.Q6_K, x)).as("Q6_K").isEqualTo(q6);
    }

    @Test
    void dequantizationGivesLlamaCppsFloats() {
        try (Arena arena = Arena.ofShared()) {
            for (DType t : new DType[] {DType.Q4_K, DType.Q6_K}) {
                Weight.Mapped w = weight(arena, t == DType.Q4_K ? q4 : q6, t);
                float[] expected = t == DType.Q4_K ? q4Deq : q6Deq;
                float[] rowAll = new float[cols], lanes = new float[cols];
                for (int r = 0; r < rows; r++) {
                    w.row(r, 0, cols, rowAll, 0);
                    VectorWeights.row(w, r, 0, cols, lanes);
                    for (int c = 0; c < cols; c++) {
                        int i = r * cols + c;
                        assertThat(Float.floatToRawIntBits(w.get(r, c))).as(t + " element (" + r + ", " + c + ")").isEqualTo(Float.floatToRawIntBits(expected[i]));
                        assertThat(Float.floatToRawIntBits(rowAll[c])).as(t + " row " + r + " column " + c).isEqualTo(Float.floatToRawIntBits(expected[i]));
                        assertThat(Float.floatToRawIntBits(lanes[c])).as(t + " lanes row " + r + " column " + c).isEqualTo(Float.floatToRawIntBits(expected[i]));
                    }
                    // ranges that start and end inside 32-value chunks and super-blocks
                    for (int[] s : new int[][] {{5, 37}, {250, 12}, {384, 128}, {1, 510}}) {
                        float[] part = new float[s[1]];
                        w.row(r, s[0], s[1], part, 0);
                        for (int j = 0; j < s[1]; j++) assertThat(part[j]).isEqualTo(expected[r * cols + s[0] + j]);
                    }
                }
            }
        }
    }

    @Test
    void activationRoundingIsLlamaCppsQ8K() {
        short[] q = new short[cols], qv = new short[cols];
        float[] d = new float[cols / 256], dv = new float[cols / 256];
        int[] sums = new int[cols / 16], sv = new int[cols / 16];
        KQuant.roundActivation(a, 0, cols, q, 0, d, 0, sums, 0);
        VectorWeights.roundActivationK(a, 0, cols, qv, 0, dv, 0, sv, 0);
        ByteBuffer b = ByteBuffer.wrap(q8).order(ByteOrder.LITTLE_ENDIAN);
        for (int blk = 0; blk < cols / 256; blk++) {
            assertThat(Float.floatToRawIntBits(d[blk])).isEqualTo(Float.floatToRawIntBits(b.getFloat()));
            for (int j = 0; j < 256; j++) assertThat(q[blk * 256 + j]).as("q " + (blk * 256 + j)).isEqualTo((short) b.get());
            for (int g = 0; g < 16; g++) assertThat(sums[blk * 16 + g]).isEqualTo((int) b.getShort());
        }
        assertThat(qv).isEqualTo(q);
        assertThat(dv).isEqualTo(d);
        assertThat(sv).isEqualTo(sums);
    }

    @Test
    void activationRoundingInLanesIsTheSpecificationBitForBit() {
        Random r = new Random(31);
        int k = 256 * 6;
        float[] v = new float[k];
        for (int i = 0; i < k; i++) v[i] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(9) - 4));
        java.util.Arrays.fill(v, 256, 512, 0f);                     // all zero: d = 0
        v[512] = 2f; v[513] = -2f;                                 // the first of equal magnitudes sets the sign
        for (int j = 514; j < 768; j++) v[j] = (j % 5 - 2) * 0.5f;  // exact halves: round half to even
        v[800] = Float.NaN;                                        // skipped by the specification's comparison
        v[1100] = -0f;
        short[] q = new short[k], qv = new short[k];
        float[] d = new float[k / 256], dv = new float[k / 256];
        int[] s = new int[k / 16], sv = new int[k / 16];
        KQuant.roundActivation(v, 0, k, q, 0, d, 0, s, 0);
        VectorWeights.roundActivationK(v, 0, k, qv, 0, dv, 0, sv, 0);
        assertThat(qv).isEqualTo(q);
        assertThat(dv).isEqualTo(d);
        assertThat(sv).isEqualTo(s);
        assertThat(d[1]).isZero();
        assertThat(d[2]).isEqualTo(1f / (-127f / 2f));
        assertThat(KQuant.nearest(2.5f)).isEqualTo(2);
        assertThat(KQuant.nearest(-3.5f)).isEqualTo(-4);
    }

    @Test
    void rowProductsAreLlamaCppsDotProducts() {
        try (Arena arena = Arena.ofShared()) {
            for (DType t : new DType[] {DType.Q4_K, DType.Q6_K}) {
                Weight.Mapped w = weight(arena, t == DType.Q4_K ? q4 : q6, t);
                float[] expected = t == DType.Q4_K ? dot4 : dot6, actual = new float[rows], scalar = new float[rows];
                WeightKernelsTest.VECTOR.matmul(a, 0, w, true, actual, 0, 1, false);
                WeightKernelsTest.SCALAR.matmul(a, 0, w, true, scalar, 0, 1, false);
                float[] deq = t == DType.Q4_K ? q4Deq : q6Deq;
                for (int r = 0; r < rows; r++) {
                    double size = 0;
                    for (int c = 0; c < cols; c++) size += Math.abs(deq[r * cols + c] * a[c]);
                    Offset<Float> tol = Offset.offset((float) (1e-5 * size + 1e-30));
                    assertThat(actual[r]).as(t + " row " + r + " (lanes)").isCloseTo(expected[r], tol);
                    assertThat(scalar[r]).as(t + " row " + r + " (scalar twin)").isCloseTo(expected[r], tol);
                }
            }
        }
    }

    @Test
    void productsMatchTheScalarTwinForFewAndManyRows() {
        Random r = new Random(13);
        try (Arena arena = Arena.ofShared()) {
            for (int[] s : new int[][] {{1, 256, 7}, {3, 512, 33}, {8, 768, 20}, {9, 256, 40}, {24, 1024, 70}}) {
                int m = s[0], k = s[1], n = s[2];
                float[] act = WeightKernelsTest.random(r, m * k);
                for (DType t : new DType[] {DType.Q4_K, DType.Q6_K}) {
                    Weight.Mapped w = WeightKernelsTest.mapped(arena, WeightKernelsTest.random(r, n * k), t, n, k);
                    float[] expected = new float[m * n], actual = new float[m * n];
                    WeightKernelsTest.SCALAR.matmul(act, 0, w, true, expected, 0, m, false);
                    WeightKernelsTest.VECTOR.matmul(act, 0, w, true, actual, 0, m, false);
                    for (int i = 0; i < expected.length; i++) {
                        assertThat(actual[i]).as(t + " " + m + "x" + k + "x" + n + " at " + i)
                                .isCloseTo(expected[i], Offset.offset(1e-4f * (1 + Math.abs(expected[i])) * (float) Math.sqrt(k)));
                    }
                    // accumulate adds to what is there
                    float[] twice = actual.clone();
                    WeightKernelsTest.VECTOR.matmul(act, 0, w, true, twice, 0, m, true);
                    for (int i = 0; i < twice.length; i++) assertThat(twice[i]).isCloseTo(2 * actual[i], Offset.offset(1e-4f * (1 + Math.abs(actual[i]))));
                }
            }
        }
    }

    @Test
    void quantizedValuesAreCloseToTheInput() {
        // Q6_K within half a step of its 16-value group's scale; Q4_K within one step of its sub-block's.
        Random r = new Random(41);
        float[] v = WeightKernelsTest.random(r, 256 * 8);
        try (Arena arena = Arena.ofShared()) {
            Weight.Mapped w6 = WeightKernelsTest.mapped(arena, v, DType.Q6_K, 8, 256);
            Weight.Mapped w4 = WeightKernelsTest.mapped(arena, v, DType.Q4_K, 8, 256);
            double err6 = 0, err4 = 0, norm = 0;
            for (int i = 0; i < v.length; i++) {
                err6 += Math.pow(w6.at(i) - v[i], 2);
                err4 += Math.pow(w4.at(i) - v[i], 2);
                norm += (double) v[i] * v[i];
            }
            // relative RMS error: ~1% for 6 bits, ~7% for 4 bits on Gaussian values
            assertThat(Math.sqrt(err6 / norm)).isLessThan(0.02);
            assertThat(Math.sqrt(err4 / norm)).isLessThan(0.12);
            assertThat(Math.sqrt(err4 / norm)).isGreaterThan(Math.sqrt(err6 / norm));
        }
    }
}
