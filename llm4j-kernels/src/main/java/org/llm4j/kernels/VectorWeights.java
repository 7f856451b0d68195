// Vector kernels that read weights in place from a memory-mapped file, converting F16/BF16 lanes to float32.
package org.llm4j.kernels;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The same operations, in the same order, as VectorKernels' float[] paths: for F32 weights a
 * mapped matrix gives bit-identical results to the same matrix on the heap. Loads are unaligned
 * (safetensors data need not be 4-byte aligned) and little-endian.
 */
final class VectorWeights {
    private VectorWeights() {}

    static final VectorSpecies<Float> S = VectorKernels.S;
    static final int L = VectorKernels.L;
    static final VectorSpecies<Integer> SI = VectorSpecies.of(int.class, S.vectorShape());
    static final VectorSpecies<Short> SS = VectorSpecies.of(short.class, VectorShape.forBitSize(L * 16));
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    /** L consecutive elements starting at flat index elem, as float32 lanes. */
    static FloatVector load(Weight.Mapped w, long elem) {
        MemorySegment seg = w.seg();
        return switch (w.type()) {
            case F32 -> FloatVector.fromMemorySegment(S, seg, 4 * elem, LE);
            case BF16 -> widen(seg, elem).lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            case F16 -> halfToFloat(widen(seg, elem));
            case Q8_0, Q4_0 -> loadQuant(w, elem);
            case Q4_K, Q6_K -> elements(w, elem);   // never on the products' paths (K-quant weights are used transposed)
        };
    }

    private static FloatVector elements(Weight.Mapped w, long elem) {
        float[] tmp = new float[L];
        for (int i = 0; i < L; i++) tmp[i] = w.at(elem + i);
        return FloatVector.fromArray(S, tmp, 0);
    }

