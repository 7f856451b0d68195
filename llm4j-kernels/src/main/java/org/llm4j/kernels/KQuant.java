// ggml's K-quants Q4_K and Q6_K and the Q8_K activation blocks they are multiplied with: the scalar specification.
package org.llm4j.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Super-blocks of 256 values, as ggml-common.h lays them out:
 * <ul>
 * <li>Q4_K (144 bytes): f16 d, f16 dmin, 12 bytes holding eight 6-bit scales and eight 6-bit mins,
 *     128 bytes of nibbles. Sub-block c (32 values) has value d·sc_c·q − dmin·m_c; bytes 32p..32p+31
 *     hold sub-block 2p in their low nibbles and 2p+1 in their high nibbles.</li>
 * <li>Q6_K (210 bytes): ql[128] (low 4 bits), qh[64] (high 2 bits), int8 scales[16], f16 d. Each
 *     128-value half n uses ql[64n..], qh[32n..], scales[8n..]; value 32·quarter + l of the half is
 *     (low | high &lt;&lt; 4) − 32 times d·scale[8n + 2·quarter + l/16], with low from ql[l] (quarters 0, 2)
 *     or ql[l + 32] (1, 3), the low nibble for quarters 0-1 and the high one for 2-3, and high the
 *     bits 2·quarter of qh[l].</li>
 * <li>Q8_K (the activation side, never stored in files): float d, int8 q[256], q = min(127,
 *     nearest(x·(−127/max))) where max is the value of largest magnitude, d = 1/(−127/max).</li>
 * </ul>
 * Quantization follows ggml's reference (quantize_row_q4_K_ref, quantize_row_q6_K_ref) operation
 * for operation, so files written here equal llama.cpp's; KQuantTest holds fixtures made by
 * llama.cpp's own library (tools/kquants).
 */
public final class KQuant {
    private KQuant() {}

    public static final int QK = 256;
    static final int Q4K_BYTES = 144, Q6K_BYTES = 210;

    private static float half(MemorySegment seg, long at) {
        return Float.float16ToFloat(seg.get(Weight.Mapped.H, at));
    }

    private static int u8(MemorySegment seg, long at) {
        return seg.get(ValueLayout.JAVA_BYTE, at) & 0xFF;
    }

    /** Scale (low 16 bits) and min (high 16 bits) of Q4_K sub-block c from the 12 scale bytes at s. */
    static int scaleMin(MemorySegment seg, long s, int c) {
        int sc, m;
        if (c < 4) {
            sc = u8(seg, s + c) & 63;
            m = u8(seg, s + c + 4) & 63;
        } else {
            sc = (u8(seg, s + c + 4) & 0xF) | (u8(seg, s + c - 4) >>> 6) << 4;
            m = (u8(seg, s + c + 4) >>> 4) | (u8(seg, s + c) >>> 6) << 4;
        }
        return sc | m << 16;
    }

    /** Element i (flat index) of a Q4_K or Q6_K matrix. */
    static float at(MemorySegment seg, DType type, long i) {
        long b = (i >>> 8) * type.blockBytes;
        int j = (int) (i & 255);
        if (type == DType.Q4_K) {
            int c = j >>> 5, sm = scaleMin(seg, b + 4, c);
            int q = u8(seg, b + 16 + (c >>> 1) * 32 + (j & 31));
            q = (c & 1) == 0 ? q & 15 : q >>> 4;
            return half(seg, b) * (sm & 0xFFFF) * q - half(seg, b + 2) * (sm >>> 16);
        }
        int n = j >>> 7, quarter = (j >>> 5) & 3, l = j & 31;
        int low = u8(seg, b + 64L * n + (quarter & 1) * 32 + l) >>> ((quarter >>> 1) * 4) & 15;
        int high = u8(seg, b + 128 + 32L * n + l) >>> (2 * quarter) & 3;
        int sc = seg.get(ValueLayout.JAVA_BYTE, b + 192 + 8L * n + 2 * quarter + l / 16);
        return half(seg, b + 208) * sc * ((low | high << 4) - 32);
    }

    /** Elements [i, i + n) of a Q4_K or Q6_K matrix into dst[dOff..]: whole 32-value chunks decoded with their scales read once. */
    static void row(MemorySegment seg, DType type, long i, int n, float[] dst, int dOff) {
        float[] chunk = null;
        int k = 0;
        while (k < n) {
            long e = i + k;
            int in = (int) (e & 31), cnt = Math.min(32 - in, n - k);
            if (in == 0 && cnt == 32) {
                chunk32(seg, type, e, dst, dOff + k);
            } else {
                if (chunk == null) chunk = new float[32];
                chunk32(seg, type, e - in, chunk, 0);
                System.arraycopy(chunk, in, dst, dOff + k, cnt);
            }
            k += cnt;
        }
    }

