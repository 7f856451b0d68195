// Element types of stored weights. Computation is always float32; these say how weights sit in memory.
package org.llm4j.kernels;

public enum DType {
    /** IEEE binary32. */
    F32(1, 4),
    /** IEEE binary16 (half): 1 sign, 5 exponent, 10 mantissa bits. */
    F16(1, 2),
    /** bfloat16: the top 16 bits of a binary32. */
    BF16(1, 2),
    /** ggml's Q8_0: blocks of 32 values, an f16 scale d then 32 int8 q; value = q·d. */
    Q8_0(32, 34),
    /** ggml's Q4_0: blocks of 32 values, an f16 scale d then 16 bytes; value j is (nibble − 8)·d, the low nibbles holding j &lt; 16. */
    Q4_0(32, 18),
    /** ggml's Q4_K: super-blocks of 256 values in 144 bytes, eight 32-value sub-blocks with 6-bit scales and mins (see {@link KQuant}). */
    Q4_K(256, 144),
    /** ggml's Q6_K: super-blocks of 256 values in 210 bytes, 6-bit values, sixteen int8 scales (see {@link KQuant}). */
    Q6_K(256, 210);

    /** Elements per block (1 for the float types) and the bytes of one block. */
    public final int blockSize, blockBytes;

    DType(int blockSize, int blockBytes) {
        this.blockSize = blockSize;
        this.blockBytes = blockBytes;
    }

    public boolean quantized() {
        return blockSize > 1;
    }

    /** Q4_K and Q6_K: multiplied against the activation rounded to Q8_K (256-value) blocks, not Q8_0. */
    public boolean kQuant() {
        return blockSize == 256;
    }

    /** Bytes of n elements; n must be a multiple of the block size. */
    public long byteSize(long n) {
        if (n % blockSize != 0) throw new IllegalArgumentException(n + " " + this + " elements are not a whole number of " + blockSize + "-element blocks");
        return n / blockSize * blockBytes;
    }
}