    static final VectorSpecies<Byte> SB = VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 8));

    // L values of a block type: one block holds them all when they start at a multiple of L (32 % L == 0);
    // otherwise (never on the kernels' own paths) element by element.
    private static FloatVector loadQuant(Weight.Mapped w, long elem) {
        int j = (int) (elem & 31);
        if (32 % L != 0 || j % L != 0) return elements(w, elem);
        MemorySegment seg = w.seg();
        long b = (elem >>> 5) * w.type().blockBytes;
        float d = Float.float16ToFloat(seg.get(Weight.Mapped.H, b));
        return quantLanes(seg, w.type(), b, j).mul(d);
    }

    // Lanes j..j+L-1 of the block at byte b, before scaling: q (Q8_0) or nibble − 8 (Q4_0).
    private static FloatVector quantLanes(MemorySegment seg, DType type, long b, int j) {
        if (type == DType.Q8_0) {
            return (FloatVector) ByteVector.fromMemorySegment(SB, seg, b + 2 + j, LE).convertShape(VectorOperators.B2F, S, 0);
        }
        ByteVector q = ByteVector.fromMemorySegment(SB, seg, b + 2 + (j & 15), LE);
        q = j < 16 ? q.and((byte) 15) : q.lanewise(VectorOperators.LSHR, 4).and((byte) 15);
        return (FloatVector) q.sub((byte) 8).convertShape(VectorOperators.B2F, S, 0);
    }

    // Σ_p W(row, p)·vec[p] for block types: per block, Σ q·x in lanes, scaled by the block's d once.
    // The fallback where 256-bit integer lanes are missing; vec is then the rounded activation.
    private static float dotQuant(Weight.Mapped w, int row, int k, float[] vec, int v0) {
        MemorySegment seg = w.seg();
        DType type = w.type();
        long b = (long) row * (k / 32) * type.blockBytes;
        FloatVector acc = FloatVector.zero(S);
        for (int p = 0; p < k; p += 32, b += type.blockBytes) {
            FloatVector s = FloatVector.zero(S);
            for (int j = 0; j < 32; j += L) s = quantLanes(seg, type, b, j).fma(FloatVector.fromArray(S, vec, v0 + p + j), s);
            acc = s.fma(FloatVector.broadcast(S, Float.float16ToFloat(seg.get(Weight.Mapped.H, b))), acc);
        }
        return VectorMath.sum(acc);
    }

    // ---- Q8_0 / Q4_0 rows against the activation rounded to Q8_0 blocks (Quant.roundActivation), as llama.cpp ----
    // Per 32-value block: the weight's bytes widened to 16 int16 lanes (Q4_0: nibbles 0..15 split
    // with a mask and a shift, the −8 taken off per block from the activation's block sums),
    // multiplied by the activation's int16 q (|product| <= 128·127, so two products still fit in
    // int16), pairs summed into 8 int32 lanes (shift-and-add on the int32 view: what x86's pmaddwd
    // does in one instruction), converted to float once and multiplied into the float accumulator
    // by d_w·d_x. The integer part is exact; only the per-block float accumulation rounds. Rows are
    // read in place, one at a time (a copy of four rows into a heap buffer and two rows per pass
    // measured slower; 2048x2048 in cache, one thread: Q4_0 5.9 -> 10.3 G values/s against the
    // float lanes, Q8_0 10.4 -> 13.5). The f16 scales come from the matrix's contiguous copy of
    // them (BlockScales), eight converted at a time (rowScales).

    /** Integer-lane products need 256-bit int16 vectors (AVX2, AVX-512, SVE-256); elsewhere the float lanes above. */
    static final boolean INT_DOT = 32 % L == 0 && ShortVector.SPECIES_PREFERRED.vectorBitSize() >= 256;
    private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    private static final VectorSpecies<Short> S16 = ShortVector.SPECIES_256;
    private static final VectorSpecies<Float> F8 = FloatVector.SPECIES_256;

    private static final class QScratch {
        short[] q = new short[0];
        float[] d = new float[0], xr = new float[0];
        int[] sums = new int[0], qi = new int[0];
    }

    private static final ThreadLocal<QScratch> QSCRATCH = ThreadLocal.withInitial(QScratch::new);

    /**
     * Quant.roundActivation of x[off..off + k) with L lanes, the same bits: max|x| per block by
     * lanes (exact), d and 1/d in scalar as the specification, q = roundf(x·(1/d)) from the
     * truncation t and the exact remainder x·(1/d) − t (halves away from zero).
     */
    static void roundActivation(float[] x, int off, int k, short[] q, int qOff, float[] d, int dOff) {
        if (!INT_DOT) {
            Quant.roundActivation(x, off, k, q, qOff, d, dOff);
            return;
        }
        roundBlocks(x, off, k, q, qOff, d, dOff, null, 0);
    }

    // roundActivation's lanes; with xr given, the rounded values q·d as floats go to xr[xrOff..]
    // instead (the same bits as q[p]·d[p/32]: q is an integer below 128 in magnitude, exact in a
    // float) and q, d are not written.
    private static void roundBlocks(float[] x, int off, int k, short[] q, int qOff, float[] d, int dOff, float[] xr, int xrOff) {
        // 256-bit species named as constants throughout: a species computed from L left the
        // conversion's lane count unknown to C2, which then ran the conversion's Java fallback.
        for (int b = 0, o = off; b < k / 32; b++, o += 32) {
            FloatVector m = FloatVector.fromArray(F8, x, o).abs();
            for (int j = 8; j < 32; j += 8) m = m.max(FloatVector.fromArray(F8, x, o + j).abs());
            float amax = m.reduceLanes(VectorOperators.MAX);
            float db = amax / 127f, id = db != 0f ? 1f / db : 0f, dh = Float.float16ToFloat(Float.floatToFloat16(db));
            if (xr == null) d[dOff + b] = dh;
            for (int j = 0; j < 32; j += 8) {
                FloatVector v = FloatVector.fromArray(F8, x, o + j).mul(id);
                FloatVector t = (FloatVector) v.convert(VectorOperators.F2I, 0).convert(VectorOperators.I2F, 0);
                FloatVector f = v.sub(t);   // exact: |v| <= 127
                t = t.add(1f, f.compare(VectorOperators.GE, 0.5f)).sub(1f, f.compare(VectorOperators.LE, -0.5f));
                if (xr != null) t.mul(dh).intoArray(xr, xrOff + b * 32 + j);
                else ((ShortVector) t.convertShape(VectorOperators.F2S, ShortVector.SPECIES_128, 0)).intoArray(q, qOff + b * 32 + j);
            }
        }
    }

    /**
     * Rows a[aOff + i·k ..] (i < m) replaced by their rounding for a product with a weight of the
     * given type (Q8_0 blocks, or Q8_K for the K-quants), in a per-thread buffer (the GEMM path for
     * M > FEW_ROWS).
     */
    static float[] roundedRows(DType weight, int threads, float[] a, int aOff, int m, int k) {
        QScratch s = QSCRATCH.get();
        int nb = k / 32;
        if (s.xr.length < m * k) s.xr = new float[m * k];
        float[] xr = s.xr;
        // Rows are independent: split over the threads (a 512-token prompt rounds 512 rows per product).
        boolean kq = weight.kQuant();
        Parallel.forRange(threads, m, 1, Math.max(1, VectorKernels.PARALLEL_ELEMENTS / Math.max(1, k)), (ci, i0, i1) -> {
            short[] q = new short[k];
            float[] d = new float[nb];
            int[] sums = kq ? new int[k / 16] : null;
            int blockShift = kq ? 8 : 5;   // 256- or 32-value blocks
            for (int i = i0; i < i1; i++) {
                if (!kq && INT_DOT) {
                    roundBlocks(a, aOff + i * k, k, null, 0, null, 0, xr, i * k); // q·d straight from the lanes
                    continue;
                }
                if (kq) roundActivationK(a, aOff + i * k, k, q, 0, d, 0, sums, 0);
                else roundActivation(a, aOff + i * k, k, q, 0, d, 0);
                for (int p = 0; p < k; p++) xr[i * k + p] = q[p] * d[p >> blockShift];
            }
        });
        return xr;
    }

    // Where 256-bit integer lanes are missing: each row against the rounded activation rows xr in
    // float lanes (Q8_0/Q4_0 blocks in place; K-quant rows decoded into a buffer first).
    private static void floatLaneRows(int t, Weight.Mapped w, int m, float[] xr, float[] out, int outOff, boolean acc, int minRows) {
        int rows = w.rows(), k = w.cols();
        boolean kq = w.type().kQuant();
        Parallel.forRange(t, rows, 4, minRows, (ci, r0, r1) -> {
            float[] buf = kq ? new float[k] : null;
            for (int r = r0; r < r1; r++) {
                if (kq) row(w, r, 0, k, buf);
                for (int i = 0; i < m; i++) {
                    float v = kq ? VectorKernels.dotRange(buf, 0, xr, i * k, k)
                            : 32 % L == 0 ? dotQuant(w, r, k, xr, i * k) : dot1(w, (long) r * k, xr, i * k, k);
                    int o = outOff + i * rows + r;
                    out[o] = acc ? out[o] + v : v;
                }
            }
        });
    }

    private static void gemvRowsQuant(int t, Weight.Mapped w, int m, float[] vec, int vecOff, float[] out, int outOff, boolean acc) {
        int rows = w.rows(), k = w.cols(), nb = k / 32;
        int minRows = Math.max(4, VectorKernels.PARALLEL_ELEMENTS / Math.max(1, k));
        if (!INT_DOT) {
            floatLaneRows(t, w, m, roundedRows(w.type(), t, vec, vecOff, m, k), out, outOff, acc, minRows);
            return;
        }
        if (gemvEach(t, m, new Weight.Mapped[] {w}, vec, vecOff, new float[][] {out}, new int[] {outOff}, acc)) return;   // through the copy
        QScratch s = QSCRATCH.get();
        if (s.q.length < m * k) s.q = new short[m * k];
        if (s.d.length < 2 * m * nb) s.d = new float[2 * m * nb];
        short[] q = s.q;
        float[] d = s.d;
        boolean q4 = w.type() == DType.Q4_0;
        for (int i = 0; i < m; i++) {
            roundActivation(vec, vecOff + i * k, k, q, i * k, d, i * nb);
            // Q4_0 multiplies the nibbles 0..15 and takes the −8 off per block: 8·d_x·Σq_x, in d[m·nb..]
            if (q4) for (int b = 0; b < nb; b++) d[(m + i) * nb + b] = 8f * d[i * nb + b] * blockSum(q, i * k + 32 * b);
        }
        BlockScales.Scales bs = BlockScales.of(w, t);
        short[] scales = bs.h();
        boolean special = bs.special();
        long rb = (long) nb * w.type().blockBytes;
        MemorySegment seg = w.seg();
        Parallel.forRangeBalanced(t, rows, 4, minRows, (ci, r0, r1) -> {
            float[] dd = new float[nb + 8];
            for (int r = r0; r < r1; r++) {
                for (int i = 0; i < m; i++) {   // the row's bytes stay in L1 for the other vectors
                    float v = q4 ? q4Row(seg, r * rb, nb, scales, special, r * nb, q, i * k, d, i * nb, (m + i) * nb, dd)
                            : q8Row(seg, r * rb, nb, scales, special, r * nb, q, i * k, d, i * nb, dd);
                    int o = outOff + i * rows + r;
                    out[o] = acc ? out[o] + v : v;
                }
            }
        });
    }

    // ---- Products with an interleaved copy (Interleaved: 16 rows side by side) ----
    // The activation rows are rounded to Q8_0 blocks as for the row kernels; each value q goes in
    // both halves of an int (qi), so one 32-bit broadcast gives the 16-bit lanes of a product, and
    // each block's d is kept times 2^112 (dq), undoing the exponent offset of the scales' f16 bits
    // moved up as float bits (see rowScales). Q4_0 takes its −8 off the block's int32 sums as
    // 8·Σq_x (c8). A block's f16 scales of rows 0..7 (low halves of the ints) and 8..15 (high
    // halves) become float bits of 2^-112 times their value: sign to bit 31, exponent and mantissa
    // up 13 bits (exact for normal and subnormal f16; Interleaved keeps no matrix with an infinite
    // or NaN scale). These lane expressions are written out in each kernel: as helper methods C2
    // left some calls out and boxed the vectors (10 against 19 G weights/s). The groups of 16 rows
    // are split over the threads (gemvEach); each group's outputs depend on its own rows only, so
    // the bits do not depend on the split.

    // The copies of matrices of one type and width, and where each one's groups start in a job
    // over all of them: matrix j has the job's groups firstGroup[j] .. firstGroup[j + 1] − 1.
    private record Copies(MemorySegment[] ils, int[] firstGroup) {}

    // Null when some matrix has another type or width than ws[0]'s, or no copy (a type without
    // copies, INT_DOT off).
    private static Copies copies(Weight.Mapped[] ws, DType type, int t) {
        int k = ws[0].cols();
        MemorySegment[] ils = new MemorySegment[ws.length];
        int[] firstGroup = new int[ws.length + 1];
        for (int j = 0; j < ws.length; j++) {
            if (ws[j].type() != type || ws[j].cols() != k) return null;
            ils[j] = Interleaved.of(ws[j], t);
            if (ils[j] == null) return null;
            firstGroup[j + 1] = firstGroup[j] + ws[j].rows() / Interleaved.ROWS;
        }
        return new Copies(ils, firstGroup);
    }

    // Groups of 16 rows a type's decoding takes per pass: Q8_0 four (q8Rows4), the others one.
    private static int groupsPerPass(DType type) {
        return type == DType.Q8_0 ? 4 : 1;
    }

    // The activation prepared for a copy's kernels: Q8_0 blocks (Q8_0/Q4_0) or Q8_K (Q4_K/Q6_K).
    private static QScratch prepare(DType type, int m, int k, float[] vec, int vecOff) {
        return type.kQuant() ? prepareInterleavedK(type, m, k, vec, vecOff) : prepareInterleaved(type, m, k, vec, vecOff);
    }

    // n kernels' sums of 16 rows (f[16i ..], i = 0..n − 1) into out[o + i·stride ..], added to
    // what is there when acc: the one-vector kernels' final step, lane for lane.
    private static void storeSums(float[] f, int n, float[] out, int o, int stride, boolean acc) {
        for (int i = 0; i < n; i++, o += stride) {
            for (int r = 0; r < Interleaved.ROWS; r++) out[o + r] = acc ? out[o + r] + f[16 * i + r] : f[16 * i + r];
        }
    }

    // Floats of scratch the four-vector kernels of a type need (f of q4Group4 .. q6kGroup4).
    private static int groupScratch(DType type) {
        return type.kQuant() ? Q4K4_SCRATCH : 4 * Interleaved.ROWS;
    }

    // The m activation rows rounded to Q8_0 blocks for the Q8_0/Q4_0 copies (see above), in the
    // calling thread's scratch: q (s.q), qi, d·2^112 (s.d), Q4_0's 8·Σq (s.sums).
    private static QScratch prepareInterleaved(DType type, int m, int k, float[] vec, int vecOff) {
        int nb = k / 32;
        QScratch s = QSCRATCH.get();
        if (s.q.length < m * k) s.q = new short[m * k];
        if (s.qi.length < m * k) s.qi = new int[m * k];
        if (s.d.length < 2 * m * nb) s.d = new float[2 * m * nb];
        if (s.sums.length < m * nb) s.sums = new int[m * nb];
        short[] q = s.q;
        int[] qi = s.qi, c8 = s.sums;
        float[] dq = s.d;
        boolean q4 = type == DType.Q4_0;
        for (int i = 0; i < m; i++) {
            roundActivation(vec, vecOff + i * k, k, q, i * k, dq, i * nb);
            for (int p = i * k; p < (i + 1) * k; p++) {
                int v = q4 && (p & 16) != 0 ? q[p] - 16 * q[p - 16] : q[p];   // Q4_0: see q4Group
                qi[p] = (v & 0xffff) | (v << 16);
            }
            for (int b = i * nb; b < (i + 1) * nb; b++) {
                dq[b] *= 0x1p112f;   // exact: |d| <= 65504 as an f16, and 65504·2^112 < Float.MAX_VALUE
                if (q4) c8[b] = 8 * blockSum(q, 32 * b);
            }
        }
        return s;
    }

    // Groups g..g1 - 1 of one copy against the m prepared activations (interleavedGroup each),
    // except that Q8_0 takes the activations left over from the fours (m mod 4: decoding's one)
    // against four groups at a time (q8Rows4).
    private static void interleavedGroups(MemorySegment il, DType type, int k, int g, int g1, int m, QScratch s, float[] f, float[] out, int outOff, int rows, boolean acc) {
        int m4 = groupsPerPass(type) > 1 ? m & ~3 : m;
        if (m4 < m) {
            int nb = k / 32;
            long gb = (long) nb * Interleaved.blockBytes(type);
            for (; g + 4 <= g1; g += 4) {
                if (m4 > 0) for (int j = g; j < g + 4; j++) interleavedGroup(il, type, k, j, m4, s, f, out, outOff, rows, acc);
                for (int i = m4; i < m; i++) q8Rows4(il, g * gb, gb, nb, s.qi, i * k, s.d, i * nb, f, out, outOff + i * rows + Interleaved.ROWS * g, acc);
            }
        }
        for (; g < g1; g++) interleavedGroup(il, type, k, g, m, s, f, out, outOff, rows, acc);
    }

    // Group g (rows 16g..16g + 16) of a copy against the m prepared activations, into
    // out[outOff + i·rows + 16g ..]: four activations at a time (f: groupScratch floats), then
    // the rest one at a time. nb: the row's blocks (Q8_0/Q4_0, 32 values) or super-blocks (256).
    private static void interleavedGroup(MemorySegment il, DType type, int k, int g, int m, QScratch s, float[] f, float[] out, int outOff, int rows, boolean acc) {
        int nb = k / type.blockSize;
        long at = g * (long) nb * Interleaved.blockBytes(type);
        int i = 0;
        for (; i + 4 <= m; i += 4) {
            int o = outOff + i * rows + Interleaved.ROWS * g;
            switch (type) {
                case Q4_0 -> q4Group4(il, at, nb, s.qi, i * k, k, s.d, s.sums, i * nb, f, out, o, rows, acc);
                case Q8_0 -> q8Group4(il, at, nb, s.qi, i * k, k, s.d, i * nb, f, out, o, rows, acc);
                case Q4_K -> q4kGroup4(il, at, nb, s.qi, i * k, k, s.d, i * nb, s.sums, i * (k / 32), f, out, o, rows, acc);
                default -> q6kGroup4(il, at, nb, s.qi, i * k, k, s.d, i * nb, s.sums, i * (k / 8), f, out, o, rows, acc);
            }
        }
        for (; i < m; i++) {   // the group's bytes stay in cache for the other vectors
            int o = outOff + i * rows + Interleaved.ROWS * g;
            switch (type) {
                case Q4_0 -> q4Group(il, at, nb, s.qi, i * k, s.d, s.sums, i * nb, out, o, acc);
                case Q8_0 -> q8Group(il, at, nb, s.qi, i * k, s.d, i * nb, out, o, acc);
                case Q4_K -> q4kGroup(il, at, nb, s.qi, i * k, s.d, i * nb, s.sums, i * (k / 32), out, o, acc);
                default -> q6kGroup(il, at, nb, s.qi, i * k, s.d, i * nb, s.sums, i * (k / 8), out, o, acc);
            }
        }
    }

    /**
     * The products of m activation rows (the few of decoding) with one or more interleaved
     * matrices of one type and width (one product, or a block's q/k/v or gate/up) into
     * outs[j][offs[j] + i·rows_j ..] (added to what is there when acc): the activation is rounded
     * once and all the matrices' groups of 16 rows are one parallel job. Each output has the bits
     * of its matrix's product alone (the same prepared activation, the same group kernels).
     * False, with nothing written, when some matrix has no copy or the types or widths differ.
     */
    static boolean gemvEach(int t, int m, Weight.Mapped[] ws, float[] vec, int vecOff, float[][] outs, int[] offs, boolean acc) {
        DType type = ws[0].type();
        int k = ws[0].cols();
        Copies c = copies(ws, type, t);
        if (c == null) return false;
        int[] firstGroup = c.firstGroup();
        QScratch s = prepare(type, m, k, vec, vecOff);
        int minGroups = Math.max(1, VectorKernels.PARALLEL_ELEMENTS / Math.max(1, Interleaved.ROWS * k));
        Parallel.forRangeBalanced(t, firstGroup[ws.length], groupsPerPass(type), minGroups, (ci, g0, g1) -> {
            float[] f = m >= 4 || groupsPerPass(type) > 1 ? new float[groupScratch(type)] : null;
            for (int j = 0, g = g0; g < g1; j++) {   // the chunk's part of each matrix
                int e = Math.min(g1, firstGroup[j + 1]);
                if (g < e) interleavedGroups(c.ils()[j], type, k, g - firstGroup[j], e - firstGroup[j], m, s, f, outs[j], offs[j], ws[j].rows(), acc);
                g = Math.max(g, e);
            }
        });
        return true;
    }

    // 16 rows' Q4_0 blocks against one rounded activation, in int16 lanes that wrap: a block's
    // true sum Σ(n − 8)·q is at most 32·8·127 = 32512 in magnitude, so it comes out exact from any
    // sum that is right modulo 2^16. Chunk e holds n_e + 16·n_(e+16) per lane (the file's byte);
    // times q_e that is n_e·q_e + 16·n_(e+16)·q_e, so the high nibble (shifted as int32 lanes by an
    // immediate, masked per half) is multiplied by q'_e = q_(e+16) − 16·q_e (qi's second half of
    // each block) and the low nibble needs no mask. Lows and highs go to two accumulators (one
    // chained accumulator measured 8% slower); per block their sum loses 8·Σq (c8), splits into
    // rows 0..7 (low halves, sign-extended) and 8..15 (high halves), converts, and meets the
    // block's scales d_w·d_x.
    private static void q4Group(MemorySegment il, long at, int nb, int[] qi, int qo, float[] dq, int[] c8, int bo, float[] out, int o, boolean acc) {
        FloatVector lo = FloatVector.zero(F8), hi = FloatVector.zero(F8);
        for (int b = 0; b < nb; b++, at += 288, qo += 32) {
            ShortVector a = ShortVector.zero(S16), c = ShortVector.zero(S16);
            for (int e = 0; e < 16; e++) {
                ShortVector x = (ShortVector) ByteVector.fromMemorySegment(B16, il, at + 32 + 16 * e, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S16, 0);
                ShortVector xh = x.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).and(0x000f000f).reinterpretAsShorts();
                a = a.add(x.mul(IntVector.broadcast(I8, qi[qo + e]).reinterpretAsShorts()));
                c = c.add(xh.mul(IntVector.broadcast(I8, qi[qo + e + 16]).reinterpretAsShorts()));
            }
            IntVector s = a.add(c).sub((short) c8[bo + b]).reinterpretAsInts();
            IntVector h = IntVector.fromMemorySegment(I8, il, at, LE);
            FloatVector d = FloatVector.broadcast(F8, dq[bo + b]);
            lo = ((FloatVector) s.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0))
                    .fma(h.lanewise(VectorOperators.LSHL, 16).and(0x80000000).or(h.lanewise(VectorOperators.LSHL, 13).and(0x0fffe000)).reinterpretAsFloats().mul(d), lo);
            hi = ((FloatVector) s.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0))
                    .fma(h.and(0x80000000).or(h.lanewise(VectorOperators.LSHR, 3).and(0x0fffe000)).reinterpretAsFloats().mul(d), hi);
        }
        if (acc) {
            lo = FloatVector.fromArray(F8, out, o).add(lo);
            hi = FloatVector.fromArray(F8, out, o + 8).add(hi);
        }
        lo.intoArray(out, o);
        hi.intoArray(out, o + 8);
    }

    // ---- Prompt products of Q4_0 copies in int16 lanes ----
    // More rows than decoding takes (m > FEW_ROWS). The activation rows are rounded as for
    // decoding and packed eight at a time (per value, the eight rows' q, each in both halves of
    // an int); each group's 16 rows are unpacked once into int16 values n − 8 (a k × 16 panel),
    // and each tile of eight rows runs over the whole of k: per value, one panel vector times
    // eight broadcasts into eight int16 accumulators. A block's sum |Σ(n − 8)·q| <= 32·8·127 =
    // 32512 is exact in int16; per block the sums split, convert and meet the scales exactly as
    // in q4Group, so every output has the bits of its row's decoding product. On this core int16
    // multiply-adds run at ~1.8× the multiply-adds of float FMA, and the float GEMM on decoded
    // panels needs the same number of them.

    /**
     * The products of m activation rows with Q4_0 matrices of one width through their
     * interleaved copies, as one parallel job over all their groups of 16 rows: outs[j][offs[j]
     * + i·rows_j + r] (plus what is there when acc). False, with nothing written, when some
     * matrix is not Q4_0, has another width or has no copy.
     */
    static boolean gemmQ4(int t, int m, Weight.Mapped[] ws, float[] vec, int vecOff, float[][] outs, int[] offs, boolean acc) {
        int k = ws[0].cols(), nb = k / 32;
        Copies c = copies(ws, DType.Q4_0, t);
        if (c == null) return false;
        MemorySegment[] ils = c.ils();
        int[] firstGroup = c.firstGroup();
        int tiles = (m + 7) / 8;
        QScratch s = QSCRATCH.get();
        if (s.qi.length < tiles * 8 * k) s.qi = new int[tiles * 8 * k];
        if (s.d.length < tiles * 8 * nb) s.d = new float[tiles * 8 * nb];
        int[] ap = s.qi;
        float[] dp = s.d;
        Parallel.forRange(t, tiles, 1, 1, (ci, t0, t1) -> {
            short[] q = new short[k];
            float[] d = new float[nb];
            for (int tile = t0; tile < t1; tile++) {
                for (int j = 0; j < 8; j++) {
                    int i = 8 * tile + j;
                    if (i < m) {
                        roundActivation(vec, vecOff + i * k, k, q, 0, d, 0);
                    } else {
                        java.util.Arrays.fill(q, (short) 0);
                        java.util.Arrays.fill(d, 0f);
                    }
                    for (int p = 0, o = 8 * tile * k + j; p < k; p++, o += 8) ap[o] = (q[p] & 0xffff) | (q[p] << 16);
                    for (int b = 0, o = 8 * tile * nb + j; b < nb; b++, o += 8) dp[o] = d[b] * 0x1p112f;   // exact, as in prepareInterleaved
                }
            }
        });
        long gb = (long) nb * Interleaved.blockBytes(DType.Q4_0);
        Parallel.forRangeBalanced(t, firstGroup[ws.length], 1, 1, (ci, g0, g1) -> {
            short[] panel = new short[16 * k];
            float[] f = new float[8 * Interleaved.ROWS];
            int j = 0;
            for (int g = g0; g < g1; g++) {
                while (g >= firstGroup[j + 1]) j++;
                int rows = ws[j].rows(), gj = g - firstGroup[j];
                long at = gj * gb;
                q4Panel(ils[j], at, nb, panel);
                float[] out = outs[j];
                for (int tile = 0; tile < tiles; tile++) {
                    java.util.Arrays.fill(f, 0f);
                    q4Tile8(panel, ap, 8 * tile * k, nb, ils[j], at, dp, 8 * tile * nb, f);
                    storeSums(f, Math.min(8, m - 8 * tile), out, offs[j] + 8 * tile * rows + Interleaved.ROWS * gj, rows, acc);
                }
            }
        });
        return true;
    }

    // Whether a prompt product with w runs in int16 lanes (gemmQ4) once w's copy is made.
    static boolean promptInLanes(Weight.Mapped w) {
        return w.type() == DType.Q4_0 && Interleaved.eligible(w);
    }

    // A group's Q4_0 values n − 8 as int16, 16 per value (the copy's lane order): value e of
    // block b at panel[16·(32b + e) ..]; the copy's chunk e holds values e (low nibbles) and
    // e + 16 (high).
    private static void q4Panel(MemorySegment il, long at, int nb, short[] panel) {
        for (int b = 0; b < nb; b++, at += 288) {
            for (int e = 0; e < 16; e++) {
                IntVector x = ((ShortVector) ByteVector.fromMemorySegment(B16, il, at + 32 + 16 * e, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S16, 0)).reinterpretAsInts();
                x.and(0x000f000f).reinterpretAsShorts().sub((short) 8).intoArray(panel, 16 * (32 * b + e));
                x.lanewise(VectorOperators.LSHR, 4).and(0x000f000f).reinterpretAsShorts().sub((short) 8).intoArray(panel, 16 * (32 * b + e + 16));
            }
        }
    }

    // Eight packed activation rows (a[ao ..]: per value eight ints) against a group's panel over
    // all nb blocks, into f (row jj's 16 sums at 16·jj, rows 0..7 then 8..15 as q4Group).
    private static void q4Tile8(short[] w, int[] a, int ao, int nb, MemorySegment il, long at, float[] dp, int dOff, float[] f) {
        for (int b = 0; b < nb; b++, at += 288, dOff += 8) {
            ShortVector c0 = ShortVector.zero(S16), c1 = ShortVector.zero(S16), c2 = ShortVector.zero(S16), c3 = ShortVector.zero(S16);
            ShortVector c4 = ShortVector.zero(S16), c5 = ShortVector.zero(S16), c6 = ShortVector.zero(S16), c7 = ShortVector.zero(S16);
            for (int e = 0, wo = 512 * b; e < 32; e++, wo += 16, ao += 8) {
                ShortVector x = ShortVector.fromArray(S16, w, wo);
                c0 = c0.add(x.mul(IntVector.broadcast(I8, a[ao]).reinterpretAsShorts()));
                c1 = c1.add(x.mul(IntVector.broadcast(I8, a[ao + 1]).reinterpretAsShorts()));
                c2 = c2.add(x.mul(IntVector.broadcast(I8, a[ao + 2]).reinterpretAsShorts()));
                c3 = c3.add(x.mul(IntVector.broadcast(I8, a[ao + 3]).reinterpretAsShorts()));
                c4 = c4.add(x.mul(IntVector.broadcast(I8, a[ao + 4]).reinterpretAsShorts()));
                c5 = c5.add(x.mul(IntVector.broadcast(I8, a[ao + 5]).reinterpretAsShorts()));
                c6 = c6.add(x.mul(IntVector.broadcast(I8, a[ao + 6]).reinterpretAsShorts()));
                c7 = c7.add(x.mul(IntVector.broadcast(I8, a[ao + 7]).reinterpretAsShorts()));
            }
            IntVector h = IntVector.fromMemorySegment(I8, il, at, LE);
            FloatVector sl = h.lanewise(VectorOperators.LSHL, 16).and(0x80000000).or(h.lanewise(VectorOperators.LSHL, 13).and(0x0fffe000)).reinterpretAsFloats();
            FloatVector sh = h.and(0x80000000).or(h.lanewise(VectorOperators.LSHR, 3).and(0x0fffe000)).reinterpretAsFloats();
            IntVector s = c0.reinterpretAsInts();
            float d = dp[dOff];
            ((FloatVector) s.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(sl.mul(d), FloatVector.fromArray(F8, f, 0)).intoArray(f, 0);
            ((FloatVector) s.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(sh.mul(d), FloatVector.fromArray(F8, f, 8)).intoArray(f, 8);
            s = c1.reinterpretAsInts();
            d = dp[dOff + 1];
            ((FloatVector) s.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(sl.mul(d), FloatVector.fromArray(F8, f, 16)).intoArray(f, 16);
            ((FloatVector) s.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(sh.mul(d), FloatVector.fromArray(F8, f, 24)).intoArray(f, 24);
            s = c2.reinterpretAsInts();
            d = dp[dOff + 2];
            ((FloatVector) s.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(sl.mul(d), FloatVector.fromArray(F8, f, 32)).intoArray(f, 32);
            ((FloatVector) s.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(sh.mul(d), FloatVector.fromArray(F8, f, 40)).intoArray(f, 40);
            s = c3.reinterpretAsInts();
            d = dp[dOff + 3];
            ((FloatVector) s.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(sl.mul(d), FloatVector.fromArray(F8, f, 48)).intoArray(f, 48);
            ((FloatVector) s.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(sh.mul(d), FloatVector.fromArray(F8, f, 56)).intoArray(f, 56);
            s = c4.reinterpretAsInts();
            d = dp[dOff + 4];
            ((FloatVector) s.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(sl.mul(d), FloatVector.fromArray(F8, f, 64)).intoArray(f, 64);
            ((FloatVector) s.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(sh.mul(d), FloatVector.fromArray(F8, f, 72)).intoArray(f, 72);
            s = c5.reinterpretAsInts();
            d = dp[dOff + 5];
            ((FloatVector) s.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(sl.mul(d), FloatVector.fromArray(F8, f, 80)).intoArray(f, 80);
            ((FloatVector) s.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(sh.mul(d), FloatVector.fromArray(F8, f, 88)).intoArray(f, 88);
            s = c6.reinterpretAsInts();
            d = dp[dOff + 6];
            ((FloatVector) s.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(sl.mul(d), FloatVector.fromArray(F8, f, 96)).intoArray(f, 96);
            ((FloatVector) s.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(sh.mul(d), FloatVector.fromArray(F8, f, 104)).intoArray(f, 104);
            s = c7.reinterpretAsInts();
            d = dp[dOff + 7];
            ((FloatVector) s.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(sl.mul(d), FloatVector.fromArray(F8, f, 112)).intoArray(f, 112);
            ((FloatVector) s.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(sh.mul(d), FloatVector.fromArray(F8, f, 120)).intoArray(f, 120);
        }
    }

    // q4Group for four activations (qi rows qo, qo + k, qo + 2k, qo + 3k) at once: each chunk's
    // nibbles are decoded once and meet four broadcasts, and a block's scales convert once. The
    // per-vector arithmetic, and so every bit of each output, is q4Group's; the float sums (16
    // per vector) wait in f between blocks, as eight int16 accumulators fill the registers.
    private static void q4Group4(MemorySegment il, long at, int nb, int[] qi, int qo, int k, float[] dq, int[] c8, int bo, float[] f, float[] out, int o, int rows, boolean acc) {
        java.util.Arrays.fill(f, 0f);
        for (int b = 0; b < nb; b++, at += 288, qo += 32) {
            ShortVector a0 = ShortVector.zero(S16), c0 = ShortVector.zero(S16), a1 = ShortVector.zero(S16), c1 = ShortVector.zero(S16);
            ShortVector a2 = ShortVector.zero(S16), c2 = ShortVector.zero(S16), a3 = ShortVector.zero(S16), c3 = ShortVector.zero(S16);
            for (int e = 0; e < 16; e++) {   // low nibbles, then high: eight accumulators at once spilled
                ShortVector x = (ShortVector) ByteVector.fromMemorySegment(B16, il, at + 32 + 16 * e, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S16, 0);
                int p = qo + e;
                a0 = a0.add(x.mul(IntVector.broadcast(I8, qi[p]).reinterpretAsShorts()));
                a1 = a1.add(x.mul(IntVector.broadcast(I8, qi[p + k]).reinterpretAsShorts()));
                a2 = a2.add(x.mul(IntVector.broadcast(I8, qi[p + 2 * k]).reinterpretAsShorts()));
                a3 = a3.add(x.mul(IntVector.broadcast(I8, qi[p + 3 * k]).reinterpretAsShorts()));
            }
            for (int e = 0; e < 16; e++) {
                ShortVector xh = ((ShortVector) ByteVector.fromMemorySegment(B16, il, at + 32 + 16 * e, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S16, 0))
                        .reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).and(0x000f000f).reinterpretAsShorts();
                int p = qo + e + 16;
                c0 = c0.add(xh.mul(IntVector.broadcast(I8, qi[p]).reinterpretAsShorts()));
                c1 = c1.add(xh.mul(IntVector.broadcast(I8, qi[p + k]).reinterpretAsShorts()));
                c2 = c2.add(xh.mul(IntVector.broadcast(I8, qi[p + 2 * k]).reinterpretAsShorts()));
                c3 = c3.add(xh.mul(IntVector.broadcast(I8, qi[p + 3 * k]).reinterpretAsShorts()));
            }
            IntVector h = IntVector.fromMemorySegment(I8, il, at, LE);
            FloatVector sl = h.lanewise(VectorOperators.LSHL, 16).and(0x80000000).or(h.lanewise(VectorOperators.LSHL, 13).and(0x0fffe000)).reinterpretAsFloats();
            FloatVector sh = h.and(0x80000000).or(h.lanewise(VectorOperators.LSHR, 3).and(0x0fffe000)).reinterpretAsFloats();
            IntVector s = a0.add(c0).sub((short) c8[bo + b]).reinterpretAsInts();
            FloatVector d = FloatVector.broadcast(F8, dq[bo + b]);
            ((FloatVector) s.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(sl.mul(d), FloatVector.fromArray(F8, f, 0)).intoArray(f, 0);
            ((FloatVector) s.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(sh.mul(d), FloatVector.fromArray(F8, f, 8)).intoArray(f, 8);
            s = a1.add(c1).sub((short) c8[bo + nb + b]).reinterpretAsInts();
            d = FloatVector.broadcast(F8, dq[bo + nb + b]);
            ((FloatVector) s.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(sl.mul(d), FloatVector.fromArray(F8, f, 16)).intoArray(f, 16);
            ((FloatVector) s.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(sh.mul(d), FloatVector.fromArray(F8, f, 24)).intoArray(f, 24);
            s = a2.add(c2).sub((short) c8[bo + 2 * nb + b]).reinterpretAsInts();
            d = FloatVector.broadcast(F8, dq[bo + 2 * nb + b]);
            ((FloatVector) s.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(sl.mul(d), FloatVector.fromArray(F8, f, 32)).intoArray(f, 32);
            ((FloatVector) s.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(sh.mul(d), FloatVector.fromArray(F8, f, 40)).intoArray(f, 40);
            s = a3.add(c3).sub((short) c8[bo + 3 * nb + b]).reinterpretAsInts();
            d = FloatVector.broadcast(F8, dq[bo + 3 * nb + b]);
            ((FloatVector) s.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(sl.mul(d), FloatVector.fromArray(F8, f, 48)).intoArray(f, 48);
            ((FloatVector) s.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).fma(sh.mul(d), FloatVector.fromArray(F8, f, 56)).intoArray(f, 56);
        }
        storeSums(f, 4, out, o, rows, acc);
    }

    // 16 rows' Q8_0 blocks: elements in pairs, |q_w·q_x| <= 128·127, so a pair sums in int16
    // lanes; each pair's sums split into rows 0..7 and 8..15 as int32 and accumulate per block.
    private static void q8Group(MemorySegment il, long at, int nb, int[] qi, int qo, float[] dq, int bo, float[] out, int o, boolean acc) {
        FloatVector lo = FloatVector.zero(F8), hi = FloatVector.zero(F8);
        for (int b = 0; b < nb; b++, at += 544, qo += 32) {
            IntVector sl = IntVector.zero(I8), sh = IntVector.zero(I8);
            for (int e = 0; e < 32; e += 2) {
                ShortVector x0 = (ShortVector) ByteVector.fromMemorySegment(B16, il, at + 32 + 16 * e, LE).convertShape(VectorOperators.B2S, S16, 0);
                ShortVector x1 = (ShortVector) ByteVector.fromMemorySegment(B16, il, at + 48 + 16 * e, LE).convertShape(VectorOperators.B2S, S16, 0);
                IntVector p = x0.mul(IntVector.broadcast(I8, qi[qo + e]).reinterpretAsShorts())
                        .add(x1.mul(IntVector.broadcast(I8, qi[qo + e + 1]).reinterpretAsShorts())).reinterpretAsInts();
                sl = sl.add(p.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16));
                sh = sh.add(p.lanewise(VectorOperators.ASHR, 16));
            }
            IntVector h = IntVector.fromMemorySegment(I8, il, at, LE);
            FloatVector d = FloatVector.broadcast(F8, dq[bo + b]);
            lo = ((FloatVector) sl.convert(VectorOperators.I2F, 0)).fma(h.lanewise(VectorOperators.LSHL, 16).and(0x80000000).or(h.lanewise(VectorOperators.LSHL, 13).and(0x0fffe000)).reinterpretAsFloats().mul(d), lo);
            hi = ((FloatVector) sh.convert(VectorOperators.I2F, 0)).fma(h.and(0x80000000).or(h.lanewise(VectorOperators.LSHR, 3).and(0x0fffe000)).reinterpretAsFloats().mul(d), hi);
        }
        if (acc) {
            lo = FloatVector.fromArray(F8, out, o).add(lo);
            hi = FloatVector.fromArray(F8, out, o + 8).add(hi);
        }
        lo.intoArray(out, o);
        hi.intoArray(out, o + 8);
    }

    // q8Group for four activations (qi rows qo + i·k): each pair of chunks sign-extended once
    // against four pairs of broadcasts; per vector q8Group's arithmetic, so the same bits.
    private static void q8Group4(MemorySegment il, long at, int nb, int[] qi, int qo, int k, float[] dq, int bo, float[] f, float[] out, int o, int rows, boolean acc) {
        java.util.Arrays.fill(f, 0f);
        for (int b = 0; b < nb; b++, at += 544, qo += 32) {
            IntVector l0 = IntVector.zero(I8), h0 = IntVector.zero(I8), l1 = IntVector.zero(I8), h1 = IntVector.zero(I8);
            IntVector l2 = IntVector.zero(I8), h2 = IntVector.zero(I8), l3 = IntVector.zero(I8), h3 = IntVector.zero(I8);
            for (int e = 0; e < 32; e += 2) {
                ShortVector x0 = (ShortVector) ByteVector.fromMemorySegment(B16, il, at + 32 + 16 * e, LE).convertShape(VectorOperators.B2S, S16, 0);
                ShortVector x1 = (ShortVector) ByteVector.fromMemorySegment(B16, il, at + 48 + 16 * e, LE).convertShape(VectorOperators.B2S, S16, 0);
                int p = qo + e;
                IntVector s = x0.mul(IntVector.broadcast(I8, qi[p]).reinterpretAsShorts()).add(x1.mul(IntVector.broadcast(I8, qi[p + 1]).reinterpretAsShorts())).reinterpretAsInts();
                l0 = l0.add(s.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16));
                h0 = h0.add(s.lanewise(VectorOperators.ASHR, 16));
                s = x0.mul(IntVector.broadcast(I8, qi[p + k]).reinterpretAsShorts()).add(x1.mul(IntVector.broadcast(I8, qi[p + k + 1]).reinterpretAsShorts())).reinterpretAsInts();
                l1 = l1.add(s.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16));
                h1 = h1.add(s.lanewise(VectorOperators.ASHR, 16));
                s = x0.mul(IntVector.broadcast(I8, qi[p + 2 * k]).reinterpretAsShorts()).add(x1.mul(IntVector.broadcast(I8, qi[p + 2 * k + 1]).reinterpretAsShorts())).reinterpretAsInts();
                l2 = l2.add(s.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16));
                h2 = h2.add(s.lanewise(VectorOperators.ASHR, 16));
                s = x0.mul(IntVector.broadcast(I8, qi[p + 3 * k]).reinterpretAsShorts()).add(x1.mul(IntVector.broadcast(I8, qi[p + 3 * k + 1]).reinterpretAsShorts())).reinterpretAsInts();
                l3 = l3.add(s.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16));
                h3 = h3.add(s.lanewise(VectorOperators.ASHR, 16));
            }
            IntVector h = IntVector.fromMemorySegment(I8, il, at, LE);
            FloatVector sl = h.lanewise(VectorOperators.LSHL, 16).and(0x80000000).or(h.lanewise(VectorOperators.LSHL, 13).and(0x0fffe000)).reinterpretAsFloats();
            FloatVector sh = h.and(0x80000000).or(h.lanewise(VectorOperators.LSHR, 3).and(0x0fffe000)).reinterpretAsFloats();
            FloatVector d = FloatVector.broadcast(F8, dq[bo + b]);
            ((FloatVector) l0.convert(VectorOperators.I2F, 0)).fma(sl.mul(d), FloatVector.fromArray(F8, f, 0)).intoArray(f, 0);
            ((FloatVector) h0.convert(VectorOperators.I2F, 0)).fma(sh.mul(d), FloatVector.fromArray(F8, f, 8)).intoArray(f, 8);
            d = FloatVector.broadcast(F8, dq[bo + nb + b]);
            ((FloatVector) l1.convert(VectorOperators.I2F, 0)).fma(sl.mul(d), FloatVector.fromArray(F8, f, 16)).intoArray(f, 16);
            ((FloatVector) h1.convert(VectorOperators.I2F, 0)).fma(sh.mul(d), FloatVector.fromArray(F8, f, 24)).intoArray(f, 24);
            d = FloatVector.broadcast(F8, dq[bo + 2 * nb + b]);
            ((FloatVector) l2.convert(VectorOperators.I2F, 0)).fma(sl.mul(d), FloatVector.fromArray(F8, f, 32)).intoArray(f, 32);
            ((FloatVector) h2.convert(VectorOperators.I2F, 0)).fma(sh.mul(d), FloatVector.fromArray(F8, f, 40)).intoArray(f, 40);
            d = FloatVector.broadcast(F8, dq[bo + 3 * nb + b]);
            ((FloatVector) l3.convert(VectorOperators.I2F, 0)).fma(sl.mul(d), FloatVector.fromArray(F8, f, 48)).intoArray(f, 48);
            ((FloatVector) h3.convert(VectorOperators.I2F, 0)).fma(sh.mul(d), FloatVector.fromArray(F8, f, 56)).intoArray(f, 56);
        }
        storeSums(f, 4, out, o, rows, acc);
    }

    // q8Group over four consecutive groups (64 rows: at, at + gb, at + 2gb, at + 3gb) against one
    // activation: a pair's two broadcasts serve the four groups, and four streams of the copy are
    // read at once, which keeps more misses in flight when the copy is out of cache. Per group
    // q8Group's arithmetic, so the same bits; the float sums wait in f (64 floats).
    private static void q8Rows4(MemorySegment il, long at, long gb, int nb, int[] qi, int qo, float[] dq, int bo, float[] f, float[] out, int o, boolean acc) {
        java.util.Arrays.fill(f, 0f);
        for (int b = 0; b < nb; b++, at += 544, qo += 32) {
            IntVector l0 = IntVector.zero(I8), h0 = IntVector.zero(I8), l1 = IntVector.zero(I8), h1 = IntVector.zero(I8);
            IntVector l2 = IntVector.zero(I8), h2 = IntVector.zero(I8), l3 = IntVector.zero(I8), h3 = IntVector.zero(I8);
            for (int e = 0; e < 32; e += 2) {
                ShortVector a0 = IntVector.broadcast(I8, qi[qo + e]).reinterpretAsShorts(), a1 = IntVector.broadcast(I8, qi[qo + e + 1]).reinterpretAsShorts();
                long c = at + 32 + 16 * e;
                IntVector s = ((ShortVector) ByteVector.fromMemorySegment(B16, il, c, LE).convertShape(VectorOperators.B2S, S16, 0)).mul(a0)
                        .add(((ShortVector) ByteVector.fromMemorySegment(B16, il, c + 16, LE).convertShape(VectorOperators.B2S, S16, 0)).mul(a1)).reinterpretAsInts();
                l0 = l0.add(s.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16));
                h0 = h0.add(s.lanewise(VectorOperators.ASHR, 16));
                c += gb;
                s = ((ShortVector) ByteVector.fromMemorySegment(B16, il, c, LE).convertShape(VectorOperators.B2S, S16, 0)).mul(a0)
                        .add(((ShortVector) ByteVector.fromMemorySegment(B16, il, c + 16, LE).convertShape(VectorOperators.B2S, S16, 0)).mul(a1)).reinterpretAsInts();
                l1 = l1.add(s.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16));
                h1 = h1.add(s.lanewise(VectorOperators.ASHR, 16));
                c += gb;
                s = ((ShortVector) ByteVector.fromMemorySegment(B16, il, c, LE).convertShape(VectorOperators.B2S, S16, 0)).mul(a0)
                        .add(((ShortVector) ByteVector.fromMemorySegment(B16, il, c + 16, LE).convertShape(VectorOperators.B2S, S16, 0)).mul(a1)).reinterpretAsInts();
                l2 = l2.add(s.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16));
                h2 = h2.add(s.lanewise(VectorOperators.ASHR, 16));
                c += gb;
                s = ((ShortVector) ByteVector.fromMemorySegment(B16, il, c, LE).convertShape(VectorOperators.B2S, S16, 0)).mul(a0)
                        .add(((ShortVector) ByteVector.fromMemorySegment(B16, il, c + 16, LE).convertShape(VectorOperators.B2S, S16, 0)).mul(a1)).reinterpretAsInts();
                l3 = l3.add(s.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16));
                h3 = h3.add(s.lanewise(VectorOperators.ASHR, 16));
            }
            FloatVector d = FloatVector.broadcast(F8, dq[bo + b]);
            IntVector h = IntVector.fromMemorySegment(I8, il, at, LE);
            ((FloatVector) l0.convert(VectorOperators.I2F, 0)).fma(h.lanewise(VectorOperators.LSHL, 16).and(0x80000000).or(h.lanewise(VectorOperators.LSHL, 13).and(0x0fffe000)).reinterpretAsFloats().mul(d), FloatVector.fromArray(F8, f, 0)).intoArray(f, 0);
            ((FloatVector) h0.convert(VectorOperators.I2F, 0)).fma(h.and(0x80000000).or(h.lanewise(VectorOperators.LSHR, 3).and(0x0fffe000)).reinterpretAsFloats().mul(d), FloatVector.fromArray(F8, f, 8)).intoArray(f, 8);
            h = IntVector.fromMemorySegment(I8, il, at + gb, LE);
            ((FloatVector) l1.convert(VectorOperators.I2F, 0)).fma(h.lanewise(VectorOperators.LSHL, 16).and(0x80000000).or(h.lanewise(VectorOperators.LSHL, 13).and(0x0fffe000)).reinterpretAsFloats().mul(d), FloatVector.fromArray(F8, f, 16)).intoArray(f, 16);
            ((FloatVector) h1.convert(VectorOperators.I2F, 0)).fma(h.and(0x80000000).or(h.lanewise(VectorOperators.LSHR, 3).and(0x0fffe000)).reinterpretAsFloats().mul(d), FloatVector.fromArray(F8, f, 24)).intoArray(f, 24);
            h = IntVector.fromMemorySegment(I8, il, at + 2 * gb, LE);
            ((FloatVector) l2.convert(VectorOperators.I2F, 0)).fma(h.lanewise(VectorOperators.LSHL, 16).and(0x80000000).or(h.lanewise(VectorOperators.LSHL, 13).and(0x0fffe000)).reinterpretAsFloats().mul(d), FloatVector.fromArray(F8, f, 32)).intoArray(f, 32);
            ((FloatVector) h2.convert(VectorOperators.I2F, 0)).fma(h.and(0x80000000).or(h.lanewise(VectorOperators.LSHR, 3).and(0x0fffe000)).reinterpretAsFloats().mul(d), FloatVector.fromArray(F8, f, 40)).intoArray(f, 40);
            h = IntVector.fromMemorySegment(I8, il, at + 3 * gb, LE);
            ((FloatVector) l3.convert(VectorOperators.I2F, 0)).fma(h.lanewise(VectorOperators.LSHL, 16).and(0x80000000).or(h.lanewise(VectorOperators.LSHL, 13).and(0x0fffe000)).reinterpretAsFloats().mul(d), FloatVector.fromArray(F8, f, 48)).intoArray(f, 48);
            ((FloatVector) h3.convert(VectorOperators.I2F, 0)).fma(h.and(0x80000000).or(h.lanewise(VectorOperators.LSHR, 3).and(0x0fffe000)).reinterpretAsFloats().mul(d), FloatVector.fromArray(F8, f, 56)).intoArray(f, 56);
        }
        storeSums(f, 4, out, o, Interleaved.ROWS, acc);   // group j's rows follow group j - 1's
    }

    // ---- Q4_K/Q6_K products with an interleaved copy (Interleaved.q4k/q6k: 16 rows side by side) ----
    // The m activation rows rounded to Q8_K blocks as for the row kernels, in the calling
    // thread's scratch: qi (each q in both halves of an int), the super-block's d times 2^112
    // (s.d, see the notes on the interleaved products), s.sums: Q4_K's 32-value sums, Q6_K's 8-value sums.
    private static QScratch prepareInterleavedK(DType type, int m, int k, float[] vec, int vecOff) {
        int nsb = k / 256;
        QScratch s = QSCRATCH.get();
        if (s.q.length < m * k) s.q = new short[m * k];
        if (s.qi.length < m * k) s.qi = new int[m * k];
        if (s.d.length < m * nsb) s.d = new float[m * nsb];
        if (s.sums.length < m * k / 8) s.sums = new int[m * k / 8];
        short[] q = s.q;
        int[] qi = s.qi, sums = s.sums;
        float[] dq = s.d;
        for (int i = 0; i < m; i++) {
            roundActivationK(vec, vecOff + i * k, k, q, i * k, dq, i * nsb, sums, i * (k / 16));
            for (int p = i * k; p < (i + 1) * k; p++) qi[p] = (q[p] & 0xffff) | (q[p] << 16);
            for (int b = i * nsb; b < (i + 1) * nsb; b++) dq[b] *= 0x1p112f;   // exact, as in prepareInterleaved
        }
        // Q4_K: 32-value sums (in place); Q6_K: 8-value sums
        if (type == DType.Q4_K) for (int g = 0; g < m * k / 32; g++) sums[g] = sums[2 * g] + sums[2 * g + 1];
        else for (int g = 0; g < m * k / 8; g++) sums[g] = blockSum8(q, 8 * g);
        return s;
    }

    private static int blockSum8(short[] q, int o) {
        int s = 0;
        for (int e = o; e < o + 8; e++) s += q[e];
        return s;
    }

    // 16 rows' Q6_K super-blocks against one Q8_K-rounded activation. Byte l of the low bits
    // (0..63 of a half n) and byte l of the high bits give values 128n + l, +32, +64, +96 (as
    // q6kRow); their products (0..63)·q sum in int16 lanes over 8 values and lose 32·Σq: the
    // result Σ(v − 32)·q is at most 8·32·127 = 32512 in magnitude, exact from the wrapped sum.
    // Each such sum splits into rows 0..7 and 8..15, converts and meets its 16-value group's
    // int8 scale; per super-block the total meets d_w·d_x.
    private static void q6kGroup(MemorySegment il, long at, int nsb, int[] qi, int qo, float[] dq, int bo, int[] s8, int so, float[] out, int o, boolean acc) {
        FloatVector lo = FloatVector.zero(F8), hi = FloatVector.zero(F8);
        for (int sb = 0; sb < nsb; sb++, at += Interleaved.blockBytes(DType.Q6_K), qo += 256, so += 32) {
            FloatVector tl = FloatVector.zero(F8), th = FloatVector.zero(F8);
            for (int n = 0; n < 2; n++) {
                for (int e = 0; e < 4; e++) {   // values 128n + 8e .. + 8 and their +32, +64, +96
                    ShortVector a1 = ShortVector.zero(S16), a2 = ShortVector.zero(S16), a3 = ShortVector.zero(S16), a4 = ShortVector.zero(S16);
                    long v = at + Interleaved.Q6K_VALUES + 48L * (32 * n + 8 * e);
                    int q1 = qo + 128 * n + 8 * e;
                    for (int l = 0; l < 8; l++) {
                        IntVector x1 = ((ShortVector) ByteVector.fromMemorySegment(B16, il, v + 48 * l, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S16, 0)).reinterpretAsInts();
                        IntVector x2 = ((ShortVector) ByteVector.fromMemorySegment(B16, il, v + 48 * l + 16, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S16, 0)).reinterpretAsInts();
                        IntVector xh = ((ShortVector) ByteVector.fromMemorySegment(B16, il, v + 48 * l + 32, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S16, 0)).reinterpretAsInts();
                        a1 = a1.add(x1.and(0x000f000f).or(xh.and(0x00030003).lanewise(VectorOperators.LSHL, 4)).reinterpretAsShorts()
                                .mul(IntVector.broadcast(I8, qi[q1 + l]).reinterpretAsShorts()));
                        a2 = a2.add(x2.and(0x000f000f).or(xh.and(0x000c000c).lanewise(VectorOperators.LSHL, 2)).reinterpretAsShorts()
                                .mul(IntVector.broadcast(I8, qi[q1 + 32 + l]).reinterpretAsShorts()));
                        a3 = a3.add(x1.lanewise(VectorOperators.LSHR, 4).and(0x000f000f).or(xh.and(0x00300030)).reinterpretAsShorts()
                                .mul(IntVector.broadcast(I8, qi[q1 + 64 + l]).reinterpretAsShorts()));
                        a4 = a4.add(x2.lanewise(VectorOperators.LSHR, 4).and(0x000f000f).or(xh.lanewise(VectorOperators.LSHR, 2).and(0x00300030)).reinterpretAsShorts()
                                .mul(IntVector.broadcast(I8, qi[q1 + 96 + l]).reinterpretAsShorts()));
                    }
                    // group of a_j: (128n + 32j + 8e) / 16; its 8-value sum: (128n + 32j + 8e) / 8.
                    // Written out four times: a loop over the four accumulators (or a helper)
                    // would hand vectors through a variable C2 boxes, as in q4Group.
                    int g = 8 * n + e / 2, c = so + 16 * n + e;
                    IntVector p0 = a1.sub((short) (32 * s8[c + 0])).reinterpretAsInts();
                    IntVector k0 = ((ShortVector) ByteVector.fromMemorySegment(B16, il, at + 32 + 16L * (g + 0), LE).convertShape(VectorOperators.B2S, S16, 0)).reinterpretAsInts();
                    tl = ((FloatVector) p0.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0))
                            .fma((FloatVector) k0.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0), tl);
                    th = ((FloatVector) p0.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0))
                            .fma((FloatVector) k0.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0), th);
                    IntVector p1 = a2.sub((short) (32 * s8[c + 4])).reinterpretAsInts();
                    IntVector k1 = ((ShortVector) ByteVector.fromMemorySegment(B16, il, at + 32 + 16L * (g + 2), LE).convertShape(VectorOperators.B2S, S16, 0)).reinterpretAsInts();
                    tl = ((FloatVector) p1.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0))
                            .fma((FloatVector) k1.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0), tl);
                    th = ((FloatVector) p1.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0))
                            .fma((FloatVector) k1.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0), th);
                    IntVector p2 = a3.sub((short) (32 * s8[c + 8])).reinterpretAsInts();
                    IntVector k2 = ((ShortVector) ByteVector.fromMemorySegment(B16, il, at + 32 + 16L * (g + 4), LE).convertShape(VectorOperators.B2S, S16, 0)).reinterpretAsInts();
                    tl = ((FloatVector) p2.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0))
                            .fma((FloatVector) k2.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0), tl);
                    th = ((FloatVector) p2.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0))
                            .fma((FloatVector) k2.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0), th);
                    IntVector p3 = a4.sub((short) (32 * s8[c + 12])).reinterpretAsInts();
                    IntVector k3 = ((ShortVector) ByteVector.fromMemorySegment(B16, il, at + 32 + 16L * (g + 6), LE).convertShape(VectorOperators.B2S, S16, 0)).reinterpretAsInts();
                    tl = ((FloatVector) p3.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0))
                            .fma((FloatVector) k3.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0), tl);
                    th = ((FloatVector) p3.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0))
                            .fma((FloatVector) k3.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0), th);
                }
            }
            IntVector h = IntVector.fromMemorySegment(I8, il, at, LE);
            FloatVector d = FloatVector.broadcast(F8, dq[bo + sb]);
            lo = tl.fma(h.lanewise(VectorOperators.LSHL, 16).and(0x80000000).or(h.lanewise(VectorOperators.LSHL, 13).and(0x0fffe000)).reinterpretAsFloats().mul(d), lo);
            hi = th.fma(h.and(0x80000000).or(h.lanewise(VectorOperators.LSHR, 3).and(0x0fffe000)).reinterpretAsFloats().mul(d), hi);
        }
        if (acc) {
            lo = FloatVector.fromArray(F8, out, o).add(lo);
            hi = FloatVector.fromArray(F8, out, o + 8).add(hi);
        }
        lo.intoArray(out, o);
        hi.intoArray(out, o + 8);
    }

    // 16 rows' Q4_K super-blocks against one Q8_K-rounded activation. Byte p = 32j + l of a row
    // holds value 64j + l (sub-group 2j) in its low nibble and 64j + 32 + l (sub-group 2j + 1) in
    // the high one; each sub-group's products n·q sum in int16 lanes that wrap, and lose 8·Σq:
    // Σ(n − 8)·q is at most 32·8·127 = 32512 in magnitude, so the wrapped sum is exact. Per
    // sub-group its two halves (rows 0..7, 8..15) convert to float, get the 8·Σq back and meet
    // the row's 6-bit scale; the mins meet Σq. Per super-block, Σ sc·Σn·q times d_w·d_x and
    // Σ m·Σq times dmin_w·d_x (f16 bits moved up as in q4Group).
    private static void q4kGroup(MemorySegment il, long at, int nsb, int[] qi, int qo, float[] dq, int bo, int[] sums, int so, float[] out, int o, boolean acc) {
        FloatVector lo = FloatVector.zero(F8), hi = FloatVector.zero(F8);
        for (int sb = 0; sb < nsb; sb++, at += Interleaved.blockBytes(DType.Q4_K), qo += 256, so += 8) {
            FloatVector tl = FloatVector.zero(F8), th = FloatVector.zero(F8), ul = FloatVector.zero(F8), uh = FloatVector.zero(F8);
            for (int j = 0; j < 4; j++) {
                ShortVector a = ShortVector.zero(S16), c = ShortVector.zero(S16);
                long v = at + Interleaved.Q4K_VALUES + 512L * j;
                int qj = qo + 64 * j;
                for (int l = 0; l < 32; l++) {
                    ShortVector x = (ShortVector) ByteVector.fromMemorySegment(B16, il, v + 16 * l, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S16, 0);
                    ShortVector xh = x.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).and(0x000f000f).reinterpretAsShorts();
                    a = a.add(x.and((short) 15).mul(IntVector.broadcast(I8, qi[qj + l]).reinterpretAsShorts()));
                    c = c.add(xh.mul(IntVector.broadcast(I8, qi[qj + 32 + l]).reinterpretAsShorts()));
                }
                int s0 = sums[so + 2 * j], s1 = sums[so + 2 * j + 1];
                IntVector p0 = a.sub((short) (8 * s0)).reinterpretAsInts(), p1 = c.sub((short) (8 * s1)).reinterpretAsInts();
                FloatVector e0 = FloatVector.broadcast(F8, 8f * s0), e1 = FloatVector.broadcast(F8, 8f * s1);
                IntVector k0 = ((ShortVector) ByteVector.fromMemorySegment(B16, il, at + 64 + 32 * j, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S16, 0)).reinterpretAsInts();
                IntVector k1 = ((ShortVector) ByteVector.fromMemorySegment(B16, il, at + 80 + 32 * j, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S16, 0)).reinterpretAsInts();
                IntVector n0 = ((ShortVector) ByteVector.fromMemorySegment(B16, il, at + 192 + 32 * j, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S16, 0)).reinterpretAsInts();
                IntVector n1 = ((ShortVector) ByteVector.fromMemorySegment(B16, il, at + 208 + 32 * j, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S16, 0)).reinterpretAsInts();
                tl = ((FloatVector) p0.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).add(e0)
                        .fma((FloatVector) k0.and(0xffff).convert(VectorOperators.I2F, 0), tl);
                th = ((FloatVector) p0.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).add(e0)
                        .fma((FloatVector) k0.lanewise(VectorOperators.LSHR, 16).convert(VectorOperators.I2F, 0), th);
                tl = ((FloatVector) p1.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).add(e1)
                        .fma((FloatVector) k1.and(0xffff).convert(VectorOperators.I2F, 0), tl);
                th = ((FloatVector) p1.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).add(e1)
                        .fma((FloatVector) k1.lanewise(VectorOperators.LSHR, 16).convert(VectorOperators.I2F, 0), th);
                FloatVector f0 = FloatVector.broadcast(F8, (float) s0), f1 = FloatVector.broadcast(F8, (float) s1);
                ul = ((FloatVector) n0.and(0xffff).convert(VectorOperators.I2F, 0)).fma(f0, ul);
                uh = ((FloatVector) n0.lanewise(VectorOperators.LSHR, 16).convert(VectorOperators.I2F, 0)).fma(f0, uh);
                ul = ((FloatVector) n1.and(0xffff).convert(VectorOperators.I2F, 0)).fma(f1, ul);
                uh = ((FloatVector) n1.lanewise(VectorOperators.LSHR, 16).convert(VectorOperators.I2F, 0)).fma(f1, uh);
            }
            IntVector h = IntVector.fromMemorySegment(I8, il, at, LE), hm = IntVector.fromMemorySegment(I8, il, at + 32, LE);
            FloatVector d = FloatVector.broadcast(F8, dq[bo + sb]);
            lo = tl.fma(h.lanewise(VectorOperators.LSHL, 16).and(0x80000000).or(h.lanewise(VectorOperators.LSHL, 13).and(0x0fffe000)).reinterpretAsFloats().mul(d), lo);
            hi = th.fma(h.and(0x80000000).or(h.lanewise(VectorOperators.LSHR, 3).and(0x0fffe000)).reinterpretAsFloats().mul(d), hi);
            lo = ul.neg().fma(hm.lanewise(VectorOperators.LSHL, 16).and(0x80000000).or(hm.lanewise(VectorOperators.LSHL, 13).and(0x0fffe000)).reinterpretAsFloats().mul(d), lo);
            hi = uh.neg().fma(hm.and(0x80000000).or(hm.lanewise(VectorOperators.LSHR, 3).and(0x0fffe000)).reinterpretAsFloats().mul(d), hi);
        }
        if (acc) {
            lo = FloatVector.fromArray(F8, out, o).add(lo);
            hi = FloatVector.fromArray(F8, out, o + 8).add(hi);
        }
        lo.intoArray(out, o);
        hi.intoArray(out, o + 8);
    }

    // q4kGroup4's scratch: per vector the float sums lo, hi (16 floats at 16i) and one
    // super-block's tl, th, ul, uh (32 at 64 + 32i), then its two int16 accumulators of a
    // sub-group pair (16 floats' bits at 192 + 16i).
    private static final int Q4K4_SCRATCH = 4 * 48 + 64;

    // q4kGroup for four activations (qi rows qo + i·k, i = 0..3): each chunk's nibbles decoded
    // once against four broadcasts, low nibbles then high (eight int16 accumulators in one loop
    // spilled), and each sub-group's scales and mins converted once. Per vector the arithmetic,
    // and so every bit, is q4kGroup's; its float sums wait in f between sub-groups and super-blocks.
    private static void q4kGroup4(MemorySegment il, long at, int nsb, int[] qi, int qo, int k, float[] dq, int bo, int[] sums, int so, float[] f, float[] out, int o, int rows, boolean acc) {
        java.util.Arrays.fill(f, 0, 4 * 16, 0f);
        for (int sb = 0; sb < nsb; sb++, at += Interleaved.blockBytes(DType.Q4_K), qo += 256, so += 8) {
            java.util.Arrays.fill(f, 64, 64 + 4 * 32, 0f);
            for (int j = 0; j < 4; j++) {
                ShortVector a0 = ShortVector.zero(S16), a1 = ShortVector.zero(S16), a2 = ShortVector.zero(S16), a3 = ShortVector.zero(S16);
                long v = at + Interleaved.Q4K_VALUES + 512L * j;
                int qj = qo + 64 * j;
                for (int l = 0; l < 32; l++) {
                    ShortVector x = ((ShortVector) ByteVector.fromMemorySegment(B16, il, v + 16 * l, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S16, 0)).and((short) 15);
                    int p = qj + l;
                    a0 = a0.add(x.mul(IntVector.broadcast(I8, qi[p]).reinterpretAsShorts()));
                    a1 = a1.add(x.mul(IntVector.broadcast(I8, qi[p + k]).reinterpretAsShorts()));
                    a2 = a2.add(x.mul(IntVector.broadcast(I8, qi[p + 2 * k]).reinterpretAsShorts()));
                    a3 = a3.add(x.mul(IntVector.broadcast(I8, qi[p + 3 * k]).reinterpretAsShorts()));
                }
                a0.reinterpretAsFloats().intoArray(f, 192);
                a1.reinterpretAsFloats().intoArray(f, 208);
                a2.reinterpretAsFloats().intoArray(f, 224);
                a3.reinterpretAsFloats().intoArray(f, 240);
                ShortVector c0 = ShortVector.zero(S16), c1 = ShortVector.zero(S16), c2 = ShortVector.zero(S16), c3 = ShortVector.zero(S16);
                for (int l = 0; l < 32; l++) {
                    ShortVector xh = ((ShortVector) ByteVector.fromMemorySegment(B16, il, v + 16 * l, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S16, 0))
                            .reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).and(0x000f000f).reinterpretAsShorts();
                    int p = qj + 32 + l;
                    c0 = c0.add(xh.mul(IntVector.broadcast(I8, qi[p]).reinterpretAsShorts()));
                    c1 = c1.add(xh.mul(IntVector.broadcast(I8, qi[p + k]).reinterpretAsShorts()));
                    c2 = c2.add(xh.mul(IntVector.broadcast(I8, qi[p + 2 * k]).reinterpretAsShorts()));
                    c3 = c3.add(xh.mul(IntVector.broadcast(I8, qi[p + 3 * k]).reinterpretAsShorts()));
                }
                c0.reinterpretAsFloats().intoArray(f, 200);
                c1.reinterpretAsFloats().intoArray(f, 216);
                c2.reinterpretAsFloats().intoArray(f, 232);
                c3.reinterpretAsFloats().intoArray(f, 248);
                IntVector k0 = ((ShortVector) ByteVector.fromMemorySegment(B16, il, at + 64 + 32 * j, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S16, 0)).reinterpretAsInts();
                IntVector k1 = ((ShortVector) ByteVector.fromMemorySegment(B16, il, at + 80 + 32 * j, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S16, 0)).reinterpretAsInts();
                IntVector n0 = ((ShortVector) ByteVector.fromMemorySegment(B16, il, at + 192 + 32 * j, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S16, 0)).reinterpretAsInts();
                IntVector n1 = ((ShortVector) ByteVector.fromMemorySegment(B16, il, at + 208 + 32 * j, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S16, 0)).reinterpretAsInts();
                FloatVector k0l = (FloatVector) k0.and(0xffff).convert(VectorOperators.I2F, 0), k0h = (FloatVector) k0.lanewise(VectorOperators.LSHR, 16).convert(VectorOperators.I2F, 0);
                FloatVector k1l = (FloatVector) k1.and(0xffff).convert(VectorOperators.I2F, 0), k1h = (FloatVector) k1.lanewise(VectorOperators.LSHR, 16).convert(VectorOperators.I2F, 0);
                FloatVector n0l = (FloatVector) n0.and(0xffff).convert(VectorOperators.I2F, 0), n0h = (FloatVector) n0.lanewise(VectorOperators.LSHR, 16).convert(VectorOperators.I2F, 0);
                FloatVector n1l = (FloatVector) n1.and(0xffff).convert(VectorOperators.I2F, 0), n1h = (FloatVector) n1.lanewise(VectorOperators.LSHR, 16).convert(VectorOperators.I2F, 0);
                for (int i = 0; i < 4; i++) {   // vector i: q4kGroup's sub-group step, its sums in f[64 + 32i ..]
                    int s0 = sums[so + i * (k / 32) + 2 * j], s1 = sums[so + i * (k / 32) + 2 * j + 1], t = 64 + 32 * i;
                    IntVector p0 = FloatVector.fromArray(F8, f, 192 + 16 * i).reinterpretAsShorts().sub((short) (8 * s0)).reinterpretAsInts();
                    IntVector p1 = FloatVector.fromArray(F8, f, 200 + 16 * i).reinterpretAsShorts().sub((short) (8 * s1)).reinterpretAsInts();
                    FloatVector e0 = FloatVector.broadcast(F8, 8f * s0), e1 = FloatVector.broadcast(F8, 8f * s1);
                    FloatVector tl = FloatVector.fromArray(F8, f, t), th = FloatVector.fromArray(F8, f, t + 8);
                    FloatVector ul = FloatVector.fromArray(F8, f, t + 16), uh = FloatVector.fromArray(F8, f, t + 24);
                    tl = ((FloatVector) p0.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).add(e0).fma(k0l, tl);
                    th = ((FloatVector) p0.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).add(e0).fma(k0h, th);
                    tl = ((FloatVector) p1.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).add(e1).fma(k1l, tl);
                    th = ((FloatVector) p1.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).add(e1).fma(k1h, th);
                    FloatVector f0 = FloatVector.broadcast(F8, (float) s0), f1 = FloatVector.broadcast(F8, (float) s1);
                    ul = n0l.fma(f0, ul);
                    uh = n0h.fma(f0, uh);
                    ul = n1l.fma(f1, ul);
                    uh = n1h.fma(f1, uh);
                    tl.intoArray(f, t);
                    th.intoArray(f, t + 8);
                    ul.intoArray(f, t + 16);
                    uh.intoArray(f, t + 24);
                }
            }
            IntVector h = IntVector.fromMemorySegment(I8, il, at, LE), hm = IntVector.fromMemorySegment(I8, il, at + 32, LE);
            FloatVector dl = h.lanewise(VectorOperators.LSHL, 16).and(0x80000000).or(h.lanewise(VectorOperators.LSHL, 13).and(0x0fffe000)).reinterpretAsFloats();
            FloatVector dh = h.and(0x80000000).or(h.lanewise(VectorOperators.LSHR, 3).and(0x0fffe000)).reinterpretAsFloats();
            FloatVector ml = hm.lanewise(VectorOperators.LSHL, 16).and(0x80000000).or(hm.lanewise(VectorOperators.LSHL, 13).and(0x0fffe000)).reinterpretAsFloats();
            FloatVector mh = hm.and(0x80000000).or(hm.lanewise(VectorOperators.LSHR, 3).and(0x0fffe000)).reinterpretAsFloats();
            for (int i = 0; i < 4; i++) {
                int t = 64 + 32 * i;
                FloatVector d = FloatVector.broadcast(F8, dq[bo + i * nsb + sb]);
                FloatVector lo = FloatVector.fromArray(F8, f, 16 * i), hi = FloatVector.fromArray(F8, f, 16 * i + 8);
                lo = FloatVector.fromArray(F8, f, t).fma(dl.mul(d), lo);
                hi = FloatVector.fromArray(F8, f, t + 8).fma(dh.mul(d), hi);
                lo = FloatVector.fromArray(F8, f, t + 16).neg().fma(ml.mul(d), lo);
                hi = FloatVector.fromArray(F8, f, t + 24).neg().fma(mh.mul(d), hi);
                lo.intoArray(f, 16 * i);
                hi.intoArray(f, 16 * i + 8);
            }
        }
        storeSums(f, 4, out, o, rows, acc);
    }

    // q6kGroup for four activations (qi rows qo + i·k): each of the four value classes of a byte
    // (q6kGroup's a1..a4) in its own pass, its 6-bit values formed once against four broadcasts,
    // and each group scale converted once. Per vector the arithmetic, and so every bit, is
    // q6kGroup's (the same sums in the same order); f as in q4kGroup4 (lo, hi at 16i; a
    // super-block's tl, th at 64 + 32i; the class's int16 accumulators at 192 + 16i).
    private static void q6kGroup4(MemorySegment il, long at, int nsb, int[] qi, int qo, int k, float[] dq, int bo, int[] s8, int so, float[] f, float[] out, int o, int rows, boolean acc) {
        java.util.Arrays.fill(f, 0, 4 * 16, 0f);
        for (int sb = 0; sb < nsb; sb++, at += Interleaved.blockBytes(DType.Q6_K), qo += 256, so += 32) {
            java.util.Arrays.fill(f, 64, 64 + 4 * 32, 0f);
            for (int n = 0; n < 2; n++) {
                for (int e = 0; e < 4; e++) {
                    long v = at + Interleaved.Q6K_VALUES + 48L * (32 * n + 8 * e);
                    int q1 = qo + 128 * n + 8 * e, g = 8 * n + e / 2, c = so + 16 * n + e;
                    for (int j = 0; j < 4; j++) {   // class j: values 128n + 8e + 32j .. + 8
                        ShortVector a0 = ShortVector.zero(S16), a1 = ShortVector.zero(S16), a2 = ShortVector.zero(S16), a3 = ShortVector.zero(S16);
                        int qj = q1 + 32 * j;
                        for (int l = 0; l < 8; l++) {
                            IntVector xl = ((ShortVector) ByteVector.fromMemorySegment(B16, il, v + 48 * l + 16 * (j & 1), LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S16, 0)).reinterpretAsInts();
                            IntVector xh = ((ShortVector) ByteVector.fromMemorySegment(B16, il, v + 48 * l + 32, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S16, 0)).reinterpretAsInts();
                            ShortVector x = switch (j) {
                                case 0 -> xl.and(0x000f000f).or(xh.and(0x00030003).lanewise(VectorOperators.LSHL, 4)).reinterpretAsShorts();
                                case 1 -> xl.and(0x000f000f).or(xh.and(0x000c000c).lanewise(VectorOperators.LSHL, 2)).reinterpretAsShorts();
                                case 2 -> xl.lanewise(VectorOperators.LSHR, 4).and(0x000f000f).or(xh.and(0x00300030)).reinterpretAsShorts();
                                default -> xl.lanewise(VectorOperators.LSHR, 4).and(0x000f000f).or(xh.lanewise(VectorOperators.LSHR, 2).and(0x00300030)).reinterpretAsShorts();
                            };
                            int p = qj + l;
                            a0 = a0.add(x.mul(IntVector.broadcast(I8, qi[p]).reinterpretAsShorts()));
                            a1 = a1.add(x.mul(IntVector.broadcast(I8, qi[p + k]).reinterpretAsShorts()));
                            a2 = a2.add(x.mul(IntVector.broadcast(I8, qi[p + 2 * k]).reinterpretAsShorts()));
                            a3 = a3.add(x.mul(IntVector.broadcast(I8, qi[p + 3 * k]).reinterpretAsShorts()));
                        }
                        a0.reinterpretAsFloats().intoArray(f, 192);
                        a1.reinterpretAsFloats().intoArray(f, 208);
                        a2.reinterpretAsFloats().intoArray(f, 224);
                        a3.reinterpretAsFloats().intoArray(f, 240);
                        IntVector kj = ((ShortVector) ByteVector.fromMemorySegment(B16, il, at + 32 + 16L * (g + 2 * j), LE).convertShape(VectorOperators.B2S, S16, 0)).reinterpretAsInts();
                        FloatVector kl = (FloatVector) kj.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0);
                        FloatVector kh = (FloatVector) kj.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0);
                        for (int i = 0; i < 4; i++) {
                            int t = 64 + 32 * i;
                            IntVector pj = FloatVector.fromArray(F8, f, 192 + 16 * i).reinterpretAsShorts().sub((short) (32 * s8[c + i * (k / 8) + 4 * j])).reinterpretAsInts();
                            ((FloatVector) pj.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0))
                                    .fma(kl, FloatVector.fromArray(F8, f, t)).intoArray(f, t);
                            ((FloatVector) pj.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0))
                                    .fma(kh, FloatVector.fromArray(F8, f, t + 8)).intoArray(f, t + 8);
                        }
                    }
                }
            }
            IntVector h = IntVector.fromMemorySegment(I8, il, at, LE);
            FloatVector dl = h.lanewise(VectorOperators.LSHL, 16).and(0x80000000).or(h.lanewise(VectorOperators.LSHL, 13).and(0x0fffe000)).reinterpretAsFloats();
            FloatVector dh = h.and(0x80000000).or(h.lanewise(VectorOperators.LSHR, 3).and(0x0fffe000)).reinterpretAsFloats();
            for (int i = 0; i < 4; i++) {
                int t = 64 + 32 * i;
                FloatVector d = FloatVector.broadcast(F8, dq[bo + i * nsb + sb]);
                FloatVector.fromArray(F8, f, t).fma(dl.mul(d), FloatVector.fromArray(F8, f, 16 * i)).intoArray(f, 16 * i);
                FloatVector.fromArray(F8, f, t + 8).fma(dh.mul(d), FloatVector.fromArray(F8, f, 16 * i + 8)).intoArray(f, 16 * i + 8);
            }
        }
        storeSums(f, 4, out, o, rows, acc);
    }

    // Q4_K rows r0 .. r0 + cnt (whole groups), columns [pc, pc + kc) (multiples of 32), from the
    // copy into an nr-wide panel as packBT does: the same floats as kChunk, (d·sc)·n − dmin·m.
    private static void panelInterleavedK(MemorySegment il, int nsb, int r0, int cnt, int nr, int pc, int kc, float[] dst, int base) {
        int gb = Interleaved.blockBytes(DType.Q4_K);
        for (int h0 = 0; h0 < cnt; h0 += Interleaved.ROWS) {
            int g = (r0 + h0) / Interleaved.ROWS;
            for (int c32 = pc / 32; c32 < (pc + kc) / 32; c32++) {
                int c = c32 & 7, shift = 4 * (c & 1);
                long at = ((long) g * nsb + c32 / 8) * gb;
                IntVector h = IntVector.fromMemorySegment(I8, il, at, LE), hm = IntVector.fromMemorySegment(I8, il, at + 32, LE);
                IntVector sc = ((ShortVector) ByteVector.fromMemorySegment(B16, il, at + 64 + 16 * c, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S16, 0)).reinterpretAsInts();
                IntVector mn = ((ShortVector) ByteVector.fromMemorySegment(B16, il, at + 192 + 16 * c, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S16, 0)).reinterpretAsInts();
                FloatVector dLo = h.lanewise(VectorOperators.LSHL, 16).and(0x80000000).or(h.lanewise(VectorOperators.LSHL, 13).and(0x0fffe000)).reinterpretAsFloats().mul(0x1p112f)
                        .mul((FloatVector) sc.and(0xffff).convert(VectorOperators.I2F, 0));
                FloatVector dHi = h.and(0x80000000).or(h.lanewise(VectorOperators.LSHR, 3).and(0x0fffe000)).reinterpretAsFloats().mul(0x1p112f)
                        .mul((FloatVector) sc.lanewise(VectorOperators.LSHR, 16).convert(VectorOperators.I2F, 0));
                FloatVector mLo = hm.lanewise(VectorOperators.LSHL, 16).and(0x80000000).or(hm.lanewise(VectorOperators.LSHL, 13).and(0x0fffe000)).reinterpretAsFloats().mul(0x1p112f)
                        .mul((FloatVector) mn.and(0xffff).convert(VectorOperators.I2F, 0));
                FloatVector mHi = hm.and(0x80000000).or(hm.lanewise(VectorOperators.LSHR, 3).and(0x0fffe000)).reinterpretAsFloats().mul(0x1p112f)
                        .mul((FloatVector) mn.lanewise(VectorOperators.LSHR, 16).convert(VectorOperators.I2F, 0));
                long v = at + Interleaved.Q4K_VALUES + 512L * (c >>> 1);
                int d0 = base + (32 * c32 - pc) * nr + h0;
                for (int l = 0; l < 32; l++) {
                    IntVector x = ((ShortVector) ByteVector.fromMemorySegment(B16, il, v + 16 * l, LE)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2S, S16, 0)).reinterpretAsInts().lanewise(VectorOperators.LSHR, shift).and(0x000f000f);
                    ((FloatVector) x.and(0xffff).convert(VectorOperators.I2F, 0)).mul(dLo).sub(mLo).intoArray(dst, d0 + l * nr);
                    ((FloatVector) x.lanewise(VectorOperators.LSHR, 16).convert(VectorOperators.I2F, 0)).mul(dHi).sub(mHi).intoArray(dst, d0 + l * nr + 8);
                }
            }
        }
    }

    // Q6_K rows r0 .. r0 + cnt (whole groups), columns [pc, pc + kc) (multiples of 32), from the
    // copy into an nr-wide panel as packBT does: the same floats as kChunk, (d·sc)·(v − 32).
    private static void panelInterleavedK6(MemorySegment il, int nsb, int r0, int cnt, int nr, int pc, int kc, float[] dst, int base) {
        int gb = Interleaved.blockBytes(DType.Q6_K);
        for (int h0 = 0; h0 < cnt; h0 += Interleaved.ROWS) {
            int g = (r0 + h0) / Interleaved.ROWS;
            for (int c32 = pc / 32; c32 < (pc + kc) / 32; c32++) {
                int n = (c32 & 7) >>> 2, quarter = c32 & 3, lowShift = 4 * (quarter >>> 1), highShift = 2 * quarter;
                long at = ((long) g * nsb + c32 / 8) * gb;
                IntVector h = IntVector.fromMemorySegment(I8, il, at, LE);
                FloatVector dLo = h.lanewise(VectorOperators.LSHL, 16).and(0x80000000).or(h.lanewise(VectorOperators.LSHL, 13).and(0x0fffe000)).reinterpretAsFloats().mul(0x1p112f);
                FloatVector dHi = h.and(0x80000000).or(h.lanewise(VectorOperators.LSHR, 3).and(0x0fffe000)).reinterpretAsFloats().mul(0x1p112f);
                long v0 = at + Interleaved.Q6K_VALUES + 48L * 32 * n, ql = v0 + 16 * (quarter & 1), qh = v0 + 32;
                int d0 = base + (32 * c32 - pc) * nr + h0;
                for (int half = 0; half < 2; half++) {
                    IntVector sc = ((ShortVector) ByteVector.fromMemorySegment(B16, il, at + 32 + 16L * (8 * n + 2 * quarter + half), LE)
                            .convertShape(VectorOperators.B2S, S16, 0)).reinterpretAsInts();
                    FloatVector sLo = dLo.mul((FloatVector) sc.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0));
                    FloatVector sHi = dHi.mul((FloatVector) sc.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0));
                    for (int l = 16 * half; l < 16 * half + 16; l++) {
                        IntVector lo4 = ((ShortVector) ByteVector.fromMemorySegment(B16, il, ql + 48L * l, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S16, 0)).reinterpretAsInts()
                                .lanewise(VectorOperators.LSHR, lowShift).and(0x000f000f);
                        IntVector hi2 = ((ShortVector) ByteVector.fromMemorySegment(B16, il, qh + 48L * l, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S16, 0)).reinterpretAsInts()
                                .lanewise(VectorOperators.LSHR, highShift).and(0x00030003);
                        IntVector v = lo4.or(hi2.lanewise(VectorOperators.LSHL, 4));
                        ((FloatVector) v.and(0xffff).sub(32).convert(VectorOperators.I2F, 0)).mul(sLo).intoArray(dst, d0 + l * nr);
                        ((FloatVector) v.lanewise(VectorOperators.LSHR, 16).sub(32).convert(VectorOperators.I2F, 0)).mul(sHi).intoArray(dst, d0 + l * nr + 8);
                    }
                }
            }
        }
    }

    // Packs rows r0 .. r0 + cnt (whole groups) of W, columns [pc, pc + kc) (block-aligned), from
    // the interleaved copy into an nr-wide panel dst[base + p·nr + j] as packBT does: the same
    // floats q·d as row().
    private static void panelInterleaved(MemorySegment il, DType type, int nb, int r0, int cnt, int nr, int pc, int kc, float[] dst, int base) {
        boolean q4 = type == DType.Q4_0;
        int gb = Interleaved.blockBytes(type);
        for (int h0 = 0; h0 < cnt; h0 += Interleaved.ROWS) {
            int g = (r0 + h0) / Interleaved.ROWS;
            for (int b = pc / 32; b < (pc + kc) / 32; b++) {
                long at = ((long) g * nb + b) * gb;
                IntVector h = IntVector.fromMemorySegment(I8, il, at, LE);
                FloatVector sLo = h.lanewise(VectorOperators.LSHL, 16).and(0x80000000).or(h.lanewise(VectorOperators.LSHL, 13).and(0x0fffe000)).reinterpretAsFloats().mul(0x1p112f), sHi = h.and(0x80000000).or(h.lanewise(VectorOperators.LSHR, 3).and(0x0fffe000)).reinterpretAsFloats().mul(0x1p112f);
                int d0 = base + (32 * b - pc) * nr + h0;
                if (q4) {
                    for (int e = 0; e < 16; e++) {
                        IntVector x = ((ShortVector) ByteVector.fromMemorySegment(B16, il, at + 32 + 16 * e, LE)
                                .convertShape(VectorOperators.ZERO_EXTEND_B2S, S16, 0)).reinterpretAsInts();
                        IntVector xl = x.and(0x000f000f), xh = x.lanewise(VectorOperators.LSHR, 4).and(0x000f000f);
                        int de = d0 + e * nr, dh = d0 + (e + 16) * nr;
                        ((FloatVector) xl.and(0xffff).sub(8).convert(VectorOperators.I2F, 0)).mul(sLo).intoArray(dst, de);
                        ((FloatVector) xl.lanewise(VectorOperators.LSHR, 16).sub(8).convert(VectorOperators.I2F, 0)).mul(sHi).intoArray(dst, de + 8);
                        ((FloatVector) xh.and(0xffff).sub(8).convert(VectorOperators.I2F, 0)).mul(sLo).intoArray(dst, dh);
                        ((FloatVector) xh.lanewise(VectorOperators.LSHR, 16).sub(8).convert(VectorOperators.I2F, 0)).mul(sHi).intoArray(dst, dh + 8);
                    }
                } else {
                    for (int e = 0; e < 32; e++) {
                        IntVector x = ((ShortVector) ByteVector.fromMemorySegment(B16, il, at + 32 + 16 * e, LE)
                                .convertShape(VectorOperators.B2S, S16, 0)).reinterpretAsInts();
                        int de = d0 + e * nr;
                        ((FloatVector) x.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).mul(sLo).intoArray(dst, de);
                        ((FloatVector) x.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0)).mul(sHi).intoArray(dst, de + 8);
                    }
                }
            }
        }
    }

    // Σ of the 32 rounded activations of a block (|Σ| <= 32·127: exact in int16 lanes)
    private static int blockSum(short[] q, int o) {
        return ShortVector.fromArray(S16, q, o).add(ShortVector.fromArray(S16, q, o + 16)).reduceLanes(VectorOperators.ADD);
    }

    // A row's scales before its products: dd[b] = d_w·d_x for its blocks, and with c given,
    // dd[nb..nb + 8) = lanes whose sum is Σ_b d_w·c[cOff + b] (Q4_0's −8 term, folded into the
    // row's accumulator before its one sum). The f16 d_w come from the matrix's contiguous copy
    // (BlockScales): reading each scale from its 18- or 34-byte block in the loop, a scalar 16-bit
    // load and conversion per block, cost a third of the time (2048x2048 in cache, one thread:
    // Q4_0 9.5 -> 13 G values/s without it). Eight convert at a time in lanes: exponent and
    // mantissa moved up 13 bits and scaled by 2^112 (exact for normals and subnormals; halfToFloat's
    // operations without its special-value blend, written out: as a call it was not always
    // inlined here, and boxed); a matrix with an infinite or NaN scale (Scales.special) takes
    // Float.float16ToFloat per block instead.
    private static void rowScales(short[] scales, boolean special, int so, int nb, float[] d, int dOff, float[] c, int cOff, float[] dd) {
        FloatVector cv = FloatVector.zero(F8);
        int b = 0;
        if (!special) {
            for (; b + 8 <= nb; b += 8) {
                IntVector x = (IntVector) ShortVector.fromArray(H8, scales, so + b).convertShape(VectorOperators.ZERO_EXTEND_S2I, I8, 0);
                FloatVector h = x.and(0x8000).lanewise(VectorOperators.LSHL, 16).or(x.and(0x7fff).lanewise(VectorOperators.LSHL, 13))
                        .reinterpretAsFloats().mul(0x1p112f);
                h.mul(FloatVector.fromArray(F8, d, dOff + b)).intoArray(dd, b);
                if (c != null) cv = h.fma(FloatVector.fromArray(F8, c, cOff + b), cv);
            }
        }
        float corr = 0f;
        for (; b < nb; b++) {
            float h = Float.float16ToFloat(scales[so + b]);
            dd[b] = h * d[dOff + b];
            if (c != null) corr += h * c[cOff + b];
        }
        if (c != null) cv.add(FloatVector.zero(F8).withLane(0, corr)).intoArray(dd, nb);
    }

    // One row's blocks, read in place from the mapping, against the rounded activation q[qo..]
    // with scales d[dOff..]. The lane operations are spelled out here rather than in helpers: as
    // helper methods, C2's inlining heuristics left some calls out and the vectors were boxed.
    private static float q8Row(MemorySegment seg, long at, int nb, short[] scales, boolean special, int so, short[] q, int qo, float[] d, int dOff, float[] dd) {
        rowScales(scales, special, so, nb, d, dOff, null, 0, dd);
        FloatVector a0 = FloatVector.zero(F8);
        for (int b = 0; b < nb; b++, at += 34, qo += 32) {
            ShortVector w0 = (ShortVector) ByteVector.fromMemorySegment(B16, seg, at + 2, LE).convertShape(VectorOperators.B2S, S16, 0);
            ShortVector w1 = (ShortVector) ByteVector.fromMemorySegment(B16, seg, at + 18, LE).convertShape(VectorOperators.B2S, S16, 0);
            IntVector p = w0.mul(ShortVector.fromArray(S16, q, qo)).add(w1.mul(ShortVector.fromArray(S16, q, qo + 16))).reinterpretAsInts();
            a0 = ((FloatVector) p.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).add(p.lanewise(VectorOperators.ASHR, 16))
                    .convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(F8, dd[b]), a0);
        }
        return VectorMath.sum(a0);
    }

    // Q4_0: the nibbles 0..15 (zero-extended bytes, a mask and a shift) times q, |Σ of four
    // products| <= 4·15·127, so the pairs sum in int16 ((p + (p << 16)) >> 16); the −8 comes off
    // as Σ_b d_w·(8·d_x·Σq_x), from d[cOff..], the accumulator's starting value. The high nibbles
    // shift as int32 lanes by an immediate and are masked per 16-bit half: a 16-bit lane shift
    // compiled to a register-count vpsrlw plus a vmovd per block (~4% slower).
    private static float q4Row(MemorySegment seg, long at, int nb, short[] scales, boolean special, int so, short[] q, int qo, float[] d, int dOff, int cOff, float[] dd) {
        rowScales(scales, special, so, nb, d, dOff, d, cOff, dd);
        FloatVector a0 = FloatVector.fromArray(F8, dd, nb).neg();
        for (int b = 0; b < nb; b++, at += 18, qo += 32) {
            ShortVector w = (ShortVector) ByteVector.fromMemorySegment(B16, seg, at + 2, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S16, 0);
            ShortVector wh = w.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).and(0x000f000f).reinterpretAsShorts();
            IntVector p = w.and((short) 15).mul(ShortVector.fromArray(S16, q, qo)).add(wh.mul(ShortVector.fromArray(S16, q, qo + 16))).reinterpretAsInts();
            a0 = ((FloatVector) p.add(p.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16)
                    .convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(F8, dd[b]), a0);
        }
        return VectorMath.sum(a0);
    }

    private static final VectorSpecies<Short> H8 = ShortVector.SPECIES_128;

    // ---- Q4_K / Q6_K rows against the activation rounded to Q8_K blocks (KQuant.roundActivation), as llama.cpp ----
    // Per 256-value super-block the integer products of each scale group (Q4_K: 32 values, Q6_K:
    // 16) are formed in int16 lanes and pairs summed into int32 lanes. Q6_K multiplies them by the
    // group's integer scale and sums in int32 (exact: |Σ| < 2^31), one conversion to float per
    // super-block, times d_w·d_x; Q4_K converts each group's sums to float and multiplies them by
    // d_w·d_x·scale (float scales from BlockScales' decoded copy). The constant parts (Q4_K's −dmin·m, Q6_K's −32) are taken out of the
    // lanes with the activation's 32- and 16-value sums (Σ m·Σx, 32·Σ sc·Σx), themselves in lanes.

    private static final VectorSpecies<Integer> I8 = IntVector.SPECIES_256;
    private static final java.lang.foreign.ValueLayout.OfLong J64 = java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED.withOrder(LE);

    /**
     * KQuant.roundActivation of x[off..off + k) with lanes, the same bits: max|x| by lanes (exact),
     * the signed value of the first element of that magnitude found in scalar (as the
     * specification's strict comparison), nearest() by the same float addition in lanes.
     */
    static void roundActivationK(float[] x, int off, int k, short[] q, int qOff, float[] d, int dOff, int[] sums, int sOff) {
        if (!INT_DOT) {
            KQuant.roundActivation(x, off, k, q, qOff, d, dOff, sums, sOff);
            return;
        }
        for (int b = 0, o = off; b < k / 256; b++, o += 256) {
            FloatVector mv = FloatVector.fromArray(F8, x, o).abs();
            for (int j = 8; j < 256; j += 8) mv = mv.max(FloatVector.fromArray(F8, x, o + j).abs());
            float amax = mv.reduceLanes(VectorOperators.MAX);
            if (amax == 0f || amax != amax) {   // zeros, or a NaN that the lanes' max propagates and the specification skips
                KQuant.roundActivation(x, o, 256, q, qOff + b * 256, d, dOff + b, sums, sOff + b * 16);
                continue;
            }
            int first = 0;
            while (Math.abs(x[o + first]) != amax) first++;
            float iscale = -127f / x[o + first];
            for (int g = 0; g < 16; g++) {
                int j = o + 16 * g, qj = qOff + b * 256 + 16 * g;
                IntVector v0 = FloatVector.fromArray(F8, x, j).mul(iscale).add(12582912f).reinterpretAsInts().and(0x7fffff).sub(0x400000).min(127);
                IntVector v1 = FloatVector.fromArray(F8, x, j + 8).mul(iscale).add(12582912f).reinterpretAsInts().and(0x7fffff).sub(0x400000).min(127);
                ((ShortVector) v0.convertShape(VectorOperators.I2S, ShortVector.SPECIES_128, 0)).intoArray(q, qj);
                ((ShortVector) v1.convertShape(VectorOperators.I2S, ShortVector.SPECIES_128, 0)).intoArray(q, qj + 8);
                sums[sOff + b * 16 + g] = v0.add(v1).reduceLanes(VectorOperators.ADD);
            }
            d[dOff + b] = 1f / iscale;
        }
    }

    private static void gemvRowsK(int t, Weight.Mapped w, int m, float[] vec, int vecOff, float[] out, int outOff, boolean acc) {
        int rows = w.rows(), k = w.cols(), nsb = k / 256;
        int minRows = Math.max(4, VectorKernels.PARALLEL_ELEMENTS / Math.max(1, k));
        MemorySegment seg = w.seg();
        DType type = w.type();
        if (!INT_DOT) {
            floatLaneRows(t, w, m, roundedRows(type, t, vec, vecOff, m, k), out, outOff, acc, minRows);
            return;
        }
        if (gemvEach(t, m, new Weight.Mapped[] {w}, vec, vecOff, new float[][] {out}, new int[] {outOff}, acc)) return;   // through the copy
        QScratch s = QSCRATCH.get();
        if (s.q.length < m * k) s.q = new short[m * k];
        if (s.d.length < m * nsb) s.d = new float[m * nsb];
        if (s.sums.length < m * k / 16) s.sums = new int[m * k / 16];
        short[] q = s.q;
        float[] d = s.d;
        int[] sums = s.sums;
        for (int i = 0; i < m; i++) roundActivationK(vec, vecOff + i * k, k, q, i * k, d, i * nsb, sums, i * (k / 16));
        boolean q4 = type == DType.Q4_K;
        if (q4) for (int g = 0; g < m * k / 32; g++) sums[g] = sums[2 * g] + sums[2 * g + 1];   // Q4_K's mins take 32-value sums
        long rb = (long) nsb * type.blockBytes;
        BlockScales.Scales bs = q4 ? BlockScales.of(w, t) : null;
        Parallel.forRangeBalanced(t, rows, 4, minRows, (ci, r0, r1) -> {
            float[] fs = q4 ? new float[8 * nsb] : null;
            for (int r = r0; r < r1; r++) {
                for (int i = 0; i < m; i++) {
                    float v = q4 ? q4kRow(seg, r * rb, nsb, bs, r * nsb, q, i * k, d, i * nsb, sums, i * (k / 32), fs)
                            : q6kRow(seg, r * rb, nsb, q, i * k, d, i * nsb, sums, i * (k / 16));
                    int o = outOff + i * rows + r;
                    out[o] = acc ? out[o] + v : v;
                }
            }
        });
    }

    // One Q4_K row. First, per super-block, from its decoded scales (BlockScales): the eight
    // group scales d_w·d_x·sc as floats into fs[], and the mins' term Σ dmin·d_x·m_c·Σx_c in float
    // lanes (the accumulator's starting value, negated). Then the integer products, each group's
    // int32 sums converted to float and multiplied by its scale (two accumulators). Decoding the 12
    // packed scale bytes and the two f16 per super-block here, from the mapping, with an int32
    // multiply by the scale, left the row at ~7.5 G values/s on one core in cache; 12.5-13 now.
    private static float q4kRow(MemorySegment seg, long at0, int nsb, BlockScales.Scales bs, int g0, short[] q, int qo, float[] d, int dOff,
                                int[] sums32, int so, float[] fs) {
        byte[] sm = bs.scaleMin();
        float[] dm = bs.dMin();
        FloatVector mv = FloatVector.zero(F8);
        for (int sb = 0, g = g0; sb < nsb; sb++, g++) {
            float dy = d[dOff + sb];
            IntVector scales = (IntVector) ByteVector.fromArray(B8, sm, 16 * g).convertShape(VectorOperators.B2I, I8, 0);
            ((FloatVector) scales.convert(VectorOperators.I2F, 0)).mul(dm[2 * g] * dy).intoArray(fs, 8 * sb);
            IntVector mins = (IntVector) ByteVector.fromArray(B8, sm, 16 * g + 8).convertShape(VectorOperators.B2I, I8, 0);
            mv = ((FloatVector) mins.mul(IntVector.fromArray(I8, sums32, so + 8 * sb)).convert(VectorOperators.I2F, 0))
                    .fma(FloatVector.broadcast(F8, dm[2 * g + 1] * dy), mv);
        }
        FloatVector a0 = mv.neg(), a1 = FloatVector.zero(F8);
        long at = at0 + 16;
        for (int c = 0; c < 8 * nsb; c += 2, qo += 64) {
            long qs = at + 144L * (c >>> 3) + 16L * (c & 7);
            ShortVector w0 = (ShortVector) ByteVector.fromMemorySegment(B16, seg, qs, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S16, 0);
            ShortVector w1 = (ShortVector) ByteVector.fromMemorySegment(B16, seg, qs + 16, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S16, 0);
            IntVector pl = w0.and((short) 15).mul(ShortVector.fromArray(S16, q, qo))
                    .add(w1.and((short) 15).mul(ShortVector.fromArray(S16, q, qo + 16))).reinterpretAsInts();
            // high nibbles shifted as int32 lanes by an immediate, masked per 16-bit half (see q4Row)
            IntVector ph = w0.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).and(0x000f000f).reinterpretAsShorts().mul(ShortVector.fromArray(S16, q, qo + 32))
                    .add(w1.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).and(0x000f000f).reinterpretAsShorts().mul(ShortVector.fromArray(S16, q, qo + 48))).reinterpretAsInts();
            // pairs of int16 summed into int32 lanes: (p + (p << 16)) >> 16 = high + low (signed)
            a0 = ((FloatVector) pl.add(pl.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0))
                    .fma(FloatVector.broadcast(F8, fs[c]), a0);
            a1 = ((FloatVector) ph.add(ph.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0))
                    .fma(FloatVector.broadcast(F8, fs[c + 1]), a1);
        }
        return VectorMath.sum(a0.add(a1));
    }

    private static final VectorSpecies<Byte> B8 = ByteVector.SPECIES_64;

    // One Q6_K row: per 16-value group the 6-bit values (0..63) times the activation in int16,
    // pairs summed into int32 lanes, times the group's int8 scale; the −32 of every value comes
    // off as 32·Σ scale·Σx, with the sixteen scales of a super-block widened to int lanes.
    private static float q6kRow(MemorySegment seg, long at, int nsb, short[] q, int qo, float[] d, int dOff, int[] sums, int so) {
        FloatVector a0 = FloatVector.zero(F8), bias = FloatVector.zero(F8);
        for (int sb = 0; sb < nsb; sb++, at += 210, qo += 256, so += 16) {
            IntVector acc = IntVector.zero(I8);
            for (int n = 0; n < 2; n++) {
                long ql = at + 64L * n, qh = at + 128 + 32L * n;
                long scales = seg.get(J64, at + 192 + 8L * n);
                for (int h = 0; h < 2; h++) {
                    int a = qo + 128 * n + 16 * h;
                    // Zero-extended bytes as int32 lanes (two 16-bit values each), shifted by an
                    // immediate and masked per 16-bit half: shifts of 16-bit lanes compiled to a
                    // register-count shift plus a move each (the int32 form: 17% faster). Float
                    // group scales (cvt + fma per group instead of the int32 multiply) were slower.
                    IntVector l0 = ((ShortVector) ByteVector.fromMemorySegment(B16, seg, ql + 16 * h, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S16, 0)).reinterpretAsInts();
                    IntVector l1 = ((ShortVector) ByteVector.fromMemorySegment(B16, seg, ql + 32 + 16 * h, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S16, 0)).reinterpretAsInts();
                    IntVector hb = ((ShortVector) ByteVector.fromMemorySegment(B16, seg, qh + 16 * h, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S16, 0)).reinterpretAsInts();
                    int s0 = (byte) (scales >>> 8 * h), s1 = (byte) (scales >>> 8 * (2 + h));
                    int s2 = (byte) (scales >>> 8 * (4 + h)), s3 = (byte) (scales >>> 8 * (6 + h));
                    IntVector p1 = l0.and(0x000f000f).or(hb.and(0x00030003).lanewise(VectorOperators.LSHL, 4)).reinterpretAsShorts()
                            .mul(ShortVector.fromArray(S16, q, a)).reinterpretAsInts();
                    IntVector p2 = l1.and(0x000f000f).or(hb.and(0x000c000c).lanewise(VectorOperators.LSHL, 2)).reinterpretAsShorts()
                            .mul(ShortVector.fromArray(S16, q, a + 32)).reinterpretAsInts();
                    IntVector p3 = l0.lanewise(VectorOperators.LSHR, 4).and(0x000f000f).or(hb.and(0x00300030)).reinterpretAsShorts()
                            .mul(ShortVector.fromArray(S16, q, a + 64)).reinterpretAsInts();
                    IntVector p4 = l1.lanewise(VectorOperators.LSHR, 4).and(0x000f000f).or(hb.lanewise(VectorOperators.LSHR, 2).and(0x00300030)).reinterpretAsShorts()
                            .mul(ShortVector.fromArray(S16, q, a + 96)).reinterpretAsInts();
                    acc = acc.add(p1.add(p1.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16).mul(s0))
                            .add(p2.add(p2.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16).mul(s1))
                            .add(p3.add(p3.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16).mul(s2))
                            .add(p4.add(p4.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16).mul(s3));
                }
            }
            float dd = Float.float16ToFloat(seg.get(Weight.Mapped.H, at + 208)) * d[dOff + sb];
            FloatVector ddv = FloatVector.broadcast(F8, dd);
            a0 = ((FloatVector) acc.convert(VectorOperators.I2F, 0)).fma(ddv, a0);
            // Σ_g scale_g · Σx_g over the sixteen groups (scales bytes 192..207, group g = 16 values)
            IntVector sc0 = (IntVector) ByteVector.fromMemorySegment(B8, seg, at + 192, LE).convertShape(VectorOperators.B2I, I8, 0);
            IntVector sc1 = (IntVector) ByteVector.fromMemorySegment(B8, seg, at + 200, LE).convertShape(VectorOperators.B2I, I8, 0);
            IntVector gs = sc0.mul(IntVector.fromArray(I8, sums, so)).add(sc1.mul(IntVector.fromArray(I8, sums, so + 8)));
            bias = ((FloatVector) gs.convert(VectorOperators.I2F, 0)).fma(ddv, bias);
        }
        return VectorMath.sum(a0) - 32 * VectorMath.sum(bias);
    }

    // KQuant.chunk32 in lanes, the same operations (Q4_K: (d·sc)·q − dmin·m, not fused; Q6_K:
    // (d·sc)·(q − 32)): the 32 values at flat index e (a multiple of 32) into dst[dOff..].
    private static void kChunk(MemorySegment seg, DType type, long e, float[] dst, int dOff) {
        long b = (e >>> 8) * type.blockBytes;
        int c = (int) (e >>> 5) & 7;
        if (type == DType.Q4_K) {
            int sm = KQuant.scaleMin(seg, b + 4, c);
            float d = Float.float16ToFloat(seg.get(Weight.Mapped.H, b)) * (sm & 0xFFFF);
            float m = Float.float16ToFloat(seg.get(Weight.Mapped.H, b + 2)) * (sm >>> 16);
            long q = b + 16 + (c >>> 1) * 32;
            int shift = (c & 1) * 4;
            for (int l = 0; l < 32; l += 8) {
                ByteVector v = ByteVector.fromMemorySegment(B8, seg, q + l, LE).lanewise(VectorOperators.LSHR, shift).and((byte) 15);
                ((FloatVector) v.convertShape(VectorOperators.B2F, F8, 0)).mul(d).sub(m).intoArray(dst, dOff + l);
            }
            return;
        }
        int n = c >>> 2, quarter = c & 3;
        long ql = b + 64L * n + (quarter & 1) * 32, qh = b + 128 + 32L * n;
        int lowShift = (quarter >>> 1) * 4, highShift = 2 * quarter;
        float d = Float.float16ToFloat(seg.get(Weight.Mapped.H, b + 208));
        for (int l = 0; l < 32; l += 8) {
            float ds = d * seg.get(java.lang.foreign.ValueLayout.JAVA_BYTE, b + 192 + 8L * n + 2 * quarter + l / 16);
            ByteVector lo = ByteVector.fromMemorySegment(B8, seg, ql + l, LE).lanewise(VectorOperators.LSHR, lowShift).and((byte) 15);
            ByteVector hi = ByteVector.fromMemorySegment(B8, seg, qh + l, LE).lanewise(VectorOperators.LSHR, highShift).and((byte) 3);
            ByteVector v = lo.or(hi.lanewise(VectorOperators.LSHL, 4)).sub((byte) 32);
            ((FloatVector) v.convertShape(VectorOperators.B2F, F8, 0)).mul(ds).intoArray(dst, dOff + l);
        }
    }

    private static IntVector widen(MemorySegment seg, long elem) {
        return (IntVector) ShortVector.fromMemorySegment(SS, seg, 2 * elem, LE).convertShape(VectorOperators.S2I, SI, 0);
    }

    // binary16 → binary32 from lane bit operations: moving the exponent and mantissa up 13 bits and
    // scaling by 2^112 rebiases normals and subnormals exactly; exponent 31 (inf, NaN) maps to 255.
    private static FloatVector halfToFloat(IntVector h) {
        IntVector sign = h.and(0x8000).lanewise(VectorOperators.LSHL, 16);
        IntVector em = h.and(0x7fff);
        IntVector shifted = em.lanewise(VectorOperators.LSHL, 13);
        FloatVector f = shifted.reinterpretAsFloats().mul(0x1p112f);
        VectorMask<Integer> special = em.compare(VectorOperators.GE, 0x7c00);
        IntVector bits = f.reinterpretAsInts().blend(shifted.or(0x7f800000), special);
        return bits.or(sign).reinterpretAsFloats();
    }

    // out[i][j] (+)= Σ_p vec[i][p] · W(p, j) for the m vectors vec[i] = vec[vecOff + i·K ..] and
    // rows out[i] = out[outOff + i·N ..]: VectorKernels.gemvCols over mapped rows. W is read from
    // memory once: each group of four rows serves all m vectors while it is in L1. Every output
    // element sees the operations of the m = 1 product, so a row's result does not depend on m.
    static void gemvCols(int t, int m, float[] vec, int vecOff, Weight.Mapped w, float[] out, int outOff, boolean acc) {
        int k = w.rows(), cols = w.cols();
        boolean f32 = w.type() == DType.F32;   // F32 rows take axpy4F32: direct float loads, no per-load dispatch
        MemorySegment seg = w.seg();
        int minCols = Math.max(L, VectorKernels.PARALLEL_ELEMENTS / Math.max(1, k));
        Parallel.forRange(t, cols, 4 * L, minCols, (ci, c0, c1) -> {
            for (int jb = c0; jb < c1; jb += 2048) {
                int je = Math.min(c1, jb + 2048);
                if (!acc) for (int i = 0; i < m; i++) java.util.Arrays.fill(out, outOff + i * cols + jb, outOff + i * cols + je, 0f);
                int p = 0;
                for (; p + 4 <= k; p += 4) {
                    for (int i = 0, v = vecOff + p; i < m; i++, v += k) {
                        if (f32) axpy4F32(vec[v], vec[v + 1], vec[v + 2], vec[v + 3], seg, 4L * p * cols, 4L * cols, out, outOff + i * cols, jb, je);
                        else axpy4(vec[v], vec[v + 1], vec[v + 2], vec[v + 3], w, (long) p * cols, cols, out, outOff + i * cols, jb, je);
                    }
                }
                for (; p < k; p++) {
                    for (int i = 0; i < m; i++) axpy1(vec[vecOff + i * k + p], w, (long) p * cols, out, outOff + i * cols, jb, je);
                }
            }
        });
    }

    private static void axpy1(float wt, Weight.Mapped w, long row, float[] out, int outOff, int jb, int je) {
        FloatVector wv = FloatVector.broadcast(S, wt);
        int j = jb;
        for (; j + L <= je; j += L) {
            load(w, row + j).fma(wv, FloatVector.fromArray(S, out, outOff + j)).intoArray(out, outOff + j);
        }
        for (; j < je; j++) out[outOff + j] = Math.fma(w.at(row + j), wt, out[outOff + j]);
    }

    private static void axpy4(float w0, float w1, float w2, float w3, Weight.Mapped w, long row, int cols,
                              float[] out, int outOff, int jb, int je) {
        FloatVector v0 = FloatVector.broadcast(S, w0), v1 = FloatVector.broadcast(S, w1);
        FloatVector v2 = FloatVector.broadcast(S, w2), v3 = FloatVector.broadcast(S, w3);
        long r1 = row + cols, r2 = r1 + cols, r3 = r2 + cols;
        int j = jb;
        for (; j + L <= je; j += L) {
            FloatVector o = FloatVector.fromArray(S, out, outOff + j);
            o = load(w, row + j).fma(v0, o);
            o = load(w, r1 + j).fma(v1, o);
            o = load(w, r2 + j).fma(v2, o);
            o = load(w, r3 + j).fma(v3, o);
            o.intoArray(out, outOff + j);
        }
        for (; j < je; j++) {
            float o = out[outOff + j];
            o = Math.fma(w.at(row + j), w0, o);
            o = Math.fma(w.at(r1 + j), w1, o);
            o = Math.fma(w.at(r2 + j), w2, o);
            o = Math.fma(w.at(r3 + j), w3, o);
            out[outOff + j] = o;
        }
    }

    // out[i][r] (+)= Σ_p W(r, p) · vec[i][p] for m vectors of length K and output rows of length
    // N = W's rows: VectorKernels.gemvRows over mapped rows, W read from memory once (as gemvCols).
    static void gemvRows(int t, int m, Weight.Mapped w, float[] vec, int vecOff, float[] out, int outOff, boolean acc) {
        if (w.type() == DType.F32) {
            gemvRowsF32(t, m, w, vec, vecOff, out, outOff, acc);
            return;
        }
        if (w.type() == DType.Q8_0 || w.type() == DType.Q4_0) {
            gemvRowsQuant(t, w, m, vec, vecOff, out, outOff, acc);
            return;
        }
        if (w.type().kQuant()) {
            gemvRowsK(t, w, m, vec, vecOff, out, outOff, acc);
            return;
        }
        int rows = w.rows(), k = w.cols();
        int minRows = Math.max(4, VectorKernels.PARALLEL_ELEMENTS / Math.max(1, k));
        Parallel.forRangeBalanced(t, rows, 4, minRows, (ci, r0, r1) -> {
            int r = r0;
            for (; r + 4 <= r1; r += 4) {
                for (int i = 0; i < m; i++) dot4(w, (long) r * k, k, vec, vecOff + i * k, out, outOff + i * rows + r, acc);
            }
            for (; r < r1; r++) {
                for (int i = 0; i < m; i++) {
                    float s = dot1(w, (long) r * k, vec, vecOff + i * k, k);
                    int o = outOff + i * rows + r;
                    out[o] = acc ? out[o] + s : s;
                }
            }
        });
    }

    private static void dot4(Weight.Mapped w, long m0, int k, float[] vec, int v0, float[] out, int o, boolean acc) {
        FloatVector s0 = FloatVector.zero(S), s1 = s0, s2 = s0, s3 = s0;
        long m1 = m0 + k, m2 = m1 + k, m3 = m2 + k;
        int bound = S.loopBound(k), p = 0;
        for (; p < bound; p += L) {
            FloatVector v = FloatVector.fromArray(S, vec, v0 + p);
            s0 = load(w, m0 + p).fma(v, s0);
            s1 = load(w, m1 + p).fma(v, s1);
            s2 = load(w, m2 + p).fma(v, s2);
            s3 = load(w, m3 + p).fma(v, s3);
        }
        float r0 = VectorMath.sum(s0), r1 = VectorMath.sum(s1);
        float r2 = VectorMath.sum(s2), r3 = VectorMath.sum(s3);
        for (; p < k; p++) {
            float v = vec[v0 + p];
            r0 = Math.fma(w.at(m0 + p), v, r0);
            r1 = Math.fma(w.at(m1 + p), v, r1);
            r2 = Math.fma(w.at(m2 + p), v, r2);
            r3 = Math.fma(w.at(m3 + p), v, r3);
        }
        if (acc) {
            out[o] += r0; out[o + 1] += r1; out[o + 2] += r2; out[o + 3] += r3;
        } else {
            out[o] = r0; out[o + 1] = r1; out[o + 2] = r2; out[o + 3] = r3;
        }
    }

    private static float dot1(Weight.Mapped w, long m0, float[] vec, int v0, int k) {
        FloatVector s0 = FloatVector.zero(S);
        int bound = S.loopBound(k), p = 0;
        for (; p < bound; p += L) s0 = load(w, m0 + p).fma(FloatVector.fromArray(S, vec, v0 + p), s0);
        float r = VectorMath.sum(s0);
        for (; p < k; p++) r = Math.fma(w.at(m0 + p), vec[v0 + p], r);
        return r;
    }

    // ---- F32 twins of the loops above: the same operations with direct float loads (no per-load dispatch). ----

    private static void axpy4F32(float w0, float w1, float w2, float w3, MemorySegment seg, long row, long stride,
                                 float[] out, int outOff, int jb, int je) {
        FloatVector v0 = FloatVector.broadcast(S, w0), v1 = FloatVector.broadcast(S, w1);
        FloatVector v2 = FloatVector.broadcast(S, w2), v3 = FloatVector.broadcast(S, w3);
        long r1 = row + stride, r2 = r1 + stride, r3 = r2 + stride;
        int j = jb;
        for (; j + L <= je; j += L) {
            long b = 4L * j;
            FloatVector o = FloatVector.fromArray(S, out, outOff + j);
            o = FloatVector.fromMemorySegment(S, seg, row + b, LE).fma(v0, o);
            o = FloatVector.fromMemorySegment(S, seg, r1 + b, LE).fma(v1, o);
            o = FloatVector.fromMemorySegment(S, seg, r2 + b, LE).fma(v2, o);
            o = FloatVector.fromMemorySegment(S, seg, r3 + b, LE).fma(v3, o);
            o.intoArray(out, outOff + j);
        }
        for (; j < je; j++) {
            long b = 4L * j;
            float o = out[outOff + j];
            o = Math.fma(seg.get(Weight.Mapped.F, row + b), w0, o);
            o = Math.fma(seg.get(Weight.Mapped.F, r1 + b), w1, o);
            o = Math.fma(seg.get(Weight.Mapped.F, r2 + b), w2, o);
            o = Math.fma(seg.get(Weight.Mapped.F, r3 + b), w3, o);
            out[outOff + j] = o;
        }
    }

    // VectorKernels.dot4 (one fma chain per row, then the same lane sum and scalar tail) on four
    // F32 rows of a segment, row stride `stride` bytes.
    private static void dot4F32(MemorySegment seg, long row, long stride, int k, float[] vec, int v0, float[] out, int o, boolean acc) {
        FloatVector s0 = FloatVector.zero(S), s1 = s0, s2 = s0, s3 = s0;
        long r1 = row + stride, r2 = r1 + stride, r3 = r2 + stride;
        int bound = S.loopBound(k), p = 0;
        for (; p < bound; p += L) {
            long b = 4L * p;
            FloatVector v = FloatVector.fromArray(S, vec, v0 + p);
            s0 = FloatVector.fromMemorySegment(S, seg, row + b, LE).fma(v, s0);
            s1 = FloatVector.fromMemorySegment(S, seg, r1 + b, LE).fma(v, s1);
            s2 = FloatVector.fromMemorySegment(S, seg, r2 + b, LE).fma(v, s2);
            s3 = FloatVector.fromMemorySegment(S, seg, r3 + b, LE).fma(v, s3);
        }
        float q0 = VectorMath.sum(s0), q1 = VectorMath.sum(s1), q2 = VectorMath.sum(s2), q3 = VectorMath.sum(s3);
        for (; p < k; p++) {
            long b = 4L * p;
            float v = vec[v0 + p];
            q0 = Math.fma(seg.get(Weight.Mapped.F, row + b), v, q0);
            q1 = Math.fma(seg.get(Weight.Mapped.F, r1 + b), v, q1);
            q2 = Math.fma(seg.get(Weight.Mapped.F, r2 + b), v, q2);
            q3 = Math.fma(seg.get(Weight.Mapped.F, r3 + b), v, q3);
        }
        if (acc) {
            out[o] += q0; out[o + 1] += q1; out[o + 2] += q2; out[o + 3] += q3;
        } else {
            out[o] = q0; out[o + 1] = q1; out[o + 2] = q2; out[o + 3] = q3;
        }
    }

    private static void gemvRowsF32(int t, int m, Weight.Mapped w, float[] vec, int vecOff, float[] out, int outOff, boolean acc) {
        int rows = w.rows(), k = w.cols();
        MemorySegment seg = w.seg();
        int minRows = Math.max(4, VectorKernels.PARALLEL_ELEMENTS / Math.max(1, k));
        Parallel.forRangeBalanced(t, rows, 4, minRows, (ci, r0, r1) -> {
            // Vector loads straight from the segment (dot4F32: the heap kernel's operations, so
            // the same bits). Copying four rows into a heap buffer for the heap kernel, as before
            // session 11, ran at a third of this speed in cache and ~80% out of it: the copy and
            // the products took turns instead of overlapping.
            int r = r0;
            for (; r + 4 <= r1; r += 4) {
                for (int i = 0; i < m; i++) dot4F32(seg, 4L * r * k, 4L * k, k, vec, vecOff + i * k, out, outOff + i * rows + r, acc);
            }
            for (; r < r1; r++) {
                for (int i = 0; i < m; i++) {
                    float s = dot1(w, (long) r * k, vec, vecOff + i * k, k);
                    int o = outOff + i * rows + r;
                    out[o] = acc ? out[o] + s : s;
                }
            }
        });
    }

    // Packed B for C = A·W with W (K, N) in place: as VectorKernels.packB.
    static void packB(Weight.Mapped w, int pc, int kc, int jc, int nc, float[] dst, int dOff) {
        int nr = VectorKernels.NR, n = w.cols();
        int full = nc / nr * nr;
        for (int p = 0; p < kc; p++) {
            long src = (long) (pc + p) * n + jc;
            for (int jr = 0; jr < full; jr += nr) {
                int d = dOff + jr * kc + p * nr;
                load(w, src + jr).intoArray(dst, d);
                load(w, src + jr + L).intoArray(dst, d + L);
            }
            if (full < nc) {
                int d = dOff + full * kc + p * nr;
                for (int j = 0; j < nr; j++) dst[d + j] = full + j < nc ? w.at(src + full + j) : 0f;
            }
        }
    }

    // Packed B for C = A·Wᵀ with W (N, K) in place: as VectorKernels.packBT, each W row converted once.
    static void packBT(Weight.Mapped w, int pc, int kc, int jc, int nc, float[] dst, int dOff, float[] rowBuf) {
        int nr = VectorKernels.NR;
        // a matrix with an interleaved copy (made before the product: Interleaved.of) packs whole
        // panels from it, 16 rows a vector, and leaves the file's pages alone
        MemorySegment il = Interleaved.made(w);
        boolean fromCopy = il != null && nr % Interleaved.ROWS == 0 && pc % 32 == 0 && kc % 32 == 0;
        for (int jr = 0; jr < nc; jr += nr) {
            int base = dOff + jr * kc, cnt = Math.min(nr, nc - jr);
            if (fromCopy && cnt % Interleaved.ROWS == 0 && (jc + jr) % Interleaved.ROWS == 0) {
                // whole groups (a matrix with a copy has rows a multiple of 16; with NR = 32 the
                // last panel may hold one group): the columns past cnt are zero, as below
                if (w.type() == DType.Q4_K) panelInterleavedK(il, w.cols() / 256, jc + jr, cnt, nr, pc, kc, dst, base);
                else if (w.type() == DType.Q6_K) panelInterleavedK6(il, w.cols() / 256, jc + jr, cnt, nr, pc, kc, dst, base);
                else panelInterleaved(il, w.type(), w.cols() / 32, jc + jr, cnt, nr, pc, kc, dst, base);
                for (int j = cnt; j < nr; j++) {
                    for (int p = 0; p < kc; p++) dst[base + p * nr + j] = 0f;
                }
                continue;
            }
            for (int j = 0; j < nr; j++) {
                if (j < cnt) {
                    row(w, jc + jr + j, pc, kc, rowBuf);
                    for (int p = 0; p < kc; p++) dst[base + p * nr + j] = rowBuf[p];
                } else {
                    for (int p = 0; p < kc; p++) dst[base + p * nr + j] = 0f;
                }
            }
        }
    }

    // Row r, columns [c0, c0 + n), as float32 into dst[0..n): Weight.row's values (the same
    // products q·d, the same exact conversions) in lanes, for packing the GEMM's panels.
    static void row(Weight.Mapped w, int r, int c0, int n, float[] dst) {
        long e = (long) r * w.cols() + c0;
        DType type = w.type();
        if (type == DType.F32) {
            w.row(r, c0, n, dst, 0);
            return;
        }
        if (type.kQuant()) {
            if (c0 % 32 != 0 || n % 32 != 0) {
                w.row(r, c0, n, dst, 0);
                return;
            }
            for (int p = 0; p < n; p += 32) {
                if (INT_DOT) kChunk(w.seg(), type, e + p, dst, p);   // 256-bit lanes, as the integer products
                else KQuant.chunk32(w.seg(), type, e + p, dst, p);
            }
            return;
        }
        if (type.quantized()) {
            if (32 % L != 0 || c0 % 32 != 0 || n % 32 != 0) {
                w.row(r, c0, n, dst, 0);
                return;
            }
            MemorySegment seg = w.seg();
            long b = (e >>> 5) * type.blockBytes;
            for (int p = 0; p < n; p += 32, b += type.blockBytes) {
                float d = Float.float16ToFloat(seg.get(Weight.Mapped.H, b));
                for (int j = 0; j < 32; j += L) quantLanes(seg, type, b, j).mul(d).intoArray(dst, p + j);
            }
            return;
        }
        int p = 0;
        for (; p + L <= n; p += L) load(w, e + p).intoArray(dst, p);
        for (; p < n; p++) dst[p] = w.at(e + p);
    }
}
