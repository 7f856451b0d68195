// The block scales of a Q8_0/Q4_0/Q4_K matrix copied out of their blocks into contiguous arrays.
package org.llm4j.kernels;

import java.lang.foreign.MemorySegment;

/**
 * A Q8_0 or Q4_0 block keeps its f16 scale beside its 32 values (34 or 18 bytes), so a product
 * reading the scales in place does a scalar 16-bit load and conversion per block; with the scales
 * contiguous, eight of them convert in one lane operation. The copy costs 2 bytes per 32 weights
 * (a 1B-parameter model: ~53 MB, against ~480 MB of Q4_0 blocks), made once per matrix on its first
 * matrix-vector product and kept in the Weight.Mapped itself, so it lives and dies with the model.
 */
final class BlockScales {
    private BlockScales() {}

    /**
     * h[r·(cols/32) + b] = the f16 bits of block b of row r; special when some scale is infinite or
     * NaN (exponent bits all ones), which the products then convert one by one.
     */
    record Scales(short[] h, boolean special, byte[] scaleMin, float[] dMin) {}

    static Scales of(Weight.Mapped w, int threads) {
        Scales s = w.blockScales;
        if (s == null && w.type() == DType.Q4_K) {
            w.blockScales = s = q4k(w, threads);
        } else if (s == null) {
            w.blockScales = s = copy(w, threads);   // two threads may both copy: the same values
        }
        return s;
    }

    /**
     * Q4_K keeps a super-block's eight 6-bit scales and eight 6-bit mins packed in 12 bytes and its
     * d, dmin as f16: decoded once here, scaleMin[16·g ..+8) = the scales and [16·g + 8 ..+8) = the
     * mins of super-block g (= r·(cols/256) + sb), dMin[2·g], dMin[2·g + 1] = d, dmin as float.
     * 24 bytes per 256 weights beside the 144 of the block (a 1B Q4_K_M model: ~80 MB).
     */
    private static Scales q4k(Weight.Mapped w, int threads) {
        int nsb = w.cols() / 256;
        long count = (long) w.rows() * nsb;
        if (16 * count > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("a (" + w.rows() + ", " + w.cols() + ") Q4_K matrix has more than 2^27 super-blocks");
        }
        byte[] sm = new byte[(int) (16 * count)];
        float[] dm = new float[(int) (2 * count)];
        MemorySegment seg = w.seg();
        Parallel.forRange(threads, w.rows(), 1, Math.max(1, (1 << 13) / Math.max(1, nsb)), (ci, r0, r1) -> {
            for (int g = r0 * nsb; g < r1 * nsb; g++) {
                long at = (long) g * 144;
                dm[2 * g] = Float.float16ToFloat(seg.get(Weight.Mapped.H, at));
                dm[2 * g + 1] = Float.float16ToFloat(seg.get(Weight.Mapped.H, at + 2));
                for (int c = 0; c < 8; c++) {
                    int v = KQuant.scaleMin(seg, at + 4, c);
                    sm[16 * g + c] = (byte) (v & 0xFFFF);
                    sm[16 * g + 8 + c] = (byte) (v >>> 16);
                }
            }
        });
        return new Scales(null, false, sm, dm);
    }

    private static Scales copy(Weight.Mapped w, int threads) {
        DType type = w.type();
        if (type != DType.Q8_0 && type != DType.Q4_0) throw new IllegalArgumentException("block scales of a " + type + " matrix: Q8_0 and Q4_0 only");
        int nb = w.cols() / 32;
        long count = (long) w.rows() * nb;
        if (count > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("a (" + w.rows() + ", " + w.cols() + ") " + type + " matrix has more than 2^31 blocks");
        }
        short[] s = new short[(int) count];
        MemorySegment seg = w.seg();
        long bb = type.blockBytes;
        java.util.concurrent.atomic.AtomicBoolean special = new java.util.concurrent.atomic.AtomicBoolean();
        Parallel.forRange(threads, w.rows(), 1, Math.max(1, (1 << 16) / Math.max(1, nb)), (ci, r0, r1) -> {   // >= 64K blocks a task
            int exponents = 0;
            for (int r = r0; r < r1; r++) {
                long at = (long) r * nb * bb;
                for (int b = 0, o = r * nb; b < nb; b++, o++, at += bb) {
                    short h = seg.get(Weight.Mapped.H, at);
                    s[o] = h;
                    exponents |= (h & 0x7c00) == 0x7c00 ? 1 : 0;
                }
            }
            if (exponents != 0) special.set(true);
        });
        return new Scales(s, special.get(), null, null);
    }
}
