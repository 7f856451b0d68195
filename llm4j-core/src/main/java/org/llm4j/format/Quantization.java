// The weight types of a GGUF file written by llm4j: one type for every matrix, or llama.cpp's Q4_K_M mix.
package org.llm4j.format;

import java.util.Locale;
import org.llm4j.kernels.DType;

/**
 * What `llm4j quantize --type` names. Matrices whose rows are whole blocks of the type take it;
 * norm gains, biases and GPT-2's position table stay F32. K-quant rows must be whole 256-value
 * super-blocks: a matrix of another width takes Q8_0 (llama.cpp takes Q5_0/Q8_0 there; llm4j has
 * no Q5_0). {@link #Q4_K_M} is llama.cpp's mix: Q6_K for the output head (the token embedding
 * when the head is tied to it) and for attn_v / ffn_down in the layers llama.cpp's use_more_bits
 * picks (the first and last eighth and every third between), Q4_K elsewhere. {@link #Q4_K} puts
 * every matrix in Q4_K (llama.cpp's --pure).
 */
public enum Quantization {
    F32(DType.F32, 0), F16(DType.F16, 1), BF16(DType.BF16, 32), Q8_0(DType.Q8_0, 7), Q4_0(DType.Q4_0, 2),
    Q4_K(DType.Q4_K, 14), Q4_K_M(DType.Q4_K, 15), Q6_K(DType.Q6_K, 18);

    /** The type of most matrices, and llama.cpp's general.file_type (llama_ftype) for the file. */
    public final DType base;
    public final int fileType;

    Quantization(DType base, int fileType) {
        this.base = base;
        this.fileType = fileType;
    }

    public static Quantization of(DType type) {
        return valueOf(type.name());
    }

    /** From a name such as q4_k_m (any case) given as the option named; the error names the option and lists the names. */
    public static Quantization parse(String option, String name) {
        try {
            return valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(option + " must be one of " + names() + ", got '" + name + "'");
        }
    }

    public static String names() {
        StringBuilder b = new StringBuilder();
        for (Quantization q : values()) b.append(b.isEmpty() ? "" : ", ").append(q.name().toLowerCase(Locale.ROOT));
        return b.toString();
    }

    /**
     * The type of the 2-D tensor named (GGUF name) with rows of cols values in a model of the given
     * number of layers; head: whether this tensor is the output head (output.weight, or the token
     * embedding of a model whose head is tied to it).
     */
    public DType matrixType(String name, int cols, int layers, boolean head) {
        DType t = base;
        if (this == Q4_K_M && (head || moreBits(name, layers))) t = DType.Q6_K;
        if (cols % t.blockSize == 0) return t;
        if (t.kQuant() && cols % DType.Q8_0.blockSize == 0) return DType.Q8_0;
        return DType.F32;
    }

    // llama.cpp's use_more_bits(i, n) for blk.i.attn_v.weight and blk.i.ffn_down.weight.
    private static boolean moreBits(String name, int layers) {
        if (!name.startsWith("blk.") || !(name.endsWith(".attn_v.weight") || name.endsWith(".ffn_down.weight"))) return false;
        int i = Integer.parseInt(name.substring(4, name.indexOf('.', 4)));
        return i < layers / 8 || i >= 7 * layers / 8 || (i - layers / 8) % 3 == 2;
    }
}