    // The 32 values starting at flat index e (a multiple of 32) into dst[dOff..]: the values at(),
    // the same operations, with the chunk's scales decoded once.
    static void chunk32(MemorySegment seg, DType type, long e, float[] dst, int dOff) {
        long b = (e >>> 8) * type.blockBytes;
        int c = (int) (e >>> 5) & 7;
        if (type == DType.Q4_K) {
            int sm = scaleMin(seg, b + 4, c);
            float d = half(seg, b) * (sm & 0xFFFF), m = half(seg, b + 2) * (sm >>> 16);
            long q = b + 16 + (c >>> 1) * 32;
            int shift = (c & 1) * 4;
            for (int l = 0; l < 32; l++) dst[dOff + l] = d * (u8(seg, q + l) >>> shift & 15) - m;
            return;
        }
        int n = c >>> 2, quarter = c & 3;
        long ql = b + 64L * n + (quarter & 1) * 32, qh = b + 128 + 32L * n;
        int lowShift = (quarter >>> 1) * 4, highShift = 2 * quarter;
        float d = half(seg, b + 208);
        for (int h = 0; h < 2; h++) {
            float ds = d * seg.get(ValueLayout.JAVA_BYTE, b + 192 + 8L * n + 2 * quarter + h);
            for (int l = 16 * h; l < 16 * h + 16; l++) {
                int q = (u8(seg, ql + l) >>> lowShift & 15) | (u8(seg, qh + l) >>> highShift & 3) << 4;
                dst[dOff + l] = ds * (q - 32);
            }
        }
    }

    // ---- the activation side: Q8_K ----

    /** ggml's nearest_int: round half to even through the float addition of 1.5·2^23 (|v| &lt;= 2^22). */
    static int nearest(float v) {
        return (Float.floatToRawIntBits(v + 12582912f) & 0x7fffff) - 0x400000;
    }

    /**
     * x[off..off + k) rounded to Q8_K blocks (k a multiple of 256): q[qOff..] the int8 values,
     * d[dOff..] one scale per block, sums[sOff..] the sum of each 16 q (k/16 of them), as
     * quantize_row_q8_K_ref. A block of zeros gets d = 0 and q = 0.
     */
    public static void roundActivation(float[] x, int off, int k, short[] q, int qOff, float[] d, int dOff, int[] sums, int sOff) {
        for (int b = 0; b < k / QK; b++) {
            int o = off + b * QK, qo = qOff + b * QK;
            float max = 0f, amax = 0f;
            for (int j = 0; j < QK; j++) {
                float ax = Math.abs(x[o + j]);
                if (ax > amax) { amax = ax; max = x[o + j]; }
            }
            if (amax == 0f) {
                java.util.Arrays.fill(q, qo, qo + QK, (short) 0);
                java.util.Arrays.fill(sums, sOff + b * 16, sOff + b * 16 + 16, 0);
                d[dOff + b] = 0f;
                continue;
            }
            float iscale = -127f / max;
            for (int j = 0; j < QK; j++) q[qo + j] = (short) Math.min(127, nearest(iscale * x[o + j]));
            for (int g = 0; g < 16; g++) {
                int s = 0;
                for (int j = 0; j < 16; j++) s += q[qo + 16 * g + j];
                sums[sOff + b * 16 + g] = s;
            }
            d[dOff + b] = 1f / iscale;
        }
    }

    /** x[off..off + k) replaced by its Q8_K rounding q·d, into dst[dOff..]. */
    public static void roundActivation(float[] x, int off, int k, float[] dst, int dOff) {
        short[] q = new short[QK];
        float[] d = new float[1];
        int[] s = new int[16];
        for (int b = 0; b < k / QK; b++) {
            roundActivation(x, off + b * QK, QK, q, 0, d, 0, s, 0);
            for (int j = 0; j < QK; j++) dst[dOff + b * QK + j] = q[j] * d[0];
        }
    }

    // ---- quantization (ggml's reference algorithms) ----

    /** x (a whole number of 256-value super-blocks) as Q4_K or Q6_K, super-blocks spread over the cores (each is independent). */
    static byte[] quantize(DType type, float[] x) {
        byte[] out = new byte[Math.toIntExact(type.byteSize(x.length))];
        int blocks = x.length / QK, per = 256;
        java.util.stream.IntStream.range(0, (blocks + per - 1) / per).parallel().forEach(task -> {
            for (int b = task * per; b < Math.min(blocks, (task + 1) * per); b++) {
                if (type == DType.Q4_K) q4K(x, b * QK, out, b * Q4K_BYTES);
                else q6K(x, b * QK, out, b * Q6K_BYTES);
            }
        });
        return out;
    }

