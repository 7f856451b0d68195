// Models from GGUF files: the architecture from general.architecture, hyperparameters from metadata, weights in place.
package org.llm4j.format;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.llm4j.io.Json;
import org.llm4j.kernels.DType;
import java.util.ArrayList;
import org.llm4j.model.GPT;
import org.llm4j.model.GPTConfig;
import org.llm4j.model.LanguageModel;
import org.llm4j.model.Llama;
import org.llm4j.model.LlamaConfig;
import org.llm4j.model.RopeScaling;
import org.llm4j.tensor.Tensor;
import org.llm4j.tokenizer.SentencePieceBpeTokenizer;
import org.llm4j.tokenizer.Tokenizer;

/**
 * The one table from llama.cpp's tensor names to llm4j's (Hugging Face's), and the metadata keys
 * of each architecture (keys are prefixed by the architecture's name: llama.context_length).
 * <ul>
 *   <li>"llama" (Llama 1-3, Mistral, TinyStories): RoPE on adjacent pairs, since llama.cpp's
 *       converter undoes Hugging Face's q/k permutation: {@link LlamaConfig.RopeStyle#INTERLEAVED}.
 *       Llama 3's RoPE scaling comes as the tensor rope_freqs.weight (divisors of the
 *       frequencies); linear scaling as llama.rope.scaling.type/.factor. Mistral comes as plain
 *       llama: llama.cpp's llama graph has no sliding window, so a sliding-window model is written
 *       with its context cut to the window, where full and windowed attention agree.
 *   <li>"qwen2": llama.cpp's NEOX RoPE (half-split pairs, q and k stored as Hugging Face's) and
 *       q/k/v biases blk.N.attn_{q,k,v}.bias.
 * </ul>
 */
public final class GgufModels {
    private GgufModels() {}

    private static final Map<String, String> LAYER_NAMES = Map.ofEntries(
            Map.entry("attn_norm.weight", "input_layernorm.weight"), Map.entry("attn_q.weight", "self_attn.q_proj.weight"),
            Map.entry("attn_k.weight", "self_attn.k_proj.weight"), Map.entry("attn_v.weight", "self_attn.v_proj.weight"),
            Map.entry("attn_q.bias", "self_attn.q_proj.bias"), Map.entry("attn_k.bias", "self_attn.k_proj.bias"),
            Map.entry("attn_v.bias", "self_attn.v_proj.bias"),
            Map.entry("attn_output.weight", "self_attn.o_proj.weight"), Map.entry("ffn_norm.weight", "post_attention_layernorm.weight"),
            Map.entry("ffn_gate.weight", "mlp.gate_proj.weight"), Map.entry("ffn_up.weight", "mlp.up_proj.weight"),
            Map.entry("ffn_down.weight", "mlp.down_proj.weight"));

    /** A GGUF model with its tokenizer; generation defaults carry BOS and EOS from the metadata. */
    public static ModelFiles.Loaded load(Path file) throws IOException {
        Gguf g = Gguf.read(file);
        String arch = g.string("general.architecture");
        Tokenizer tok = switch (arch) {
            case "llama", "qwen2", "gpt2" -> GgufTokenizer.fromMetadata(g);
            default -> throw new IllegalArgumentException(file + ": general.architecture '" + arch + "' is not supported (llama, qwen2 and gpt2 are)");
        };
        LanguageModel model = arch.equals("gpt2") ? gpt2(g, tok.vocabSize()) : llama(g, tok.vocabSize());
        var gen = Json.object();
        int bos = GgufTokenizer.bosId(g, tok), eos = GgufTokenizer.eosId(g, tok);
        if (bos >= 0) gen.put("bos_token_id", bos);
        if (eos >= 0) gen.put("eos_token_id", eos);
        return new ModelFiles.Loaded(model, tok, gen, ChatTemplates.fromGguf(g, tok));
    }

