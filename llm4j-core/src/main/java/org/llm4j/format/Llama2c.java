// Karpathy's llama2.c files: the version-0 .bin checkpoint (memory-mapped in place) and its tokenizer.bin.
package org.llm4j.format;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.llm4j.io.Json;
import org.llm4j.kernels.DType;
import org.llm4j.kernels.Weight;
import org.llm4j.model.Llama;
import org.llm4j.model.LlamaConfig;
import org.llm4j.tensor.Tensor;
import org.llm4j.tokenizer.SentencePieceBpeTokenizer;
import org.llm4j.tokenizer.SentencePieceBpeTokenizer.TokenType;

/**
 * Checkpoint layout (llama2.c run.c, "legacy" version 0): seven little-endian int32 — dim,
 * hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size (negative: the classifier is stored
 * separately at the end), seq_len — then float32 arrays, each stacked over layers and stored
 * (out, in): token_embedding (V, C); rms_att (L, C); wq (L, C, C); wk (L, KV, C); wv (L, KV, C);
 * wo (L, C, C); rms_ffn (L, C); w1 (L, H, C); w2 (L, C, H); w3 (L, H, C); rms_final (C);
 * freq_cis_real and freq_cis_imag (seq_len, hs/2) each, unused (RoPE is recomputed); wcls (V, C)
 * when not shared. The weights stay in the file's pages; RoPE rotates adjacent pairs (Meta's layout).
 */
public final class Llama2c {
    private static final int HEADER = 28;
    private static final int MAX_DIM = 1 << 16, MAX_LAYERS = 1024, MAX_VOCAB = 1 << 22, MAX_SEQ = 1 << 22;

    private Llama2c() {}

