// stories260K through GGUF: written by llm4j in F32, Q8_0 and Q4_0, read back as a llama-architecture model.
package org.llm4j.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.llm4j.generate.GenerationConfig;
import org.llm4j.generate.Generator;
import org.llm4j.kernels.DType;
import org.llm4j.model.DecodeState;
import org.llm4j.model.LanguageModel;
import org.llm4j.model.Llama;
import org.llm4j.tokenizer.SentencePieceBpeTokenizer;

class GgufModelTest {
    static double nll(LanguageModel m, int[] ids, int positions) {
        DecodeState s = m.newState();
        double nll = 0;
        for (int t = 0; t < positions; t++) {
            float[] logits = m.step(s, ids[t]);
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (float v : logits) max = Math.max(max, v);
            for (float v : logits) sum += Math.exp(v - max);
            nll += max + Math.log(sum) - logits[ids[t + 1]];
        }
        return nll / positions;
    }

    @Test
    void storiesThroughGgufInEachType(@TempDir Path tmp) throws IOException {
        Path d = Llama2cTest.dir();
        Llama src = Llama2c.load(d.resolve("stories260K.bin"));
        SentencePieceBpeTokenizer tok = Llama2c.readTokenizer(d.resolve("tok512.bin"), src.vocabSize());
        String text = new String(Arrays.copyOf(Files.readAllBytes(d.resolveSibling("tinystories-sample").resolve("tinystories_train_head.txt")), 1000), StandardCharsets.UTF_8);
        int[] ids = tok.encode(text);
        double reference = nll(src, ids, 200);
        for (DType type : new DType[] {DType.F32, DType.Q8_0, DType.Q4_0}) {
            Path f = tmp.resolve("stories260K-" + type + ".gguf");
            GgufModels.writeLlama(f, src, tok, type, "stories260K");
            ModelFiles.Loaded loaded = GgufModels.load(f);
            Llama m = (Llama) loaded.model();
            assertThat(m.isMapped()).isTrue();
            assertThat(m.parameters().get("model.layers.0.self_attn.q_proj.weight").dtype()).isEqualTo(type);
            assertThat(m.config()).isEqualTo(src.config());
            // The tokenizer from the GGUF metadata (▁ for spaces) encodes as tok512.bin does.
            assertThat(loaded.tokenizer().encode(text)).containsExactly(ids);
            double q = nll(m, ids, 200);
            switch (type) {
                case F32 -> {
                    assertThat(q).isEqualTo(reference);
                    int[] out = Generator.generate(m, new int[] {1}, GenerationConfig.greedy(200), loaded.tokenizer(), null).sequences().getFirst().tokens();
                    assertThat(loaded.tokenizer().decode(out).strip()).isEqualTo(Files.readString(d.resolve("expected_greedy_t0_n200.txt")).strip());
                }
                case Q8_0 -> assertThat(q).as("Q8_0 NLL vs F32 " + reference).isCloseTo(reference, org.assertj.core.data.Offset.offset(0.01));
                default -> assertThat(q).as("Q4_0 NLL vs F32 " + reference).isCloseTo(reference, org.assertj.core.data.Offset.offset(0.15));
            }
            System.out.printf("stories260K %s: NLL %.5f over 200 positions (F32 %.5f)%n", type, q, reference);
        }
    }

    @Test
    void contradictionsAreRefusedByField(@TempDir Path tmp) throws IOException {
        Path f = tmp.resolve("bad.gguf");
        new GgufWriter().string("general.architecture", "mamba").write(f);
        assertThatThrownBy(() -> GgufModels.load(f)).hasMessageContaining("general.architecture 'mamba'");
        Path d = Llama2cTest.dir();
        Llama src = Llama2c.load(d.resolve("stories260K.bin"));
        SentencePieceBpeTokenizer tok = Llama2c.readTokenizer(d.resolve("tok512.bin"), src.vocabSize());
        Path good = tmp.resolve("good.gguf");
        GgufModels.writeLlama(good, src, tok, DType.F32, "x");
        Gguf g = Gguf.read(good);
        assertThatThrownBy(() -> GgufModels.llama(g, 513)).hasMessageContaining("513 tokens").hasMessageContaining("512 rows");
        assertThat(GgufModels.hfName("blk.3.ffn_down.weight")).isEqualTo("model.layers.3.mlp.down_proj.weight");
        assertThat(GgufModels.hfName("blk.x.ffn_down.weight")).isNull();
    }

    // llama.cpp reads tokenizer.ggml.add_bos_token / add_space_prefix / unknown_token_id and assumes true / true / 0 without
    // them, so a tokenizer that differs must say so in the file: it keeps its behaviour through GGUF, in llm4j and llama.cpp.
    @Test
    void tokenizerFlagsSurviveGguf(@TempDir Path tmp) throws IOException {
        Path d = Llama2cTest.dir();
        Llama src = Llama2c.load(d.resolve("stories260K.bin"));
        SentencePieceBpeTokenizer tok = Llama2c.readTokenizer(d.resolve("tok512.bin"), src.vocabSize());
        int n = tok.vocabSize();
        java.util.List<String> pieces = new java.util.ArrayList<>();
        float[] scores = new float[n];
        SentencePieceBpeTokenizer.TokenType[] types = new SentencePieceBpeTokenizer.TokenType[n];
        for (int i = 0; i < n; i++) {
            pieces.add(tok.piece(i));
            scores[i] = tok.score(i);
            types[i] = tok.type(i);
        }
        assertThat(tok.addsBos()).isTrue();
        assertThat(tok.addsDummyPrefix()).isTrue();
        SentencePieceBpeTokenizer plain = new SentencePieceBpeTokenizer(pieces, scores, types, 1, 2, -1, false, false);
        Path f = tmp.resolve("flags.gguf");
        GgufModels.writeLlama(f, src, plain, DType.F32, "flags");
        Gguf g = Gguf.read(f);
        assertThat(g.bool("tokenizer.ggml.add_bos_token", true)).isFalse();
        assertThat(g.bool("tokenizer.ggml.add_space_prefix", true)).isFalse();
        assertThat(g.bool("tokenizer.ggml.add_eos_token", true)).isFalse();
        assertThat(g.has("tokenizer.ggml.unknown_token_id")).isFalse();
        SentencePieceBpeTokenizer back = (SentencePieceBpeTokenizer) GgufModels.load(f).tokenizer();
        assertThat(back.addsBos()).isFalse();
        assertThat(back.addsDummyPrefix()).isFalse();
        assertThat(back.encode("Once upon a time")).containsExactly(plain.encode("Once upon a time")).doesNotContain(1);
        // and the usual Llama tokenizer writes its own values: BOS, the dummy prefix, <unk> at 0
        Path f2 = tmp.resolve("usual.gguf");
        GgufModels.writeLlama(f2, src, tok, DType.F32, "usual");
        Gguf g2 = Gguf.read(f2);
        assertThat(g2.bool("tokenizer.ggml.add_bos_token", false)).isTrue();
        assertThat(g2.bool("tokenizer.ggml.add_space_prefix", false)).isTrue();
        assertThat(g2.integer("tokenizer.ggml.unknown_token_id")).isEqualTo(tok.unkId());
    }
}