    // The vocabulary from token_embd.weight (vocab, dim), checked against the key k.embedding_length, k.vocab_size and the tokenizer.
    private static int[] vocabAndDim(Gguf g, String a, int tokenizerVocab) {
        Gguf.TensorInfo emb = g.tensors().get("token_embd.weight");
        if (emb == null || emb.ne().length != 2) throw new IllegalArgumentException(g.origin() + ": tensor 'token_embd.weight' (vocab, dim) is missing or not a matrix");
        int dim = g.integer(a + "embedding_length"), vocab = Math.toIntExact(emb.ne()[1]);
        if (emb.ne()[0] != dim) throw new IllegalArgumentException(g.origin() + ": token_embd.weight has rows of " + emb.ne()[0] + " but " + a + "embedding_length is " + dim);
        if (tokenizerVocab > vocab) throw new IllegalArgumentException(g.origin() + ": tokenizer.ggml.tokens has " + tokenizerVocab + " tokens but token_embd.weight only " + vocab + " rows");
        if (g.has(a + "vocab_size") && g.integer(a + "vocab_size") != vocab) {
            throw new IllegalArgumentException(g.origin() + ": " + a + "vocab_size " + g.integer(a + "vocab_size") + " contradicts token_embd.weight's " + vocab + " rows");
        }
        return new int[] {vocab, dim};
    }

    /** Architectures llama and qwen2. */
    static Llama llama(Gguf g, int tokenizerVocab) {
        String arch = g.string("general.architecture"), a = arch + ".";
        boolean qwen2 = arch.equals("qwen2");
        if (!qwen2 && !arch.equals("llama")) throw new IllegalArgumentException(g.origin() + ": general.architecture '" + arch + "' is not a Llama-family architecture");
        int[] vd = vocabAndDim(g, a, tokenizerVocab);
        int vocab = vd[0], dim = vd[1];
        int heads = g.integer(a + "attention.head_count");
        boolean tied = !g.tensors().containsKey("output.weight");
        // llama.cpp's qwen2 requires the q/k/v biases; its llama takes them when present.
        boolean bias = qwen2 || g.tensors().containsKey("blk.0.attn_q.bias");
        // NOTE: k.attention.sliding_window, where a converter writes it, is not read: llama.cpp's llama
        // and qwen2 graphs attend to the whole context, and llm4j computes what llama.cpp does.
        int window = 0;
        LlamaConfig cfg;
        try {
            cfg = new LlamaConfig(vocab, dim, g.integer(a + "feed_forward_length"), g.integer(a + "block_count"), heads,
                    g.integer(a + "attention.head_count_kv", heads), g.integer(a + "context_length"),
                    g.real(a + "attention.layer_norm_rms_epsilon"), g.real(a + "rope.freq_base", 10000f),
                    qwen2 ? LlamaConfig.RopeStyle.HALF_SPLIT : LlamaConfig.RopeStyle.INTERLEAVED, tied, bias, window, RopeScaling.NONE);
            cfg = cfg.withRopeScaling(ropeScaling(g, a, cfg.headSize()));
        } catch (IllegalArgumentException e) {
            throw e.getMessage().startsWith(g.origin()) ? e : new IllegalArgumentException(g.origin() + ": " + e.getMessage());
        }
        if (g.has(a + "rope.dimension_count") && g.integer(a + "rope.dimension_count") != cfg.headSize()) {
            throw new IllegalArgumentException(g.origin() + ": " + a + "rope.dimension_count " + g.integer(a + "rope.dimension_count") + " (partial RoPE) is not supported; head size is " + cfg.headSize());
        }
        for (String k : new String[] {"attention.key_length", "attention.value_length"}) {
            if (g.has(a + k) && g.integer(a + k) != cfg.headSize()) {
                throw new IllegalArgumentException(g.origin() + ": " + a + k + " " + g.integer(a + k) + " is not embedding_length / head_count = " + cfg.headSize() + "; a separate head size is not supported");
            }
        }
        Map<String, Tensor> w = new LinkedHashMap<>();
        for (String name : g.tensors().keySet()) {
            if (name.equals("rope_freqs.weight")) continue;
            String hf = hfName(name);
            if (hf == null) throw new IllegalArgumentException(g.origin() + ": unexpected tensor '" + name + "' for a " + arch + " model");
            w.put(hf, g.tensor(name));
        }
        return new Llama(cfg, w, g.origin());
    }

