// Q8_0 / Q4_0 / Q4_K / Q6_K matrices rewritten in groups of 16 rows, so a product's lanes run over rows.
package org.llm4j.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A Q8_0 or Q4_0 row keeps its 32-value blocks one after the other, so a matrix-vector product
 * over it sums 32 products into one number per block: in 16-bit lanes that is a pair sum into
 * int32 lanes, a conversion and a scale for every 32 weights. With 16 rows side by side, lane i
 * holding row i's value of the same element, the products of an element for 16 rows come from one
 * load, and the int16 sums, their widening and the scales are paid once per block for all 16
 * rows: on this machine's Zen 3 core a 2048×2048 Q4_0 product in cache went from 11–13 to ~20
 * G weights/s (llama.cpp repacks Q4_0 the same way for AVX2: its "q4_0_8x8" buffers).
 *
 * <p>Layout: group g (rows 16g .. 16g + 15), block b (columns 32b ..) at (g·nb + b)·bytes with nb =
 * cols/32 and bytes = 16 × the block's size (Q4_0 288, Q8_0 544): first the 16 f16 scales as
 * eight little-endian ints, int j = scale(row j) | scale(row 8 + j) << 16; then 16 bytes per
 * chunk, byte i of a chunk belonging to row {@link #row}(i) = i/2 for even i, 8 + i/2 for odd i.
 * Q4_0 has 16 chunks, chunk e holding the block's byte e (element e in the low nibble, e + 16 in
 * the high one, as in the file); Q8_0 has 32, chunk e holding element e. The order of the rows
 * within a group is what the products' int32 view of 16-bit lanes gives: its low halves are rows
 * 0..7, its high halves rows 8..15, each run in order.
 *
 * <p>The K-quants go the same way per 256-value super-block (bytes = {@link #blockBytes}), with
 * the same row order and d (and Q4_K's dmin) as eight ints: Q4_K keeps its 6-bit scales and mins
 * unpacked, one byte per row and 32-value sub-group, then the 128 nibble bytes of the file; Q6_K
 * its int8 scales per 16-value group, then its low-bits and high-bits bytes in the order its
 * product reads them (see q4k and q6k below). On this core a 2048×2048 product went from ~12 to
 * ~18.5 G weights/s (Q4_K) and from ~7 to ~8.8 (Q6_K).
 *
 * <p>The copy takes as many bytes as the matrix in the file (Q4_K: 64 more per 16 rows and
 * super-block, 2.8%) and is made on the matrix's first
 * product; from then on its products (decoding and prompt panels alike) read only the copy, so the
 * file's pages are not touched again and the OS may drop them. It is off the Java heap (it counts
 * against {@code -XX:MaxDirectMemorySize}, whose default is the heap's maximum); when it cannot
 * be allocated the matrix, and every matrix after it, is used in place as before, with a
 * one-line warning.
 * {@code -Dllm4j.interleave=false} keeps every matrix in place (the file's pages only).
 * Matrices whose rows are not a multiple of 16, or with an infinite or NaN block scale, stay in
 * place too.
 */
final class Interleaved {
    private Interleaved() {}

    static final boolean ENABLED = Boolean.parseBoolean(System.getProperty("llm4j.interleave", "true"));
    static final int ROWS = 16;
    // set when a copy could not be allocated: later matrices stay in place without trying (each
    // failed direct-memory reservation first waits for a garbage collection)
    private static volatile boolean exhausted;

    /** Row (0..15) of a group held by lane / byte i of a chunk. */
    static int row(int i) {
        return (i & 1) == 0 ? i >> 1 : 8 + (i >> 1);
    }

    /**
     * Bytes per (group, block): for Q8_0/Q4_0 32 of scales and 16 rows' quantized values; for a
     * Q4_K super-block of 256 values the unpacked scales ({@link #Q4K_VALUES} bytes) and 16 rows'
     * nibbles; for Q6_K as many as the file's 16 super-blocks.
     */
    static int blockBytes(DType type) {
        return type == DType.Q4_K ? Q4K_VALUES + ROWS * 128 : ROWS * type.blockBytes;
    }

    /** Bytes of one group (16 rows) of the copy. */
    static long groupBytes(Weight.Mapped w) {
        return (long) w.cols() / w.type().blockSize * blockBytes(w.type());
    }

    /** Where a Q4_K (group, super-block)'s nibbles start: after d, dmin (f16 ints), 8×16 scales and 8×16 mins. */
    static final int Q4K_VALUES = 64 + 2 * 8 * ROWS;
    /** Where a Q6_K (group, super-block)'s values start: after d and 16×16 scales. */
    static final int Q6K_VALUES = 32 + 16 * ROWS;

    /** Whether of() could give a copy for a matrix of this type and shape (before reading its scales). */
    static boolean eligible(Weight.Mapped w) {
        return ENABLED && !exhausted && VectorWeights.INT_DOT && (w.type() == DType.Q8_0 || w.type() == DType.Q4_0 || w.type() == DType.Q4_K || w.type() == DType.Q6_K)
                && w.rows() > 0 && w.rows() % ROWS == 0 && w.cols() > 0   // whole blocks: Weight.Mapped's constructor
                && groupBytes(w) <= Integer.MAX_VALUE - 8;   // a group fits a heap array (build)
    }

    /** The matrix's interleaved copy, made on first use; null where the matrix stays in place. */
    static MemorySegment of(Weight.Mapped w, int threads) {
        MemorySegment s = w.interleaved;
        if (s == null) {
            synchronized (w) {
                s = w.interleaved;
                if (s == null) w.interleaved = s = eligible(w) ? build(w, threads) : MemorySegment.NULL;
            }
        }
        return s == MemorySegment.NULL ? null : s;
    }

    /** The copy if of() has made one, else null; makes nothing. */
    static MemorySegment made(Weight.Mapped w) {
        MemorySegment s = w.interleaved;
        return s == MemorySegment.NULL ? null : s;
    }

    private static MemorySegment build(Weight.Mapped w, int threads) {
        DType type = w.type();
        int nb = w.cols() / type.blockSize, groups = w.rows() / ROWS, bb = type.blockBytes, gb = blockBytes(type);
        long bytes = (long) groups * nb * gb;
        MemorySegment dst;
        try {
            dst = Arena.ofAuto().allocate(bytes, 64);
        } catch (OutOfMemoryError e) {
            if (!exhausted) {
                exhausted = true;
                System.err.println("llm4j: no room for the interleaved copy of a (" + w.rows() + ", " + w.cols() + ") " + type
                        + " matrix (" + bytes + " bytes; -XX:MaxDirectMemorySize raises the limit): it and the matrices after it are used in place");
            }
            return MemorySegment.NULL;
        }
        MemorySegment src = w.seg();
        java.util.concurrent.atomic.AtomicBoolean special = new java.util.concurrent.atomic.AtomicBoolean();
        // A group's 16 rows are contiguous in the file, and so is its copy: each group goes
        // through two heap arrays (bulk copies in and out, the transposition between them in plain
        // array indexing: ~4x faster than byte-wise segment accesses)
        long groupBytes = (long) nb * gb, fileBytes = (long) ROWS * nb * bb;   // <= Integer.MAX_VALUE - 8 (eligible)
        Parallel.forRange(threads, groups, 1, Math.max(1, (1 << 12) / nb), (ci, g0, g1) -> {
            byte[] in = new byte[(int) fileBytes], out = new byte[(int) groupBytes];
            int exponents = 0;
            for (int g = g0; g < g1 && exponents == 0; g++) {
                MemorySegment.copy(src, ValueLayout.JAVA_BYTE, g * fileBytes, in, 0, in.length);
                exponents |= type == DType.Q4_K ? q4k(in, out, nb, src, g * fileBytes)
                        : type == DType.Q6_K ? q6k(in, out, nb) : blocks(in, out, nb, bb);
                MemorySegment.copy(out, 0, dst, ValueLayout.JAVA_BYTE, g * groupBytes, out.length);
            }
            if (exponents != 0) special.set(true);
        });
        return special.get() ? MemorySegment.NULL : dst;
    }

    // 1 if the high byte of a little-endian f16 has an all-ones exponent (infinite or NaN)
    private static int infOrNaN(byte high) {
        return (high & 0x7c) == 0x7c ? 1 : 0;
    }

    // One group of Q8_0/Q4_0 rows (in: the file's 16 rows of nb blocks of bb bytes) into out;
    // returns 1 if a scale is infinite or NaN. Layout: see the class comment.
    private static int blocks(byte[] in, byte[] out, int nb, int bb) {
        int exponents = 0, gb = ROWS * bb;
        for (int i = 0; i < ROWS; i++) {
            int r = row(i);
            for (int b = 0; b < nb; b++) {
                int from = (r * nb + b) * bb, to = b * gb;
                out[to + 2 * i] = in[from];
                out[to + 2 * i + 1] = in[from + 1];
                exponents |= infOrNaN(in[from + 1]);
                for (int e = 0; e < bb - 2; e++) out[to + 32 + 16 * e + i] = in[from + 2 + e];
            }
        }
        return exponents;
    }

    // One group of Q4_K rows (in: the file's 16 rows of nb super-blocks, at src[base..]) into
    // out; returns 1 if a d or dmin is infinite or NaN. Per super-block: d as eight ints (row j | row 8 + j << 16),
    // dmin the same at 32, the 6-bit scale of sub-group c (32 values) of row(i) at byte 64 + 16c + i,
    // its min at 192 + 16c + i, then the 128 nibble bytes p of each row at Q4K_VALUES + 16p + i (byte
    // p = 32j + l holding value 64j + l in the low nibble and 64j + 32 + l in the high one, as in the file).
    private static int q4k(byte[] in, byte[] out, int nb, MemorySegment src, long base) {
        int exponents = 0;
        for (int i = 0; i < ROWS; i++) {
            int r = row(i);
            for (int b = 0; b < nb; b++) {
                int from = (r * nb + b) * 144, to = b * blockBytes(DType.Q4_K);
                for (int h = 0; h < 2; h++) {
                    out[to + 32 * h + 2 * i] = in[from + 2 * h];
                    out[to + 32 * h + 2 * i + 1] = in[from + 2 * h + 1];
                    exponents |= infOrNaN(in[from + 2 * h + 1]);
                }
                for (int c = 0; c < 8; c++) {   // the 12 packed bytes, decoded as everywhere else (from the file)
                    int sm = KQuant.scaleMin(src, base + from + 4, c);
                    out[to + 64 + 16 * c + i] = (byte) sm;
                    out[to + 192 + 16 * c + i] = (byte) (sm >>> 16);
                }
                for (int p = 0; p < 128; p++) out[to + Q4K_VALUES + 16 * p + i] = in[from + 16 + p];
            }
        }
        return exponents;
    }

    // One group of Q6_K rows: per super-block d as eight ints (as Q4_K), the int8 scale of
    // 16-value group s of row(i) at 32 + 16s + i, then for each high-bits byte p = 32n + l
    // (0..63) of the file, 48 bytes in the order the product reads them: the low-bits bytes
    // 64n + l and 64n + 32 + l and the high-bits byte p, each as 16 bytes (byte i: row(i)).
    // (The file's order, low bits then high bits, read as three streams, ran at 4 against 8.6 G
    // weights/s in cache.)
    private static int q6k(byte[] in, byte[] out, int nb) {
        int exponents = 0;
        for (int i = 0; i < ROWS; i++) {
            int r = row(i);
            for (int b = 0; b < nb; b++) {
                int from = (r * nb + b) * 210, to = b * blockBytes(DType.Q6_K);
                out[to + 2 * i] = in[from + 208];
                out[to + 2 * i + 1] = in[from + 209];
                exponents |= infOrNaN(in[from + 209]);
                for (int g = 0; g < 16; g++) out[to + 32 + 16 * g + i] = in[from + 192 + g];
                for (int p = 0; p < 64; p++) {
                    int at = to + Q6K_VALUES + 48 * p + i, low = from + 64 * (p >>> 5) + (p & 31);
                    out[at] = in[low];
                    out[at + 16] = in[low + 32];
                    out[at + 32] = in[from + 128 + p];
                }
            }
        }
        return exponents;
    }
}
