// Q8_0 and Q4_0: the block layouts decoded by hand, ggml's rounding, and the vector products against the scalar twin.
package org.llm4j.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.Test;

class QuantTest {
    @Test
    void blockLayoutsAreGgmls() {
        float[] x = new float[32];
        for (int j = 0; j < 32; j++) x[j] = j - 12.7f;               // max |x| = 18.3 at j = 31
        byte[] q8 = Quant.quantize(DType.Q8_0, x);
        assertThat(q8).hasSize(34);
        float d8 = Float.float16ToFloat((short) ((q8[0] & 0xFF) | q8[1] << 8));
        assertThat(d8).isCloseTo(18.3f / 127, org.assertj.core.data.Offset.offset(1e-4f));
        assertThat(q8[2 + 31]).isEqualTo((byte) 127);
        byte[] q4 = Quant.quantize(DType.Q4_0, x);
        assertThat(q4).hasSize(18);
        float d4 = Float.float16ToFloat((short) ((q4[0] & 0xFF) | q4[1] << 8));
        assertThat(d4).isCloseTo(18.3f / -8, org.assertj.core.data.Offset.offset(1e-3f)); // sign of the largest value, as ggml
        // x[31] = 18.3 = -8·d: nibble 0, the high half of byte 15; x[0] = -12.7 → 8 + round(-12.7/d) = 14, low half of byte 0.
        assertThat((q4[2 + 15] & 0xFF) >>> 4).isZero();
        assertThat(q4[2] & 15).isEqualTo(Math.min(15, (int) (-12.7f / d4 + 8.5f)));
        Weight.Mapped w8 = new Weight.Mapped(MemorySegment.ofArray(q8), DType.Q8_0, 1, 32);
        Weight.Mapped w4 = new Weight.Mapped(MemorySegment.ofArray(q4), DType.Q4_0, 1, 32);
        for (int j = 0; j < 32; j++) {
            assertThat(w8.get(0, j)).isEqualTo(q8[2 + j] * d8);
            int nib = j < 16 ? q4[2 + j] & 15 : (q4[2 + j - 16] & 0xFF) >>> 4;
            assertThat(w4.get(0, j)).isEqualTo((nib - 8) * d4);
            assertThat(w8.get(0, j)).isCloseTo(x[j], org.assertj.core.data.Offset.offset(d8 * 0.55f + 1e-3f));
            assertThat(w4.get(0, j)).isCloseTo(x[j], org.assertj.core.data.Offset.offset(Math.abs(d4) * 0.55f + 1e-2f));
        }
        // C's roundf: halves go away from zero (Java's Math.round would give -2 for -2.5).
        float[] halves = new float[32];
        halves[0] = 127f;
        halves[1] = -2.5f;
        assertThat(Quant.quantize(DType.Q8_0, halves)[3]).isEqualTo((byte) -3);
    }

    @Test
    void vectorLoadsMatchElementReads() {
        Random r = new Random(3);
        float[] x = WeightKernelsTest.random(r, 256);
        try (Arena arena = Arena.ofShared()) {
            for (DType t : new DType[] {DType.Q8_0, DType.Q4_0}) {
                Weight.Mapped w = WeightKernelsTest.mapped(arena, x, t, 2, 128);
                float[] v = new float[VectorWeights.L];
                for (int e = 0; e + VectorWeights.L <= 256; e += 3) {   // aligned and unaligned starts
                    VectorWeights.load(w, e).intoArray(v, 0);
                    for (int i = 0; i < v.length; i++) assertThat(v[i]).as(t + " element " + (e + i)).isEqualTo(w.at(e + i));
                }
                for (int c0 = 0; c0 < 128; c0 += 13) {                       // row segments starting anywhere in a block
                    int n = Math.min(45, 128 - c0);
                    float[] row = new float[n];
                    w.row(1, c0, n, row, 0);
                    for (int i = 0; i < n; i++) assertThat(row[i]).as(t + " row 1 column " + (c0 + i)).isEqualTo(w.get(1, c0 + i));
                }
            }
        }
    }