    // llama.cpp's gpt2 tensor names (gguf-py's tensor map) → Hugging Face GPT2LMHeadModel's.
    private static final Map<String, String> GPT2_NAMES = Map.ofEntries(
            Map.entry("attn_norm.weight", "ln_1.weight"), Map.entry("attn_norm.bias", "ln_1.bias"),
            Map.entry("attn_qkv.weight", "attn.c_attn.weight"), Map.entry("attn_qkv.bias", "attn.c_attn.bias"),
            Map.entry("attn_output.weight", "attn.c_proj.weight"), Map.entry("attn_output.bias", "attn.c_proj.bias"),
            Map.entry("ffn_norm.weight", "ln_2.weight"), Map.entry("ffn_norm.bias", "ln_2.bias"),
            Map.entry("ffn_up.weight", "mlp.c_fc.weight"), Map.entry("ffn_up.bias", "mlp.c_fc.bias"),
            Map.entry("ffn_down.weight", "mlp.c_proj.weight"), Map.entry("ffn_down.bias", "mlp.c_proj.bias"));

    /**
     * Architecture gpt2 onto llm4j's GPT. llama.cpp's converter transposes Hugging Face's Conv1D
     * matrices to (out, in), so the model reads them in that layout ({@link GPT#GPT(GPTConfig, Map, String, boolean)}).
     * The head is tied to token_embd.weight; an output.weight (older converters wrote a copy) must
     * hold the same bytes.
     */
    static GPT gpt2(Gguf g, int tokenizerVocab) {
        String a = "gpt2.";
        int[] vd = vocabAndDim(g, a, tokenizerVocab);
        int vocab = vd[0], dim = vd[1], heads = g.integer(a + "attention.head_count");
        if (g.has(a + "attention.head_count_kv") && g.integer(a + "attention.head_count_kv") != heads) {
            throw new IllegalArgumentException(g.origin() + ": gpt2.attention.head_count_kv " + g.integer(a + "attention.head_count_kv") + " differs from head_count " + heads + " (GPT-2 has no grouped-query attention)");
        }
        if (g.has(a + "feed_forward_length") && g.integer(a + "feed_forward_length") != 4 * dim) {
            throw new IllegalArgumentException(g.origin() + ": gpt2.feed_forward_length " + g.integer(a + "feed_forward_length") + " is not 4 * embedding_length = " + 4 * dim);
        }
        GPTConfig cfg;
        try {
            cfg = new GPTConfig(vocab, g.integer(a + "context_length"), g.integer(a + "block_count"), heads, dim, 0f, g.real(a + "attention.layer_norm_epsilon"));
        } catch (IllegalArgumentException e) {
            throw e.getMessage().startsWith(g.origin()) ? e : new IllegalArgumentException(g.origin() + ": " + e.getMessage());
        }
        Gguf.TensorInfo out = g.tensors().get("output.weight");
        if (out != null) {
            Gguf.TensorInfo emb = g.tensors().get("token_embd.weight");
            if (out.type() != emb.type() || !java.util.Arrays.equals(out.ne(), emb.ne()) || g.data(out).mismatch(g.data(emb)) != -1) {
                throw new IllegalArgumentException(g.origin() + ": tensor 'output.weight' differs from token_embd.weight; llm4j's GPT-2 ties its head to the embedding");
            }
        }
        Map<String, Tensor> w = new LinkedHashMap<>();
        for (String name : g.tensors().keySet()) {
            if (name.equals("output.weight")) continue;
            String hf = gpt2HfName(name);
            if (hf == null) throw new IllegalArgumentException(g.origin() + ": unexpected tensor '" + name + "' for a gpt2 model");
            w.put(hf, g.tensor(name));
        }
        return new GPT(cfg, w, g.origin(), true);
    }

    static String gpt2HfName(String name) {
        switch (name) {
            case "token_embd.weight": return "transformer.wte.weight";
            case "position_embd.weight": return "transformer.wpe.weight";
            case "output_norm.weight": return "transformer.ln_f.weight";
            case "output_norm.bias": return "transformer.ln_f.bias";
            default:
        }
        return blockName(name, GPT2_NAMES, "transformer.h.");
    }

