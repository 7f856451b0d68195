// Models from GGUF files: the architecture from general.architecture, hyperparameters from metadata, weights in place.
package org.llm4j.format;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.llm4j.kernels.DType;
import org.llm4j.model.Llama;
import org.llm4j.model.LlamaConfig;
import org.llm4j.tensor.Tensor;
import org.llm4j.tokenizer.SentencePieceBpeTokenizer;
import org.llm4j.tokenizer.Tokenizer;

/**
 * The one table from llama.cpp's tensor names to llm4j's (Hugging Face's), and the metadata keys
 * of each architecture. Only "llama" so far. llama.cpp's "llama" architecture rotates adjacent RoPE
 * pairs (its converter undoes Hugging Face's q/k permutation), so these models use
 * {@link LlamaConfig.RopeStyle#INTERLEAVED}.
 */
public final class GgufModels {
    private GgufModels() {}

    private static final Map<String, String> LAYER_NAMES = Map.of(
            "attn_norm.weight", "input_layernorm.weight", "attn_q.weight", "self_attn.q_proj.weight",
            "attn_k.weight", "self_attn.k_proj.weight", "attn_v.weight", "self_attn.v_proj.weight",
            "attn_output.weight", "self_attn.o_proj.weight", "ffn_norm.weight", "post_attention_layernorm.weight",
            "ffn_gate.weight", "mlp.gate_proj.weight", "ffn_up.weight", "mlp.up_proj.weight", "ffn_down.weight", "mlp.down_proj.weight");

    /** A GGUF model with its tokenizer; generation defaults carry BOS and EOS from the metadata. */
    public static ModelFiles.Loaded load(Path file) throws IOException {
        Gguf g = Gguf.read(file);
        String arch = g.string("general.architecture");
        if (!arch.equals("llama")) throw new IllegalArgumentException(file + ": general.architecture '" + arch + "' is not supported yet (llama only)");
        Tokenizer tok = GgufTokenizer.fromMetadata(g);
        Llama model = llama(g, tok.vocabSize());
        var gen = ModelFiles.JSON.createObjectNode();
        if (tok instanceof SentencePieceBpeTokenizer sp) {
            if (sp.bosId() >= 0) gen.put("bos_token_id", sp.bosId());
            if (sp.eosId() >= 0) gen.put("eos_token_id", sp.eosId());
        }
        return new ModelFiles.Loaded(model, tok, gen, ChatTemplates.fromGguf(g, tok));
    }

    static Llama llama(Gguf g, int tokenizerVocab) {
        String a = "llama.";
        Gguf.TensorInfo emb = g.tensors().get("token_embd.weight");
        if (emb == null || emb.ne().length != 2) throw new IllegalArgumentException(g.origin() + ": tensor 'token_embd.weight' (vocab, dim) is missing or not a matrix");
        int dim = g.integer(a + "embedding_length"), vocab = (int) emb.ne()[1];
        if (emb.ne()[0] != dim) throw new IllegalArgumentException(g.origin() + ": token_embd.weight has rows of " + emb.ne()[0] + " but llama.embedding_length is " + dim);
        if (tokenizerVocab > vocab) throw new IllegalArgumentException(g.origin() + ": tokenizer.ggml.tokens has " + tokenizerVocab + " tokens but token_embd.weight only " + vocab + " rows");
        if (g.has(a + "vocab_size") && g.integer(a + "vocab_size") != vocab) {
            throw new IllegalArgumentException(g.origin() + ": llama.vocab_size " + g.integer(a + "vocab_size") + " contradicts token_embd.weight's " + vocab + " rows");
        }
        if (g.has(a + "rope.scaling.type") && !g.string(a + "rope.scaling.type").equals("none")) {
            throw new IllegalArgumentException(g.origin() + ": llama.rope.scaling.type '" + g.string(a + "rope.scaling.type") + "' is not supported yet");
        }
        if (g.tensors().containsKey("rope_freqs.weight")) throw new IllegalArgumentException(g.origin() + ": rope_freqs.weight (Llama 3 RoPE scaling) is not supported yet");
        int heads = g.integer(a + "attention.head_count");
        boolean tied = !g.tensors().containsKey("output.weight");
        LlamaConfig cfg;
        try {
            cfg = new LlamaConfig(vocab, dim, g.integer(a + "feed_forward_length"), g.integer(a + "block_count"), heads,
                    g.integer(a + "attention.head_count_kv", heads), g.integer(a + "context_length"),
                    g.real(a + "attention.layer_norm_rms_epsilon"), g.real(a + "rope.freq_base", 10000f), LlamaConfig.RopeStyle.INTERLEAVED, tied);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(g.origin() + ": " + e.getMessage());
        }
        if (g.has(a + "rope.dimension_count") && g.integer(a + "rope.dimension_count") != cfg.headSize()) {
            throw new IllegalArgumentException(g.origin() + ": llama.rope.dimension_count " + g.integer(a + "rope.dimension_count") + " (partial RoPE) is not supported; head size is " + cfg.headSize());
        }
        Map<String, Tensor> w = new LinkedHashMap<>();
        for (String name : g.tensors().keySet()) {
            String hf = hfName(name);
            if (hf == null) throw new IllegalArgumentException(g.origin() + ": unexpected tensor '" + name + "' for a llama model");
            w.put(hf, g.tensor(name));
        }
        return new Llama(cfg, w, g.origin());
    }