    private static void putHalf(byte[] out, int at, float v) {
        short h = Float.floatToFloat16(v);
        out[at] = (byte) h;
        out[at + 1] = (byte) (h >> 8);
    }

    private static float getHalf(byte[] out, int at) {
        return Float.float16ToFloat((short) ((out[at] & 0xFF) | out[at + 1] << 8));
    }

    private static void q4K(float[] x, int off, byte[] out, int at) {
        int[] levels = new int[QK], aux = new int[32];
        float[] weights = new float[32], scales = new float[8], mins = new float[8], min = new float[1];
        float maxScale = 0f, maxMin = 0f;
        for (int c = 0; c < 8; c++) {
            int o = off + 32 * c;
            float sumX2 = 0f;
            for (int l = 0; l < 32; l++) sumX2 += x[o + l] * x[o + l];
            float avX = (float) Math.sqrt(sumX2 / 32);
            for (int l = 0; l < 32; l++) weights[l] = avX + Math.abs(x[o + l]);
            scales[c] = fitScaleMin(x, o, weights, levels, 32 * c, min, aux);
            mins[c] = min[0];
            maxScale = Math.max(maxScale, scales[c]);
            maxMin = Math.max(maxMin, mins[c]);
        }
        float invScale = maxScale > 0 ? 63f / maxScale : 0f, invMin = maxMin > 0 ? 63f / maxMin : 0f;
        int s = at + 4;
        for (int c = 0; c < 8; c++) {
            int ls = Math.min(63, nearest(invScale * scales[c]) & 0xFF), lm = Math.min(63, nearest(invMin * mins[c]) & 0xFF);
            if (c < 4) {
                out[s + c] = (byte) ls;
                out[s + c + 4] = (byte) lm;
            } else {
                out[s + c + 4] = (byte) ((ls & 0xF) | (lm & 0xF) << 4);
                out[s + c - 4] |= (byte) ((ls >> 4) << 6);
                out[s + c] |= (byte) ((lm >> 4) << 6);
            }
        }
        putHalf(out, at, maxScale / 63f);
        putHalf(out, at + 2, maxMin / 63f);
        MemorySegment seg = MemorySegment.ofArray(out);
        for (int c = 0; c < 8; c++) {
            int sm = scaleMin(seg, s, c);
            float d = getHalf(out, at) * (sm & 0xFFFF);
            if (d == 0f) continue;
            float dm = getHalf(out, at + 2) * (sm >>> 16);
            for (int l = 0; l < 32; l++) levels[32 * c + l] = Math.clamp(nearest((x[off + 32 * c + l] + dm) / d), 0, 15);
        }
        for (int p = 0; p < 4; p++) {
            for (int l = 0; l < 32; l++) out[at + 16 + 32 * p + l] = (byte) (levels[64 * p + l] | levels[64 * p + 32 + l] << 4);
        }
    }

    // ggml's make_qkx2_quants for 32 values, 4 bits (levels 0..15), rmin −1, rdelta 0.1, 20 steps,
    // squared error: the scale and −min of x[o..o + 32) ≈ scale·level − min, levels into
    // levels[lOff..]; min[0] receives −min (≥ 0).
    private static float fitScaleMin(float[] x, int o, float[] w, int[] levels, int lOff, float[] minOut, int[] aux) {
        final int n = 32, nmax = 15;
        float min = x[o], max = x[o], sumW = w[0], sumX = sumW * x[o];
        for (int i = 1; i < n; i++) {
            if (x[o + i] < min) min = x[o + i];
            if (x[o + i] > max) max = x[o + i];
            sumW += w[i];
            sumX += w[i] * x[o + i];
        }
        if (min > 0) min = 0;
        if (max == min) {
            java.util.Arrays.fill(levels, lOff, lOff + n, 0);
            minOut[0] = -min;
            return 0f;
        }
        float iscale = nmax / (max - min), scale = 1 / iscale, best = 0f;
        for (int i = 0; i < n; i++) {
            int l = Math.clamp(nearest(iscale * (x[o + i] - min)), 0, nmax);
            levels[lOff + i] = l;
            float diff = scale * l + min - x[o + i];
            best += w[i] * (diff * diff);
        }
        for (int is = 0; is <= 20; is++) {
            iscale = (-1f + 0.1f * is + nmax) / (max - min);
            float sumL = 0, sumL2 = 0, sumXL = 0;
            for (int i = 0; i < n; i++) {
                int l = Math.clamp(nearest(iscale * (x[o + i] - min)), 0, nmax);
                aux[i] = l;
                sumL += w[i] * l;
                sumL2 += w[i] * l * l;
                sumXL += w[i] * l * x[o + i];
            }
            float det = sumW * sumL2 - sumL * sumL;
            if (det > 0) {
                float thisScale = (sumW * sumXL - sumX * sumL) / det, thisMin = (sumL2 * sumX - sumL * sumXL) / det;
                if (thisMin > 0) {
                    thisMin = 0;
                    thisScale = sumXL / sumL2;
                }
                float err = 0f;
                for (int i = 0; i < n; i++) {
                    float diff = thisScale * aux[i] + thisMin - x[o + i];
                    err += w[i] * (diff * diff);
                }
                if (err < best) {
                    System.arraycopy(aux, 0, levels, lOff, n);
                    best = err;
                    scale = thisScale;
                    min = thisMin;
                }
            }
        }
        minOut[0] = -min;
        return scale;
    }