    static String gpt2GgufName(String hf) {
        switch (hf) {
            case "transformer.wte.weight": return "token_embd.weight";
            case "transformer.wpe.weight": return "position_embd.weight";
            case "transformer.ln_f.weight": return "output_norm.weight";
            case "transformer.ln_f.bias": return "output_norm.bias";
            default:
        }
        String p = "transformer.h.";
        int dot = hf.indexOf('.', p.length());
        if (hf.startsWith(p) && dot > 0) {
            String rest = hf.substring(dot + 1);
            for (var e : GPT2_NAMES.entrySet()) if (e.getValue().equals(rest)) return "blk." + hf.substring(p.length(), dot) + "." + e.getKey();
        }
        throw new IllegalArgumentException("no GGUF name for '" + hf + "'");
    }

    /**
     * Writes llm4j's GPT as llama.cpp's gpt2 architecture, as convert_hf_to_gguf.py does: the four
     * projection matrices per block transposed to (out, in), no output.weight (llama.cpp uses
     * token_embd for a missing head), hyperparameters under gpt2.*, and the tokenizer's metadata
     * (byte-level BPE: tokenizer.ggml.model gpt2, pre gpt-2). Matrices whose rows are whole blocks
     * take the type except position_embd, which stays F32 with the vectors.
     */
    public static void writeGpt2(Path file, GPT model, Tokenizer tok, DType type, String name) throws IOException {
        writeGpt2(file, model, tok, Quantization.of(type), name);
    }

    /** {@link #writeGpt2(Path, GPT, Tokenizer, DType, String)} with the matrices' types chosen by q (the head is the token embedding). */
    public static void writeGpt2(Path file, GPT model, Tokenizer tok, Quantization q, String name) throws IOException {
        GPTConfig c = model.config();
        GgufWriter w = new GgufWriter()
                .string("general.architecture", "gpt2").string("general.name", name).u32("general.alignment", 32)
                .u32("gpt2.block_count", c.nLayer()).u32("gpt2.context_length", c.blockSize()).u32("gpt2.embedding_length", c.nEmbd())
                .u32("gpt2.feed_forward_length", 4 * c.nEmbd()).u32("gpt2.attention.head_count", c.nHead())
                .f32("gpt2.attention.layer_norm_epsilon", c.layerNormEps()).u32("general.file_type", q.fileType);
        GgufTokenizer.write(w, tok, c.vocabSize());
        boolean stored = model.projectionsOutIn();
        for (var e : model.parameters().entrySet()) {
            String hf = e.getKey();
            Tensor t = e.getValue();
            boolean proj = hf.endsWith("c_attn.weight") || hf.endsWith("c_proj.weight") || hf.endsWith("c_fc.weight");
            if (proj && !stored) t = GPT.transposed(t);
            String g = gpt2GgufName(hf);
            boolean matrix = t.rank() == 2 && !hf.equals("transformer.wpe.weight");
            w.tensor(g, t, matrix ? q.matrixType(g, t.shape()[1], c.nLayer(), g.equals("token_embd.weight")) : DType.F32);
        }
        w.write(file);
    }

    /** Writes a model as GGUF in the architecture llama.cpp uses for it: gpt2 for GPT, llama or qwen2 for the Llama family. */
    public static void write(Path file, LanguageModel model, Tokenizer tok, DType type, String name) throws IOException {
        write(file, model, tok, Quantization.of(type), name);
    }

    /** {@link #write(Path, LanguageModel, Tokenizer, DType, String)} with the matrices' types chosen by q. */
    public static void write(Path file, LanguageModel model, Tokenizer tok, Quantization q, String name) throws IOException {
        switch (model) {
            case GPT gpt -> writeGpt2(file, gpt, tok, q, name);
            case Llama llama -> writeLlama(file, llama, tok, q, name);
            default -> throw new IllegalArgumentException("a " + model.getClass().getSimpleName() + " has no GGUF architecture (GPT-2 and the Llama family have)");
        }
    }

