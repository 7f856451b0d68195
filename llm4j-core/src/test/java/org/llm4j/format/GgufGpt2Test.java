// GPT-2 through GGUF (llama.cpp's gpt2 architecture): written by llm4j, read back, same logits.
package org.llm4j.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.llm4j.kernels.DType;
import org.llm4j.model.DecodeState;
import org.llm4j.model.GPT;
import org.llm4j.model.GPTConfig;
import org.llm4j.model.LanguageModel;
import org.llm4j.tensor.Tensor;
import org.llm4j.tokenizer.ByteLevelBpeTokenizer;
import org.llm4j.tokenizer.Tokenizer;

class GgufGpt2Test {
    static ByteLevelBpeTokenizer gpt2Tokenizer() throws IOException {
        return (ByteLevelBpeTokenizer) GgufTokenizer.fromMetadata(Gguf.read(GgufVocabTest.dir().resolve("ggml-vocab-gpt-2.gguf")));
    }

    static float[][] logits(LanguageModel m, int[] ids) {
        DecodeState s = m.newState();
        float[][] out = new float[ids.length][];
        for (int t = 0; t < ids.length; t++) out[t] = m.step(s, ids[t]);
        return out;
    }

    static double maxRel(float[][] a, float[][] b) {
        double err = 0, scale = 1e-12;
        for (int t = 0; t < a.length; t++) {
            for (int j = 0; j < a[t].length; j++) {
                err = Math.max(err, Math.abs(a[t][j] - b[t][j]));
                scale = Math.max(scale, Math.abs(b[t][j]));
            }
        }
        return err / scale;
    }

    @Test
    void writeReadGivesTheSameLogitsAndLlamaCppsLayout(@TempDir Path tmp) throws IOException {
        ByteLevelBpeTokenizer tok = gpt2Tokenizer();
        GPT src = new GPT(new GPTConfig(50257, 32, 2, 4, 64, 0f, 1e-5f), 11);
        src.setTraining(false);
        int[] ids = tok.encode("Hello world, it's a GGUF round trip.");
        float[][] want = logits(src, ids);
        Path f = tmp.resolve("gpt2.gguf");
        GgufModels.writeGpt2(f, src, tok, DType.F32, "tiny-gpt2");
        Gguf g = Gguf.read(f);
        // llama.cpp's names, shapes (ne[0] = input features) and keys.
        assertThat(g.string("general.architecture")).isEqualTo("gpt2");
        assertThat(g.tensors().get("blk.0.attn_qkv.weight").ne()).containsExactly(64, 192);
        assertThat(g.tensors().get("blk.1.ffn_up.weight").ne()).containsExactly(64, 256);
        assertThat(g.tensors().get("blk.1.ffn_down.weight").ne()).containsExactly(256, 64);
        assertThat(g.tensors().get("position_embd.weight").ne()).containsExactly(64, 32);
        assertThat(g.tensors()).doesNotContainKey("output.weight").containsKeys("output_norm.bias", "blk.1.attn_output.bias");
        assertThat(g.integer("gpt2.context_length")).isEqualTo(32);
        assertThat(g.integer("gpt2.feed_forward_length")).isEqualTo(256);
        assertThat(g.real("gpt2.attention.layer_norm_epsilon")).isEqualTo(1e-5f);
        assertThat(g.string("tokenizer.ggml.model")).isEqualTo("gpt2");
        assertThat(g.string("tokenizer.ggml.pre")).isEqualTo("gpt-2");
        assertThat(g.integer("tokenizer.ggml.bos_token_id")).isEqualTo(50256);
        assertThat(g.integer("tokenizer.ggml.eos_token_id")).isEqualTo(50256);
        assertThat(g.strings("tokenizer.ggml.merges")).hasSize(50000);
        // The stored qkv matrix is Conv1D's transposed.
        float[] hf = src.parameters().get("transformer.h.0.attn.c_attn.weight").floats(), gg = g.tensor("blk.0.attn_qkv.weight").floats();
        assertThat(gg[1]).isEqualTo(hf[192]);   // (out 0, in 1) = Conv1D (in 1, out 0)
        ModelFiles.Loaded loaded = GgufModels.load(f);
        GPT m = (GPT) loaded.model();
        assertThat(m.config()).isEqualTo(src.config());
        assertThat(m.isMapped()).isTrue();
        assertThat(loaded.tokenizer().encode("Hello world, it's a GGUF round trip.")).containsExactly(ids);
        assertThat(loaded.generationConfig().path("eos_token_id").asInt()).isEqualTo(50256);
        float[][] got = logits(m, ids);
        System.out.printf("GPT-2 GGUF F32 round trip: max relative logit difference %.2e%n", maxRel(got, want));
        assertThat(maxRel(got, want)).isLessThan(1e-5);
        float[] prefilled = m.prefill(m.newState(), ids);
        assertThat(maxRel(new float[][] {prefilled}, new float[][] {want[ids.length - 1]})).isLessThan(1e-5);
        // Written again from the GGUF-read model: the same tensors, bit for bit; same logits.
        Path f2 = tmp.resolve("again.gguf");
        GgufModels.writeGpt2(f2, m, loaded.tokenizer(), DType.F32, "tiny-gpt2");
        GPT m2 = (GPT) GgufModels.load(f2).model();
        assertThat(logits(m2, ids)).isDeepEqualTo(got);
        // Back to a Hugging Face folder: Conv1D layout again, the heap model's logits.
        Path dir = tmp.resolve("folder");
        ModelFiles.save(dir, m, loaded.tokenizer());
        assertThat(maxRel(logits(ModelFiles.load(dir).model(), ids), want)).isLessThan(1e-5);
        // Q8_0: close.
        Path q = tmp.resolve("q8.gguf");
        GgufModels.writeGpt2(q, src, tok, DType.Q8_0, "tiny-gpt2");
        GPT mq = (GPT) GgufModels.load(q).model();
        assertThat(mq.parameters().get("transformer.h.0.mlp.c_fc.weight").dtype()).isEqualTo(DType.Q8_0);
        assertThat(maxRel(logits(mq, ids), want)).isLessThan(0.02);
    }