    /** llama.cpp's tensor name → Hugging Face's, or null. */
    static String hfName(String name) {
        switch (name) {
            case "token_embd.weight": return "model.embed_tokens.weight";
            case "output_norm.weight": return "model.norm.weight";
            case "output.weight": return "lm_head.weight";
            default:
        }
        if (!name.startsWith("blk.")) return null;
        int dot = name.indexOf('.', 4);
        if (dot < 0) return null;
        String layer = name.substring(4, dot), rest = LAYER_NAMES.get(name.substring(dot + 1));
        if (rest == null || !layer.chars().allMatch(Character::isDigit) || layer.isEmpty()) return null;
        return "model.layers." + Integer.parseInt(layer) + "." + rest;
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
     * Writes a Llama with its SentencePiece tokenizer as a llama.cpp GGUF: matrices whose rows are
     * whole blocks in the given type (F32, F16, Q8_0, Q4_0), the rest (norm gains, odd widths) F32
     * as llama.cpp's quantizer does.
     */
    public static void writeLlama(Path file, Llama model, SentencePieceBpeTokenizer tok, DType type, String name) throws IOException {
        LlamaConfig c = model.config();
        if (c.rope() != LlamaConfig.RopeStyle.INTERLEAVED) throw new IllegalArgumentException("writing half-split RoPE weights needs the q/k permutation, not implemented yet");
        GgufWriter w = new GgufWriter()
                .string("general.architecture", "llama").string("general.name", name).u32("general.alignment", 32)
                .u32("llama.context_length", c.seqLen()).u32("llama.embedding_length", c.dim()).u32("llama.block_count", c.nLayers())
                .u32("llama.feed_forward_length", c.hiddenDim()).u32("llama.rope.dimension_count", c.headSize())
                .u32("llama.attention.head_count", c.nHeads()).u32("llama.attention.head_count_kv", c.nKvHeads())
                .f32("llama.attention.layer_norm_rms_epsilon", c.normEps()).f32("llama.rope.freq_base", c.ropeTheta())
                .u32("general.file_type", switch (type) { case F32 -> 0; case F16 -> 1; case Q4_0 -> 2; case Q8_0 -> 7; case BF16 -> 32; });
        int n = tok.vocabSize();
        List<String> pieces = new java.util.ArrayList<>(n);
        float[] scores = new float[n];
        int[] types = new int[n];
        for (int i = 0; i < n; i++) {
            pieces.add(tok.type(i) == SentencePieceBpeTokenizer.TokenType.BYTE ? tok.piece(i) : tok.piece(i).replace(' ', '\u2581'));
            scores[i] = tok.score(i);
            types[i] = tok.type(i).ordinal() + 1;
        }
        w.string("tokenizer.ggml.model", "llama").strings("tokenizer.ggml.tokens", pieces).floats("tokenizer.ggml.scores", scores)
                .ints("tokenizer.ggml.token_type", types);
        if (tok.bosId() >= 0) w.u32("tokenizer.ggml.bos_token_id", tok.bosId());
        if (tok.eosId() >= 0) w.u32("tokenizer.ggml.eos_token_id", tok.eosId());
        for (var e : model.parameters().entrySet()) {
            Tensor t = e.getValue();
            boolean matrix = t.rank() == 2 && t.shape()[1] % type.blockSize == 0;
            w.tensor(ggufName(e.getKey()), t, matrix ? type : DType.F32);
        }
        w.write(file);
    }
}
