// ggml's block quantizations Q8_0 and Q4_0: the scalar specification of reading and writing them.
package org.llm4j.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Block layouts as ggml's block_q8_0 and block_q4_0 (ggml-common.h), 32 values per block:
 * Q8_0 = f16 d, int8 q[32], value j = q[j]·d; Q4_0 = f16 d, uint8 qs[16], value j = ((qs[j] &amp; 15) − 8)·d
 * for j &lt; 16 and ((qs[j − 16] &gt;&gt; 4) − 8)·d above. Quantization follows ggml's reference
 * (quantize_row_q8_0_ref, quantize_row_q4_0_ref), so files written here match llama.cpp's.
 */
public final class Quant {
    private Quant() {}

    public static final int BLOCK = 32;

    /** Element i (flat index) of a Q8_0 matrix. */
    static float q8_0(MemorySegment seg, long i) {
        long b = (i >>> 5) * 34;
        float d = Float.float16ToFloat(seg.get(Weight.Mapped.H, b));
        return seg.get(ValueLayout.JAVA_BYTE, b + 2 + (i & 31)) * d;
    }

    /** Element i (flat index) of a Q4_0 matrix. */
    static float q4_0(MemorySegment seg, long i) {
        long b = (i >>> 5) * 18;
        float d = Float.float16ToFloat(seg.get(Weight.Mapped.H, b));
        int j = (int) (i & 31);
        int q = seg.get(ValueLayout.JAVA_BYTE, b + 2 + (j & 15)) & 0xFF;
        return ((j < 16 ? q & 15 : q >>> 4) - 8) * d;
    }

    /** Elements [i, i + n) of a Q8_0 or Q4_0 matrix into dst[dOff..]: each block's scale read once (GEMM packing, embedding rows). */
    static void row(MemorySegment seg, DType type, long i, int n, float[] dst, int dOff) {
        int k = 0;
        while (k < n) {
            long e = i + k, b = (e >>> 5) * type.blockBytes;
            float d = Float.float16ToFloat(seg.get(Weight.Mapped.H, b));
            int j = (int) (e & 31), end = Math.min(32, j + n - k);
            for (; j < end; j++, k++) {
                float q;
                if (type == DType.Q8_0) {
                    q = seg.get(ValueLayout.JAVA_BYTE, b + 2 + j);
                } else {
                    int v = seg.get(ValueLayout.JAVA_BYTE, b + 2 + (j & 15)) & 0xFF;
                    q = (j < 16 ? v & 15 : v >>> 4) - 8;
                }
                dst[dOff + k] = q * d;
            }
        }
    }

    /**
     * The activation side of a product with a quantized weight (Q8_0, Q4_0) stored (N, K), as
     * llama.cpp's: x[off..off + k) rounded per 32-value block to q·d with q = roundf(x·(1/d)) in
     * [−127, 127] for d = max|x|/127, and d then stored rounded to f16 (as ggml's block_q8_0 holds
     * it: with the float32 d, greedy tokens of Q8_0/Q4_0 files drifted from llama.cpp's). Writes q
     * to q[qOff..] and the block scales to d[dOff..]. The specification that the vector twin's
     * lane version must match bit for bit.
     */
    public static void roundActivation(float[] x, int off, int k, short[] q, int qOff, float[] d, int dOff) {
        for (int b = 0; b < k / BLOCK; b++) {
            int o = off + b * BLOCK;
            float amax = 0f;
            for (int j = 0; j < BLOCK; j++) amax = Math.max(amax, Math.abs(x[o + j]));
            float db = amax / 127f, id = db != 0f ? 1f / db : 0f;
            d[dOff + b] = Float.float16ToFloat(Float.floatToFloat16(db));
            for (int j = 0; j < BLOCK; j++) {
                float v = x[o + j] * id;
                q[qOff + b * BLOCK + j] = (short) (v < 0 ? -Math.round(-v) : Math.round(v));
            }
        }
    }

