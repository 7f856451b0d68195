// Element types of stored weights. Computation is always float32; these say how weights sit in memory.
package org.llm4j.kernels;

public enum DType {
    /** IEEE binary32. */
    F32(4),
    /** IEEE binary16 (half): 1 sign, 5 exponent, 10 mantissa bits. */
    F16(2),
    /** bfloat16: the top 16 bits of a binary32. */
    BF16(2);

    /** Bytes per element. */
    public final int bytes;

    DType(int bytes) {
        this.bytes = bytes;
    }
}