    // llama.cpp's RoPE scaling: the key k.rope.scaling.type (none | linear, with k.rope.scaling.factor;
    // the older k.rope.scale_linear) divides every frequency by the factor; the tensor
    // rope_freqs.weight (hs/2 floats) divides frequency j by its entry j. Both may apply.
    private static RopeScaling ropeScaling(Gguf g, String a, int headSize) {
        String type = g.string(a + "rope.scaling.type", "none");
        float linear = switch (type) {
            case "none" -> g.real(a + "rope.scale_linear", 1f);
            case "linear" -> g.real(a + "rope.scaling.factor");
            default -> throw new IllegalArgumentException(g.origin() + ": " + a + "rope.scaling.type '" + type + "' is not supported (none and linear are, and Llama 3's rope_freqs.weight)");
        };
        if (!(linear > 0f) || Float.isInfinite(linear)) throw new IllegalArgumentException(g.origin() + ": RoPE scaling factor " + linear + " must be positive");
        Gguf.TensorInfo rf = g.tensors().get("rope_freqs.weight");
        if (rf == null) return linear == 1f ? RopeScaling.NONE : new RopeScaling.Linear(linear);
        if (rf.ne().length != 1 || rf.ne()[0] != headSize / 2) {
            throw new IllegalArgumentException(g.origin() + ": tensor 'rope_freqs.weight' has shape " + java.util.Arrays.toString(rf.ne()) + "; expected [" + headSize / 2 + "] (head size / 2)");
        }
        float[] f = g.tensor("rope_freqs.weight").floats();
        List<Float> values = new ArrayList<>(f.length);
        for (float v : f) values.add(v * linear);
        try {
            return new RopeScaling.Factors(values);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(g.origin() + ": tensor 'rope_freqs.weight': " + e.getMessage());
        }
    }

    /** llama.cpp's tensor name → Hugging Face's, or null. */
    static String hfName(String name) {
        switch (name) {
            case "token_embd.weight": return "model.embed_tokens.weight";
            case "output_norm.weight": return "model.norm.weight";
            case "output.weight": return "lm_head.weight";
            default:
        }
        return blockName(name, LAYER_NAMES, "model.layers.");
    }

    // "blk.N.<suffix>" → prefix + N + "." + names[suffix], or null when the name is not of that form
    // or the suffix is not in names.
    private static String blockName(String name, Map<String, String> names, String prefix) {
        if (!name.startsWith("blk.")) return null;
        int dot = name.indexOf('.', 4);
        if (dot < 0) return null;
        String layer = name.substring(4, dot), rest = names.get(name.substring(dot + 1));
        if (rest == null || layer.isEmpty() || !layer.chars().allMatch(Character::isDigit)) return null;
        return prefix + Integer.parseInt(layer) + "." + rest;
    }

    /** HF name → llama.cpp's: the inverse table, for writing. */
    static String ggufName(String hf) {
        switch (hf) {
            case "model.embed_tokens.weight": return "token_embd.weight";
            case "model.norm.weight": return "output_norm.weight";
            case "lm_head.weight": return "output.weight";
            default:
        }
        String p = "model.layers.";
        if (!hf.startsWith(p)) throw new IllegalArgumentException("no GGUF name for '" + hf + "'");
        int dot = hf.indexOf('.', p.length());
        String rest = hf.substring(dot + 1);
        for (var e : LAYER_NAMES.entrySet()) if (e.getValue().equals(rest)) return "blk." + hf.substring(p.length(), dot) + "." + e.getKey();
        throw new IllegalArgumentException("no GGUF name for '" + hf + "'");
    }

    /**
     * Writes a Llama-family model with its tokenizer as a llama.cpp GGUF: architecture qwen2 for a
     * model with q/k/v biases, else llama (q and k permuted to adjacent RoPE pairs if the model
     * holds them half-split, as llama.cpp's converter does). Matrices whose rows are whole blocks
     * go in the given type (F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q6_K; see {@link Quantization}), the rest (norm
     * gains, biases, odd widths) F32 as llama.cpp's quantizer does. Llama 3 RoPE scaling is written as rope_freqs.weight,
     * linear as rope.scaling.type/.factor. A sliding-window (Mistral) model is written with
     * context_length = its window, the longest context where llama.cpp's full attention agrees.
     */
    public static void writeLlama(Path file, Llama model, Tokenizer tok, DType type, String name) throws IOException {
        writeLlama(file, model, tok, Quantization.of(type), name);
    }