    @Test
    void contradictionsAreRefusedByKeyOrTensor(@TempDir Path tmp) throws IOException {
        ByteLevelBpeTokenizer tok = gpt2Tokenizer();
        GPT src = new GPT(new GPTConfig(50257, 16, 1, 2, 32, 0f, 1e-5f), 3);
        Map<String, Tensor> p = src.parameters();
        // feed_forward_length other than 4C
        Path ff = write(tmp.resolve("ff.gguf"), tok, p, "gpt2.feed_forward_length", 100, null);
        assertThatThrownBy(() -> GgufModels.load(ff)).hasMessageContaining("gpt2.feed_forward_length 100");
        // a context longer than position_embd has rows
        Path ctx = write(tmp.resolve("ctx.gguf"), tok, p, "gpt2.context_length", 17, null);
        assertThatThrownBy(() -> GgufModels.load(ctx)).hasMessageContaining("transformer.wpe.weight");
        // an output.weight that is not the embedding
        Path out = write(tmp.resolve("out.gguf"), tok, p, null, 0, Tensor.zeros(50257, 32));
        assertThatThrownBy(() -> GgufModels.load(out)).hasMessageContaining("output.weight");
        // a byte-level tokenizer larger than the embedding
        GPT small = new GPT(new GPTConfig(300, 16, 1, 2, 32, 0f, 1e-5f), 3);
        assertThatThrownBy(() -> GgufModels.writeGpt2(tmp.resolve("x.gguf"), small, tok, DType.F32, "x")).hasMessageContaining("50257 tokens");
    }

    // The gpt2 layout by hand, with one key overridden and an optional output.weight.
    static Path write(Path f, Tokenizer tok, Map<String, Tensor> p, String key, int value, Tensor output) throws IOException {
        int c = p.get("transformer.wte.weight").shape()[1];
        GgufWriter w = new GgufWriter().string("general.architecture", "gpt2")
                .u32("gpt2.block_count", 1).u32("gpt2.context_length", key != null && key.endsWith("context_length") ? value : 16)
                .u32("gpt2.embedding_length", c).u32("gpt2.feed_forward_length", key != null && key.endsWith("feed_forward_length") ? value : 4 * c)
                .u32("gpt2.attention.head_count", 2).f32("gpt2.attention.layer_norm_epsilon", 1e-5f);
        GgufTokenizer.write(w, tok, 50257);
        for (var e : p.entrySet()) {
            Tensor t = e.getValue();
            String hf = e.getKey();
            if (hf.endsWith("c_attn.weight") || hf.endsWith("c_proj.weight") || hf.endsWith("c_fc.weight")) t = GPT.transposed(t);
            w.tensor(GgufModels.gpt2GgufName(hf), t, DType.F32);
        }
        if (output != null) w.tensor("output.weight", output, DType.F32);
        w.write(f);
        return f;
    }
}