    private static void q6K(float[] x, int off, byte[] out, int at) {
        int[] levels = new int[QK];
        float[] scales = new float[16];
        float maxScale = 0f, maxAbs = 0f;
        for (int g = 0; g < 16; g++) {
            scales[g] = fitScale(x, off + 16 * g, levels, 16 * g);
            if (Math.abs(scales[g]) > maxAbs) { maxAbs = Math.abs(scales[g]); maxScale = scales[g]; }
        }
        if (maxAbs < 1e-15f) return;   // all zero, d = 0
        float iscale = -128f / maxScale;
        putHalf(out, at + 208, 1 / iscale);
        for (int g = 0; g < 16; g++) out[at + 192 + g] = (byte) Math.min(127, nearest(iscale * scales[g]));
        float dAll = getHalf(out, at + 208);
        for (int g = 0; g < 16; g++) {
            float d = dAll * out[at + 192 + g];
            if (d == 0f) continue;
            for (int i = 0; i < 16; i++) levels[16 * g + i] = Math.clamp(nearest(x[off + 16 * g + i] / d), -32, 31) + 32;
        }
        for (int n = 0; n < 2; n++) {
            int ql = at + 64 * n, qh = at + 128 + 32 * n, j = 128 * n;
            for (int l = 0; l < 32; l++) {
                int q1 = levels[j + l], q2 = levels[j + l + 32], q3 = levels[j + l + 64], q4 = levels[j + l + 96];
                out[ql + l] = (byte) ((q1 & 0xF) | (q3 & 0xF) << 4);
                out[ql + l + 32] = (byte) ((q2 & 0xF) | (q4 & 0xF) << 4);
                out[qh + l] = (byte) ((q1 >> 4) | (q2 >> 4) << 2 | (q3 >> 4) << 4 | (q4 >> 4) << 6);
            }
        }
    }

    // ggml's make_qx_quants for 16 values, nmax 32 (levels −32..31 stored +32), weights x²: the
    // best of 19 scales near −32/max by weighted least squares.
    private static float fitScale(float[] x, int o, int[] levels, int lOff) {
        final int n = 16, nmax = 32;
        float max = 0f, amax = 0f;
        for (int i = 0; i < n; i++) {
            float ax = Math.abs(x[o + i]);
            if (ax > amax) { amax = ax; max = x[o + i]; }
        }
        if (amax < 1e-15f) {
            java.util.Arrays.fill(levels, lOff, lOff + n, 0);
            return 0f;
        }
        float iscale = -nmax / max, sumLX = 0f, sumL2 = 0f;
        for (int i = 0; i < n; i++) {
            int l = Math.clamp(nearest(iscale * x[o + i]), -nmax, nmax - 1);
            levels[lOff + i] = l + nmax;
            float w = x[o + i] * x[o + i];
            sumLX += w * x[o + i] * l;
            sumL2 += w * l * l;
        }
        float scale = sumL2 != 0f ? sumLX / sumL2 : 0f, best = scale * sumLX;
        for (int is = -9; is <= 9; is++) {
            if (is == 0) continue;
            iscale = -(nmax + 0.1f * is) / max;
            sumLX = 0f;
            sumL2 = 0f;
            for (int i = 0; i < n; i++) {
                int l = Math.clamp(nearest(iscale * x[o + i]), -nmax, nmax - 1);
                float w = x[o + i] * x[o + i];
                sumLX += w * x[o + i] * l;
                sumL2 += w * l * l;
            }
            if (sumL2 > 0 && sumLX * sumLX > best * sumL2) {
                for (int i = 0; i < n; i++) levels[lOff + i] = nmax + Math.clamp(nearest(iscale * x[o + i]), -nmax, nmax - 1);
                scale = sumLX / sumL2;
                best = scale * sumLX;
            }
        }
        return scale;
    }
}