    /** {@link #writeLlama(Path, Llama, Tokenizer, DType, String)} with the matrices' types chosen by q. */
    public static void writeLlama(Path file, Llama model, Tokenizer tok, Quantization q, String name) throws IOException {
        LlamaConfig c = model.config();
        String arch = c.qkvBias() ? "qwen2" : "llama", a = arch + ".";
        LlamaConfig.RopeStyle target = c.qkvBias() ? LlamaConfig.RopeStyle.HALF_SPLIT : LlamaConfig.RopeStyle.INTERLEAVED;
        boolean factors = c.ropeScaling() instanceof RopeScaling.Llama3 || c.ropeScaling() instanceof RopeScaling.Factors;
        if (factors && c.qkvBias()) throw new IllegalArgumentException("llama.cpp's qwen2 has no rope_freqs.weight: a Qwen2 model with per-frequency RoPE scaling cannot be written");
        int context = c.slidingWindow() > 0 ? Math.min(c.seqLen(), c.slidingWindow()) : c.seqLen();
        GgufWriter w = new GgufWriter()
                .string("general.architecture", arch).string("general.name", name).u32("general.alignment", 32)
                .u32(a + "context_length", context).u32(a + "embedding_length", c.dim()).u32(a + "block_count", c.nLayers())
                .u32(a + "feed_forward_length", c.hiddenDim()).u32(a + "rope.dimension_count", c.headSize())
                .u32(a + "attention.head_count", c.nHeads()).u32(a + "attention.head_count_kv", c.nKvHeads())
                .f32(a + "attention.layer_norm_rms_epsilon", c.normEps()).f32(a + "rope.freq_base", c.ropeTheta())
                .u32("general.file_type", q.fileType);
        if (c.ropeScaling() instanceof RopeScaling.Linear lin) w.string(a + "rope.scaling.type", "linear").f32(a + "rope.scaling.factor", lin.factor());
        GgufTokenizer.write(w, tok, model.vocabSize());
        if (factors) {
            // rope_freqs.weight holds s_j (llama.cpp's converter: 1 / ((1 − m)/factor + m) in the smooth band).
            LlamaConfig plain = c.withRopeScaling(RopeScaling.NONE);
            double[] s = c.ropeScaling().divisors(plain.ropeFrequencies());
            float[] f = new float[s.length];
            for (int j = 0; j < f.length; j++) f[j] = (float) s[j];
            w.tensor("rope_freqs.weight", Tensor.of(f, f.length), DType.F32);
        }
        for (var e : model.parameters().entrySet()) {
            Tensor t = e.getValue();
            String hf = e.getKey();
            if (c.rope() != target && (hf.endsWith("self_attn.q_proj.weight") || hf.endsWith("self_attn.k_proj.weight")
                    || hf.endsWith("self_attn.q_proj.bias") || hf.endsWith("self_attn.k_proj.bias"))) {
                int heads = hf.contains(".q_proj.") ? c.nHeads() : c.nKvHeads();
                t = permuteRope(t, heads, c.headSize(), target == LlamaConfig.RopeStyle.INTERLEAVED);
            }
            String g = ggufName(hf);
            boolean head = g.equals("output.weight") || c.tiedHead() && g.equals("token_embd.weight");
            w.tensor(g, t, t.rank() == 2 ? q.matrixType(g, t.shape()[1], c.nLayers(), head) : DType.F32);
        }
        w.write(file);
    }

    /**
     * The rows (output features) of a q or k projection (or its bias) reordered between the two RoPE
     * pairings: within each head of size hs, half-split row j·half + i (j ∈ {0, 1}, i &lt; hs/2) is
     * interleaved row 2i + j. This is the permutation of llama.cpp's converter (HF → interleaved)
     * and of transformers' convert_llama_weights_to_hf (the inverse).
     */
    static Tensor permuteRope(Tensor t, int heads, int hs, boolean toInterleaved) {
        float[] src = t.floats(), dst = new float[src.length];
        int cols = t.rank() == 2 ? t.shape()[1] : 1, half = hs / 2;
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < half; i++) {
                for (int j = 0; j < 2; j++) {
                    int split = h * hs + j * half + i, inter = h * hs + 2 * i + j;
                    int from = toInterleaved ? split : inter, to = toInterleaved ? inter : split;
                    System.arraycopy(src, from * cols, dst, to * cols, cols);
                }
            }
        }
        return Tensor.of(dst, t.shape());
    }

}