    @Test
    void quantizedProductsMatchTheScalarTwin() {
        Random r = new Random(9);
        int[][] shapes = {{1, 64, 29}, {1, 96, 130}, {3, 32, 45}, {5, 160, 33}, {1, 800, 1100}, {40, 64, 70}};
        try (Arena arena = Arena.ofShared()) {
            for (int[] s : shapes) {
                int m = s[0], k = s[1], n = s[2];
                float[] a = WeightKernelsTest.random(r, m * k);
                for (boolean transposed : new boolean[] {true, false}) {
                    int rows = transposed ? n : k, cols = transposed ? k : n;
                    if (cols % 32 != 0) continue;
                    float[] wv = WeightKernelsTest.random(r, k * n);
                    for (DType t : new DType[] {DType.Q8_0, DType.Q4_0}) {
                        Weight.Mapped w = WeightKernelsTest.mapped(arena, wv, t, rows, cols);
                        float[] expected = new float[m * n], actual = new float[m * n];
                        WeightKernelsTest.SCALAR.matmul(a, 0, w, transposed, expected, 0, m, false);
                        WeightKernelsTest.VECTOR.matmul(a, 0, w, transposed, actual, 0, m, false);
                        for (int i = 0; i < expected.length; i++) {
                            assertThat(actual[i]).as(t + " " + (transposed ? "NT" : "NN") + " " + m + "x" + k + "x" + n + " at " + i)
                                    .isCloseTo(expected[i], org.assertj.core.data.Offset.offset(1e-4f * (1 + Math.abs(expected[i])) * (float) Math.sqrt(k)));
                        }
                    }
                }
            }
        }
    }

    @Test
    void aRowGivesTheSameBitsInAGroupOfFourAsAlone() {
        // Matrix-vector products take quantized rows four at a time; a row alone (or in the tail)
        // must come out the same, or batched and single decoding would differ.
        Random r = new Random(23);
        try (Arena arena = Arena.ofShared()) {
            int rows = 7, k = 32 * 9;
            float[] x = WeightKernelsTest.random(r, k);
            for (DType t : new DType[] {DType.Q8_0, DType.Q4_0}) {
                Weight.Mapped w = WeightKernelsTest.mapped(arena, WeightKernelsTest.random(r, rows * k), t, rows, k);
                float[] all = new float[rows];
                WeightKernelsTest.VECTOR.matmul(x, 0, w, true, all, 0, 1, false);
                long rowBytes = t.byteSize(k);
                for (int row = 0; row < rows; row++) {
                    Weight.Mapped one = new Weight.Mapped(w.seg().asSlice(row * rowBytes, rowBytes), t, 1, k);
                    float[] alone = new float[1];
                    WeightKernelsTest.VECTOR.matmul(x, 0, one, true, alone, 0, 1, false);
                    assertThat(Float.floatToRawIntBits(alone[0])).as(t + " row " + row).isEqualTo(Float.floatToRawIntBits(all[row]));
                }
            }
        }
    }

    @Test
    void packingRowsInLanesGivesWeightRowsValues() {
        Random r = new Random(17);
        try (Arena arena = Arena.ofShared()) {
            for (DType t : DType.values()) {
                int rows = 3, cols = t.kQuant() ? 512 : 32 * 13;
                Weight.Mapped w = WeightKernelsTest.mapped(arena, WeightKernelsTest.random(r, rows * cols), t, rows, cols);
                for (int[] seg : new int[][] {{0, cols}, {32, 96}, {64, 384}, {5, 37}, {1, 1}}) {
                    if (t.quantized() && (seg[0] + seg[1] > cols)) continue;
                    int c0 = seg[0], n = Math.min(seg[1], cols - c0);
                    float[] expected = new float[n], actual = new float[n];
                    w.row(2, c0, n, expected, 0);
                    VectorWeights.row(w, 2, c0, n, actual);
                    VectorKernelsTest.assertSameBits(t + " row 2 [" + c0 + ", " + (c0 + n) + ")", expected, actual);
                }
            }
        }
    }