    /** x[off..off + k) rounded as llama.cpp rounds the activation for a weight of the given type: Q8_K blocks for Q4_K/Q6_K, else Q8_0 blocks. */
    public static void roundActivation(DType weight, float[] x, int off, int k, float[] dst, int dOff) {
        if (weight.kQuant()) KQuant.roundActivation(x, off, k, dst, dOff);
        else roundActivation(x, off, k, dst, dOff);
    }

    /** x[off..off + k) replaced by its {@link #roundActivation} rounding q·d, into dst[dOff..]. */
    public static void roundActivation(float[] x, int off, int k, float[] dst, int dOff) {
        short[] q = new short[BLOCK];
        float[] d = new float[1];
        for (int b = 0; b < k / BLOCK; b++) {
            roundActivation(x, off + b * BLOCK, BLOCK, q, 0, d, 0);
            for (int j = 0; j < BLOCK; j++) dst[dOff + b * BLOCK + j] = q[j] * d[0];
        }
    }

    /**
     * x as the little-endian bytes of a matrix of the given type: F32, F16 (round to nearest), BF16
     * (truncated), or quantized blocks (quantize).
     */
    static byte[] encode(DType type, float[] x) {
        if (type.quantized()) return quantize(type, x);
        byte[] out = new byte[Math.toIntExact(type.byteSize(x.length))];
        MemorySegment dst = MemorySegment.ofArray(out);
        for (int i = 0; i < x.length; i++) {
            switch (type) {
                case F32 -> dst.set(Weight.Mapped.F, 4L * i, x[i]);
                case F16 -> dst.set(Weight.Mapped.H, 2L * i, Float.floatToFloat16(x[i]));
                case BF16 -> dst.set(Weight.Mapped.H, 2L * i, (short) (Float.floatToRawIntBits(x[i]) >>> 16));
                default -> throw new AssertionError(type);
            }
        }
        return out;
    }

    /** x (a whole number of blocks) quantized to type's blocks. */
    public static byte[] quantize(DType type, float[] x) {
        if (type.kQuant()) return KQuant.quantize(type, x);
        byte[] out = new byte[Math.toIntExact(type.byteSize(x.length))];
        MemorySegment dst = MemorySegment.ofArray(out);
        for (int b = 0; b < x.length / BLOCK; b++) {
            switch (type) {
                case Q8_0 -> q8_0Block(x, b * BLOCK, dst, b * 34L);
                case Q4_0 -> q4_0Block(x, b * BLOCK, dst, b * 18L);
                case F32, F16, BF16, Q4_K, Q6_K -> throw new IllegalArgumentException(type + " is not a block quantization");
            }
        }
        return out;
    }

    // d = max|x|/127, q = round(x/d).
    private static void q8_0Block(float[] x, int off, MemorySegment dst, long at) {
        float amax = 0f;
        for (int j = 0; j < BLOCK; j++) amax = Math.max(amax, Math.abs(x[off + j]));
        float d = amax / 127f, id = d != 0f ? 1f / d : 0f;
        dst.set(Weight.Mapped.H, at, Float.floatToFloat16(d));
        for (int j = 0; j < BLOCK; j++) {
            float v = x[off + j] * id;
            dst.set(ValueLayout.JAVA_BYTE, at + 2 + j, (byte) (v < 0 ? -Math.round(-v) : Math.round(v))); // C roundf: halves away from zero
        }
    }

    // d = (the value of largest magnitude, with its sign) / −8, q = min(15, trunc(x/d + 8.5)).
    private static void q4_0Block(float[] x, int off, MemorySegment dst, long at) {
        float amax = 0f, max = 0f;
        for (int j = 0; j < BLOCK; j++) {
            float v = x[off + j];
            if (Math.abs(v) > amax) { amax = Math.abs(v); max = v; }
        }
        float d = max / -8f, id = d != 0f ? 1f / d : 0f;
        dst.set(Weight.Mapped.H, at, Float.floatToFloat16(d));
        for (int j = 0; j < BLOCK / 2; j++) {
            int lo = Math.min(15, (byte) (x[off + j] * id + 8.5f)), hi = Math.min(15, (byte) (x[off + j + 16] * id + 8.5f));
            dst.set(ValueLayout.JAVA_BYTE, at + 2 + j, (byte) (lo | hi << 4));
        }
    }
}