    /** The model of a llama2.c .bin checkpoint, its weights memory-mapped (read-only, no copy). */
    public static Llama load(Path bin) throws IOException {
        try (FileChannel ch = FileChannel.open(bin, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < HEADER) throw new IOException(bin + ": " + size + " bytes is too short for the 28-byte llama2.c header");
            MemorySegment seg = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, Arena.ofAuto());
            ValueLayout.OfInt I = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
            String[] names = {"dim", "hidden_dim", "n_layers", "n_heads", "n_kv_heads", "vocab_size", "seq_len"};
            int[] h = new int[7];
            for (int i = 0; i < 7; i++) h[i] = seg.get(I, 4L * i);
            int dim = h[0], hidden = h[1], layers = h[2], heads = h[3], kvHeads = h[4], seq = h[6];
            boolean shared = h[5] > 0;
            int vocab = Math.abs(h[5]);
            int[] max = {MAX_DIM, 4 * MAX_DIM, MAX_LAYERS, MAX_DIM, MAX_DIM, MAX_VOCAB, MAX_SEQ};
            for (int i = 0; i < 7; i++) {
                int v = i == 5 ? vocab : h[i];
                if (v <= 0 || v > max[i] || h[5] == Integer.MIN_VALUE) {
                    throw new IOException(bin + ": header field " + names[i] + " (offset " + 4 * i + ") is " + h[i] + ", outside (0, " + max[i] + "]; not a llama2.c version-0 checkpoint?");
                }
            }
            LlamaConfig cfg;
            try {
                cfg = new LlamaConfig(vocab, dim, hidden, layers, heads, kvHeads, seq, 1e-5f, 10000f, LlamaConfig.RopeStyle.INTERLEAVED, shared);
            } catch (IllegalArgumentException e) {
                throw new IOException(bin + ": inconsistent header: " + e.getMessage());
            }
            long c = dim, kv = cfg.kvDim(), hd = hidden, v = vocab, l = layers;
            long floats = v * c + l * c + l * c * c + 2 * l * kv * c + l * c * c + l * c + 3 * l * hd * c + c
                    + (long) seq * cfg.headSize() + (shared ? 0 : v * c);
            long want = HEADER + 4 * floats;
            if (size != want) {
                throw new IOException(bin + ": " + size + " bytes, but a llama2.c checkpoint with this header " + java.util.Arrays.toString(h) + " has " + want);
            }
            Map<String, Tensor> w = new LinkedHashMap<>();
            long[] at = {HEADER};
            Slicer s = (name, rows, cols) -> {
                long bytes = 4L * rows * cols;
                w.put(name, Tensor.mapped(new Weight.Mapped(seg.asSlice(at[0], bytes), DType.F32, rows, cols), cols == 1 || rows == 1 ? new int[] {rows * cols} : new int[] {rows, cols}));
                at[0] += bytes;
            };
            s.take("model.embed_tokens.weight", vocab, dim);
            String[][] stacks = {
                    {"input_layernorm.weight", "1", "C"}, {"self_attn.q_proj.weight", "C", "C"}, {"self_attn.k_proj.weight", "KV", "C"},
                    {"self_attn.v_proj.weight", "KV", "C"}, {"self_attn.o_proj.weight", "C", "C"}, {"post_attention_layernorm.weight", "1", "C"},
                    {"mlp.gate_proj.weight", "H", "C"}, {"mlp.down_proj.weight", "C", "H"}, {"mlp.up_proj.weight", "H", "C"}};
            for (String[] st : stacks) {
                int rows = size(st[1], cfg), cols = size(st[2], cfg);
                for (int i = 0; i < layers; i++) s.take("model.layers." + i + "." + st[0], rows, cols);
            }
            s.take("model.norm.weight", 1, dim);
            at[0] += 4L * seq * cfg.headSize(); // freq_cis_real, freq_cis_imag
            if (!shared) s.take("lm_head.weight", vocab, dim);
            return new Llama(cfg, w, bin.toString());
        }
    }

    /**
     * A checkpoint with its tokenizer (llama2.c's -z; tokenizer.bin beside the checkpoint when
     * null), and generation defaults that say EOS is id 2.
     */
    public static ModelFiles.Loaded loadWithTokenizer(Path bin, Path tokenizer) throws IOException {
        Llama model = load(bin);
        Path tok = tokenizer != null ? tokenizer : bin.resolveSibling("tokenizer.bin");
        if (!Files.isRegularFile(tok)) throw new IOException(tok + ": no llama2.c tokenizer file (give one with --tokenizer)");
        SentencePieceBpeTokenizer t = readTokenizer(tok, model.vocabSize());
        var gen = Json.object().put("bos_token_id", t.bosId()).put("eos_token_id", t.eosId());
        return new ModelFiles.Loaded(model, t, gen);
    }

    private interface Slicer {
        void take(String name, int rows, int cols);
    }

    private static int size(String sym, LlamaConfig cfg) {
        return switch (sym) {
            case "1" -> 1;
            case "C" -> cfg.dim();
            case "KV" -> cfg.kvDim();
            case "H" -> cfg.hiddenDim();
            default -> throw new IllegalStateException(sym);
        };
    }

    /**
     * A llama2.c tokenizer.bin: int32 max_token_length, then per token a float32 score, an int32
     * byte length and the bytes, until the end of the file. Ids as llama2.c fixes them: 0 &lt;unk&gt;,
     * 1 BOS, 2 EOS; &lt;0xNN&gt; pieces are byte tokens. vocabSize (the model's; 0 = any) must match.
     */
    public static SentencePieceBpeTokenizer readTokenizer(Path file, int vocabSize) throws IOException {
        long size = Files.size(file);
        if (size > 256L << 20) throw new IOException(file + ": " + size + " bytes is too large for a llama2.c tokenizer");
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        if (b.remaining() < 4) throw new IOException(file + ": too short for the max_token_length field");
        int maxLen = b.getInt();
        if (maxLen <= 0 || maxLen > 1 << 16) throw new IOException(file + ": max_token_length (offset 0) is " + maxLen);
        List<String> pieces = new ArrayList<>();
        List<Float> scores = new ArrayList<>();
        while (b.hasRemaining()) {
            int id = pieces.size(), off = b.position();
            if (b.remaining() < 8) throw new IOException(file + ": truncated: token " + id + " at offset " + off + " needs a score and a length");
            float score = b.getFloat();
            int len = b.getInt();
            if (len < 0 || len > maxLen || len > b.remaining()) {
                throw new IOException(file + ": token " + id + " at offset " + off + " has length " + len + " (max_token_length " + maxLen + ", " + b.remaining() + " bytes left)");
            }
            byte[] piece = new byte[len];
            b.get(piece);
            pieces.add(new String(piece, StandardCharsets.UTF_8));
            scores.add(score);
        }
        if (vocabSize > 0 && pieces.size() != vocabSize) {
            throw new IOException(file + ": " + pieces.size() + " tokens, but the model's vocabulary has " + vocabSize);
        }
        if (pieces.size() < 3) throw new IOException(file + ": " + pieces.size() + " tokens; llama2.c needs at least <unk>, BOS and EOS");
        float[] sc = new float[pieces.size()];
        TokenType[] types = new TokenType[pieces.size()];
        for (int i = 0; i < sc.length; i++) {
            sc[i] = scores.get(i);
            types[i] = i == 0 ? TokenType.UNKNOWN : i <= 2 ? TokenType.CONTROL : TokenType.NORMAL; // <0xNN> become BYTE
        }
        return new SentencePieceBpeTokenizer(pieces, sc, types, 1, 2, 0, true, true);
    }
}