    @Test
    void activationRoundingInLanesIsTheScalarSpecificationBitForBit() {
        Random r = new Random(21);
        int k = 32 * 40;
        float[] x = new float[k];
        for (int i = 0; i < k; i++) x[i] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(9) - 4));
        for (int j = 0; j < 32; j++) x[32 + j] = 0f;                       // an all-zero block: d = 0, q = 0
        for (int j = 64; j < 96; j++) x[j] = j % 3 - 1;
        x[64] = 127f;                                                       // d = 1: exact halves round away from zero
        float[] halves = {2.5f, -2.5f, 0.5f, -0.5f, 0.49999997f, -0.49999997f, 126.5f, -126.5f, 1.5f, -1.5f};
        System.arraycopy(halves, 0, x, 65, halves.length);
        short[] q = new short[k], qv = new short[k];
        float[] d = new float[k / 32], dv = new float[k / 32];
        Quant.roundActivation(x, 0, k, q, 0, d, 0);
        VectorWeights.roundActivation(x, 0, k, qv, 0, dv, 0);
        assertThat(qv).isEqualTo(q);
        assertThat(dv).isEqualTo(d);
        // The prompt path's rows, rounded in lanes straight to q·d floats (three rows of x)
        float[] rows = new float[3 * k];
        for (int i = 0; i < 3; i++) System.arraycopy(x, 0, rows, i * k, k);
        float[] xr = VectorWeights.roundedRows(DType.Q8_0, 2, rows, 0, 3, k);
        for (int i = 0; i < 3 * k; i++) {
            assertThat(Float.floatToRawIntBits(xr[i])).as("rounded row element %d", i).isEqualTo(Float.floatToRawIntBits(q[i % k] * d[(i % k) / 32]));
        }
        assertThat(new short[] {q[65], q[66], q[67], q[68], q[69], q[70], q[71], q[72], q[73], q[74]})
                .containsExactly((short) 3, (short) -3, (short) 1, (short) -1, (short) 0, (short) 0, (short) 127, (short) -127, (short) 2, (short) -2);
        for (int i = 0; i < k; i++) {
            assertThat(Math.abs(q[i])).isLessThanOrEqualTo((short) 127);
            // half a step, plus 127 steps times f16's relative rounding of d (2^-11)
            assertThat(q[i] * d[i / 32]).isCloseTo(x[i], org.assertj.core.data.Offset.offset(d[i / 32] * (0.5001f + 127f / 2048f)));
            assertThat(Float.float16ToFloat(Float.floatToFloat16(d[i / 32]))).as("d is an f16 value").isEqualTo(d[i / 32]);
        }
    }

    @Test
    void blockScalesConvertSubnormalsAndSpecialValuesAsFloat16ToFloat() {
        // The products convert eight f16 block scales at a time in lanes (BlockScales); each row
        // here has one odd scale among ordinary ones, in the lanes' part (block 2) or the tail (block 9).
        Random r = new Random(11);
        short[] odd = {(short) 0x0001, (short) 0x83ff, (short) 0x0400, (short) 0xfbff, (short) 0x7c00, (short) 0xfc00, (short) 0x7e00, 0};
        try (Arena arena = Arena.ofShared()) {
            for (DType t : new DType[] {DType.Q8_0, DType.Q4_0}) {
                int n = 2 * odd.length, k = 32 * 10, nb = 10;
                Weight.Mapped w = WeightKernelsTest.mapped(arena, WeightKernelsTest.random(r, n * k), t, n, k);
                for (int row = 0; row < n; row++) {
                    w.seg().set(Weight.Mapped.H, (long) (row * nb + (row < odd.length ? 2 : 9)) * t.blockBytes, odd[row % odd.length]);
                }
                float[] a = WeightKernelsTest.random(r, k), c = new float[n], cs = new float[n];
                WeightKernelsTest.VECTOR.matmul(a, 0, w, true, c, 0, 1, false);
                WeightKernelsTest.SCALAR.matmul(a, 0, w, true, cs, 0, 1, false);
                for (int row = 0; row < n; row++) {
                    String what = t + " row " + row + " with scale 0x" + Integer.toHexString(odd[row % odd.length] & 0xffff);
                    if (Float.isFinite(cs[row])) {
                        assertThat(c[row]).as(what).isCloseTo(cs[row], org.assertj.core.data.Offset.offset(1e-4f * (1 + Math.abs(cs[row]))));
                    } else {
                        // ±inf or NaN as the scalar twin (an infinite scale can give NaN where the twin's sum gives inf:
                        // Q4_0's −8 is taken off as a separate term)
                        assertThat(Float.isFinite(c[row])).as(what).isFalse();
                        if (Float.isNaN(cs[row])) assertThat(c[row]).as(what).isNaN();
                    }
                }
            }
        }
    }

    @Test
    void quantizedRowsAreIntegerDotProductsWithTheRoundedActivation() {
        // Against a hand computation in double: Σ_blocks d_w·d_x·Σ q_w·q_x, q_w including Q8_0's
        // -128 (not written by ggml's quantizer, legal in a file) and every Q4_0 nibble.
        Random r = new Random(5);
        try (Arena arena = Arena.ofShared()) {
            for (int[] s : new int[][] {{1, 32}, {3, 96}, {5, 800}, {33, 64}, {2, 2048}}) {
                int n = s[0], k = s[1], nb = k / 32;
                for (DType t : new DType[] {DType.Q8_0, DType.Q4_0}) {
                    byte[] bytes = new byte[Math.toIntExact(t.byteSize((long) n * k))];
                    r.nextBytes(bytes);
                    for (int b = 0; b < n * nb; b++) {            // finite, modest f16 scales
                        short h = Float.floatToFloat16((float) (r.nextGaussian() * 0.01));
                        bytes[b * t.blockBytes] = (byte) h;
                        bytes[b * t.blockBytes + 1] = (byte) (h >> 8);
                    }
                    MemorySegment seg = arena.allocate(bytes.length + 1).asSlice(1);
                    MemorySegment.copy(MemorySegment.ofArray(bytes), 0, seg, 0, bytes.length);
                    Weight.Mapped w = new Weight.Mapped(seg, t, n, k);
                    for (int m = 1; m <= 3; m += 2) {
                        float[] a = WeightKernelsTest.random(r, m * k), c = new float[m * n], cs = new float[m * n];
                        WeightKernelsTest.VECTOR.matmul(a, 0, w, true, c, 0, m, false);
                        WeightKernelsTest.SCALAR.matmul(a, 0, w, true, cs, 0, m, false);
                        assertIntegerBlockSums(t + " " + m + "x" + k + "x" + n, t, bytes, a, c, m, n, k);
                        assertIntegerBlockSums("scalar " + t + " " + m + "x" + k + "x" + n, t, bytes, a, cs, m, n, k);
                    }
                }
            }
        }
    }

    /**
     * c (m, n) = x·Wᵀ for W's bytes (n rows of k, Q8_0 or Q4_0) against the hand computation in
     * double: Σ_blocks d_w·d_x·Σ q_w·q_x with x rounded by Quant.roundActivation, within 1e-6 of
     * Σ|terms| (the kernels' lanes hold partial sums).
     */
    static void assertIntegerBlockSums(String what, DType t, byte[] bytes, float[] a, float[] c, int m, int n, int k) {
        int nb = k / 32;
        for (int i = 0; i < m; i++) {
            short[] qx = new short[k];
            float[] dx = new float[nb];
            Quant.roundActivation(a, i * k, k, qx, 0, dx, 0);
            for (int row = 0; row < n; row++) {
                double exact = 0, size = 0;
                for (int b = 0; b < nb; b++) {
                    long isum = 0, abs = 0;
                    int at = (row * nb + b) * t.blockBytes;
                    for (int j = 0; j < 32; j++) {
                        int qw = t == DType.Q8_0 ? bytes[at + 2 + j]
                                : (j < 16 ? bytes[at + 2 + j] & 15 : (bytes[at + 2 + j - 16] & 0xFF) >>> 4) - 8;
                        isum += (long) qw * qx[b * 32 + j];
                        abs += Math.abs((long) qw * qx[b * 32 + j]);
                    }
                    double sc = (double) Float.float16ToFloat((short) ((bytes[at] & 0xFF) | bytes[at + 1] << 8)) * dx[b];
                    exact += sc * isum;
                    size += Math.abs(sc) * abs;
                }
                assertThat((double) c[i * n + row]).as(what + " row " + i + " column " + row).isCloseTo(exact, org.assertj.core.data.Offset.offset(1e-6 * size + 1e-30));
            }
        }
    }

    @Test
    void rowsMustHoldWholeBlocks() {
        assertThatThrownBy(() -> new Weight.Mapped(MemorySegment.ofArray(new byte[34]), DType.Q8_0, 2, 16)).hasMessageContaining("whole 32-element blocks");
        assertThatThrownBy(() -> new Weight.Mapped(MemorySegment.ofArray(new byte[35]), DType.Q8_0, 1, 32)).hasMessageContaining("needs 34 bytes");
        assertThatThrownBy(() -> Quant.quantize(DType.Q4_0, new float[33])).hasMessageContaining("whole number");
    }
}
