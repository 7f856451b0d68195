// A read-only row-major weight matrix (rows, cols) on the heap or in a memory-mapped file.
package org.llm4j.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * What inference kernels read weights from. Training always uses heap float arrays; a model
 * loaded for inference keeps its weights in the file's pages ({@link Mapped}), in the file's
 * element type, so start-up reads nothing and the OS shares the pages between processes.
 * Dispatch on the storage happens once per kernel call, never per element.
 */
public sealed interface Weight permits Weight.Heap, Weight.Mapped {
    int rows();

    int cols();

    /** Element (r, c) as float32: the specification that fast kernels are tested against. */
    float get(int r, int c);

    /** Copies row r, columns [c0, c0 + n), as float32 into dst[dOff..]. */
    void row(int r, int c0, int n, float[] dst, int dOff);

    /** float32 values at data[off..off + rows·cols). */
    record Heap(float[] data, int off, int rows, int cols) implements Weight {
        public Heap {
            if (rows < 0 || cols < 0 || off < 0 || off + (long) rows * cols > data.length) {
                throw new IllegalArgumentException("a (" + rows + ", " + cols + ") matrix at offset " + off + " does not fit in " + data.length + " floats");
            }
        }

        public static Heap of(float[] data, int rows, int cols) {
            return new Heap(data, 0, rows, cols);
        }

        @Override public float get(int r, int c) { return data[off + r * cols + c]; }

        @Override public void row(int r, int c0, int n, float[] dst, int dOff) {
            System.arraycopy(data, off + r * cols + c0, dst, dOff, n);
        }
    }

    /**
     * Little-endian elements of the given type; seg holds exactly rows·cols of them. For block
     * types (Q8_0, Q4_0, Q4_K, Q6_K) each row is a whole number of blocks. The bytes must not
     * change while the matrix is in use: kernels may keep derived data (BlockScales, Interleaved) beside it.
     */
    final class Mapped implements Weight {
        static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        static final ValueLayout.OfShort H = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

        private final MemorySegment seg;
        private final DType type;
        private final int rows, cols;
        volatile BlockScales.Scales blockScales;   // BlockScales' contiguous copy of the block scales (Q8_0, Q4_0, Q4_K), made on first use
        volatile MemorySegment interleaved;        // Interleaved's copy of a Q8_0/Q4_0/Q4_K/Q6_K matrix (NULL: stays in place), made on first use

        public Mapped(MemorySegment seg, DType type, int rows, int cols) {
            if (rows < 0 || cols < 0 || cols % type.blockSize != 0) {
                throw new IllegalArgumentException("a (" + rows + ", " + cols + ") " + type + " matrix needs rows of whole " + type.blockSize + "-element blocks");
            }
            if (seg.byteSize() != type.byteSize((long) rows * cols)) {
                throw new IllegalArgumentException("a (" + rows + ", " + cols + ") " + type + " matrix needs " + type.byteSize((long) rows * cols)
                        + " bytes, the segment has " + seg.byteSize());
            }
            // A file's mapping is used through a plain native segment over the same bytes (same
            // scope, still read-only): the kernels then see one segment class for the files and
            // the interleaved copies. With both, the JIT's type profiles of the segment accesses
            // they share went polymorphic and a Q4_K copy's product ran ~25% slower among the
            // 1.1B model's products (mapped Q6_K matrices in between) than with Q4_K ones alone.
            this.seg = seg.isMapped() ? seg.reinterpret(seg.byteSize()) : seg;
            this.type = type;
            this.rows = rows;
            this.cols = cols;
        }

        public MemorySegment seg() { return seg; }

        public DType type() { return type; }

        @Override public int rows() { return rows; }

        @Override public int cols() { return cols; }

        @Override public String toString() { return "Mapped[" + type + " (" + rows + ", " + cols + ")]"; }

        /** Element i of the flattened matrix. */
        public float at(long i) {
            return switch (type) {
                case F32 -> seg.get(F, 4 * i);
                case F16 -> Float.float16ToFloat(seg.get(H, 2 * i));
                case BF16 -> Float.intBitsToFloat(seg.get(H, 2 * i) << 16);
                case Q8_0 -> Quant.q8_0(seg, i);
                case Q4_0 -> Quant.q4_0(seg, i);
                case Q4_K, Q6_K -> KQuant.at(seg, type, i);
            };
        }

        @Override public float get(int r, int c) { return at((long) r * cols + c); }

        @Override public void row(int r, int c0, int n, float[] dst, int dOff) {
            long base = (long) r * cols + c0;
            switch (type) {
                case F32 -> MemorySegment.copy(seg, F, 4 * base, dst, dOff, n);
                case F16 -> { for (int i = 0; i < n; i++) dst[dOff + i] = Float.float16ToFloat(seg.get(H, 2 * (base + i))); }
                case BF16 -> { for (int i = 0; i < n; i++) dst[dOff + i] = Float.intBitsToFloat(seg.get(H, 2 * (base + i)) << 16); }
                case Q8_0, Q4_0 -> Quant.row(seg, type, base, n, dst, dOff);
                case Q4_K, Q6_K -> KQuant.row(seg, type, base, n, dst, dOff);
            }
        }
    }
}
