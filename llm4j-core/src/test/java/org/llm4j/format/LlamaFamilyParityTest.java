// Qwen2, Mistral (sliding window) and Llama 3 (scaled RoPE) against PyTorch references
// (tools/pytorch/make_llama_family_fixtures.py), through Hugging Face folders and through GGUF.
package org.llm4j.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.llm4j.kernels.DType;
import org.llm4j.model.DecodeState;
import org.llm4j.model.LanguageModel;
import org.llm4j.model.Llama;
import org.llm4j.model.LlamaConfig;
import org.llm4j.model.RopeScaling;
import org.llm4j.tensor.Tensor;
import org.llm4j.tokenizer.CharTokenizer;
import org.llm4j.tokenizer.SentencePieceBpeTokenizer;
import org.llm4j.tokenizer.SentencePieceBpeTokenizer.TokenType;

class LlamaFamilyParityTest {
    static Path fixture(String name) {
        try {
            return Path.of(LlamaFamilyParityTest.class.getResource("/fixtures/llama_family/" + name).toURI());
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static Map<String, Tensor> reference(String name) throws IOException {
        return Safetensors.read(fixture(name).resolve("reference.safetensors")).tensors();
    }

    static int[] ints(Tensor t) {
        int[] out = new int[t.data.length];
        for (int i = 0; i < out.length; i++) out[i] = (int) t.data[i];
        return out;
    }

    // The fixture's config.json and model.safetensors with a 96-character tokenizer.json beside them.
    static Path folder(String name, Path tmp) throws IOException {
        Path d = Files.createDirectories(tmp.resolve(name));
        Files.copy(fixture(name).resolve("config.json"), d.resolve("config.json"));
        Files.copy(fixture(name).resolve("model.safetensors"), d.resolve("model.safetensors"));
        int[] cps = new int[96];
        for (int i = 0; i < cps.length; i++) cps[i] = 32 + i;
        Files.writeString(d.resolve("tokenizer.json"), new CharTokenizer(cps).toJson());
        return d;
    }

    /** Logits of every position, one step at a time; and the prefill of them all must agree with the last. */
    static float[][] stepLogits(LanguageModel m, int[] ids) {
        DecodeState s = m.newState();
        float[][] out = new float[ids.length][];
        for (int t = 0; t < ids.length; t++) out[t] = m.step(s, ids[t]);
        return out;
    }

    static double maxRelError(float[][] actual, float[] expected) {
        double err = 0, scale = 1e-12;
        int v = expected.length / actual.length;
        for (int t = 0; t < actual.length; t++) {
            for (int j = 0; j < v; j++) {
                err = Math.max(err, Math.abs(actual[t][j] - expected[t * v + j]));
                scale = Math.max(scale, Math.abs(expected[t * v + j]));
            }
        }
        return err / scale;
    }

    static int[] greedy(LanguageModel m, int[] prompt, int n) {
        DecodeState s = m.newState();
        float[] logits = m.prefill(s, prompt);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            int best = 0;
            for (int j = 1; j < logits.length; j++) if (logits[j] > logits[best]) best = j;
            out[i] = best;
            if (i + 1 < n) logits = m.step(s, best);
        }
        return out;
    }

    static void assertMatches(String what, LanguageModel m, Map<String, Tensor> ref) {
        int[] ids = ints(ref.get("input_ids"));
        float[][] logits = stepLogits(m, ids);
        double err = maxRelError(logits, ref.get("logits").data);
        System.out.printf("%s: max |logit error| / max |logit| = %.2e%n", what, err);
        assertThat(err).as(what + " logits").isLessThan(1e-5);
        float[] prefilled = m.prefill(m.newState(), ids);
        assertThat(maxRelError(new float[][] {prefilled}, Arrays.copyOfRange(ref.get("logits").data, (ids.length - 1) * prefilled.length, ids.length * prefilled.length)))
                .as(what + " prefill").isLessThan(1e-5);
        assertThat(greedy(m, ints(ref.get("greedy_prompt")), ref.get("greedy_tokens").data.length)).as(what + " greedy").containsExactly(ints(ref.get("greedy_tokens")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"qwen2", "mistral", "llama3"})
    void huggingFaceFolderMatchesPyTorch(String name, @TempDir Path tmp) throws IOException {
        ModelFiles.Loaded loaded = ModelFiles.load(folder(name, tmp));
        Llama m = (Llama) loaded.model();
        LlamaConfig c = m.config();
        switch (name) {
            case "qwen2" -> assertThat(c.qkvBias() && c.tiedHead() && c.ropeTheta() == 1e6f && c.slidingWindow() == 0).isTrue();
            case "mistral" -> assertThat(c.slidingWindow()).isEqualTo(8);
            default -> assertThat(c.ropeScaling()).isEqualTo(new RopeScaling.Llama3(8f, 1f, 4f, 256));
        }
        assertMatches(name + " (HF folder)", m, reference(name));
    }

    @Test
    void theFixturesExerciseTheWindowAndTheScaling(@TempDir Path tmp) throws IOException {
        // Without the window (or the scaling) the same weights give other logits: the references test them.
        for (String name : new String[] {"mistral", "llama3"}) {
            Llama m = (Llama) ModelFiles.load(folder(name, tmp)).model();
            LlamaConfig c = m.config();
            LlamaConfig plain = name.equals("mistral")
                    ? new LlamaConfig(c.vocabSize(), c.dim(), c.hiddenDim(), c.nLayers(), c.nHeads(), c.nKvHeads(), c.seqLen(), c.normEps(), c.ropeTheta(), c.rope(), c.tiedHead())
                    : c.withRopeScaling(RopeScaling.NONE);
            Llama p = new Llama(plain, m.parameters(), "plain");
            Map<String, Tensor> ref = reference(name);
            assertThat(maxRelError(stepLogits(p, ints(ref.get("input_ids"))), ref.get("logits").data)).as(name).isGreaterThan(1e-3);
        }
    }

    // A 96-piece SentencePiece vocabulary (3 controls, then characters), so the fixtures travel as GGUF.
    static SentencePieceBpeTokenizer pieces() {
        List<String> p = new ArrayList<>(List.of("<unk>", "<s>", "</s>"));
        TokenType[] types = new TokenType[96];
        Arrays.fill(types, TokenType.NORMAL);
        types[0] = TokenType.UNKNOWN;
        types[1] = types[2] = TokenType.CONTROL;
        for (int i = 3; i < 96; i++) p.add(String.valueOf((char) ('!' + i)));
        return SentencePieceBpeTokenizer.fromSentencePiece(p, new float[96], types, 1, 2, 0, true, true);
    }

    @ParameterizedTest
    @ValueSource(strings = {"qwen2", "mistral", "llama3"})
    void ggufRoundTripMatchesPyTorch(String name, @TempDir Path tmp) throws IOException {
        Llama hf = (Llama) ModelFiles.load(folder(name, tmp)).model();
        Path f = tmp.resolve(name + ".gguf");
        GgufModels.writeLlama(f, hf, pieces(), DType.F32, name);
        Gguf g = Gguf.read(f);
        assertThat(g.string("general.architecture")).isEqualTo(name.equals("qwen2") ? "qwen2" : "llama");
        if (name.equals("qwen2")) assertThat(g.tensors()).containsKeys("blk.0.attn_q.bias", "blk.1.attn_v.bias");
        if (name.equals("llama3")) assertThat(g.tensors().get("rope_freqs.weight").ne()).containsExactly(8);
        if (name.equals("mistral")) assertThat(g.integer("llama.context_length")).isEqualTo(8);   // cut to the window
        ModelFiles.Loaded loaded = GgufModels.load(f);
        Llama m = (Llama) loaded.model();
        assertThat(m.config().rope()).isEqualTo(name.equals("qwen2") ? LlamaConfig.RopeStyle.HALF_SPLIT : LlamaConfig.RopeStyle.INTERLEAVED);
        Map<String, Tensor> ref = reference(name);
        if (name.equals("mistral")) {
            // Within the window (8 positions) plain llama attention is exact.
            int[] ids = Arrays.copyOf(ints(ref.get("input_ids")), 8);
            double err = maxRelError(stepLogits(m, ids), Arrays.copyOf(ref.get("logits").data, 8 * 96));
            assertThat(err).isLessThan(1e-5);
            assertThatThrownBy(() -> stepLogits(m, ints(ref.get("input_ids")))).hasMessageContaining("context length 8");
        } else {
            assertMatches(name + " (GGUF)", m, ref);
        }
    }

    @Test
    void unsupportedOptionsAreRefusedByName() {
        String base = "{\"vocab_size\": 96, \"hidden_size\": 32, \"intermediate_size\": 64, \"num_hidden_layers\": 2, \"num_attention_heads\": 4, \"max_position_embeddings\": 64";
        assertThatThrownBy(() -> ModelFiles.parseConfig(base + ", \"model_type\": \"qwen2\", \"use_sliding_window\": true}", "c.json"))
                .hasMessageContaining("c.json").hasMessageContaining("use_sliding_window");
        assertThatThrownBy(() -> ModelFiles.parseConfig(base + ", \"model_type\": \"llama\", \"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 4}}", "c.json"))
                .hasMessageContaining("rope_scaling type 'yarn'");
        assertThatThrownBy(() -> ModelFiles.parseConfig(base + ", \"model_type\": \"llama\", \"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 8}}", "c.json"))
                .hasMessageContaining("rope_scaling.low_freq_factor");
        assertThatThrownBy(() -> ModelFiles.parseConfig(base + ", \"model_type\": \"mistral\", \"head_dim\": 16}", "c.json"))
                .hasMessageContaining("head_dim 16");
        assertThatThrownBy(() -> ModelFiles.parseConfig(base + ", \"model_type\": \"llama\", \"attention_bias\": true}", "c.json"))
                .hasMessageContaining("attention_bias");
        assertThatThrownBy(() -> ModelFiles.parseConfig(base + ", \"model_type\": \"mistral\", \"sliding_window\": -3}", "c.json"))
                .hasMessageContaining("sliding_window");
        // MistralConfig's defaults: 4096 when the key is absent, none when null.
        String mistral = base.replace("\"max_position_embeddings\": 64", "\"max_position_embeddings\": 8192") + ", \"model_type\": \"mistral\"";
        assertThat(((LlamaConfig) ModelFiles.parseConfig(mistral + "}", "c.json")).slidingWindow()).isEqualTo(4096);
        assertThat(((LlamaConfig) ModelFiles.parseConfig(mistral + ", \"sliding_window\": null}", "c.json")).slidingWindow()).isZero();
        LlamaConfig lin = (LlamaConfig) ModelFiles.parseConfig(base + ", \"model_type\": \"llama\", \"rope_scaling\": {\"type\": \"linear\", \"factor\": 2}}", "c.json");
        assertThat(lin.ropeScaling()).isEqualTo(new RopeScaling.Linear(2f));
        // The config.json llm4j writes reads back as the same config.
        assertThat(ModelFiles.parseConfig(ModelFiles.configJson(lin), "again")).isEqualTo(lin);
    }

    @Test
    void contradictoryGgufIsRefusedByKeyOrTensor(@TempDir Path tmp) throws IOException {
        Llama hf = (Llama) ModelFiles.load(folder("llama3", tmp)).model();
        Map<String, Tensor> p = hf.parameters();
        LlamaConfig c = hf.config();
        // rope_freqs.weight of the wrong length
        GgufWriter w = header(c, "llama");
        GgufTokenizer.write(w, pieces(), 96);
        w.tensor("rope_freqs.weight", Tensor.of(new float[5], 5), DType.F32);
        for (var e : p.entrySet()) w.tensor(GgufModels.ggufName(e.getKey()), e.getValue(), DType.F32);
        Path bad = tmp.resolve("bad-freqs.gguf");
        w.write(bad);
        assertThatThrownBy(() -> GgufModels.load(bad)).hasMessageContaining("rope_freqs.weight").hasMessageContaining("[8]");
        // an unknown scaling type
        GgufWriter y = header(c, "llama").string("llama.rope.scaling.type", "yarn");
        GgufTokenizer.write(y, pieces(), 96);
        for (var e : p.entrySet()) y.tensor(GgufModels.ggufName(e.getKey()), e.getValue(), DType.F32);
        Path yarn = tmp.resolve("yarn.gguf");
        y.write(yarn);
        assertThatThrownBy(() -> GgufModels.load(yarn)).hasMessageContaining("llama.rope.scaling.type 'yarn'");
        // a qwen2 file without its q bias
        GgufWriter q = header(c, "qwen2");
        GgufTokenizer.write(q, pieces(), 96);
        for (var e : p.entrySet()) q.tensor(GgufModels.ggufName(e.getKey()), e.getValue(), DType.F32);
        Path nobias = tmp.resolve("nobias.gguf");
        q.write(nobias);
        assertThatThrownBy(() -> GgufModels.load(nobias)).hasMessageContaining("self_attn.q_proj.bias");
        // key_length other than the head size
        GgufWriter k = header(c, "llama").u32("llama.attention.key_length", 32);
        GgufTokenizer.write(k, pieces(), 96);
        for (var e : p.entrySet()) k.tensor(GgufModels.ggufName(e.getKey()), e.getValue(), DType.F32);
        Path kl = tmp.resolve("kl.gguf");
        k.write(kl);
        assertThatThrownBy(() -> GgufModels.load(kl)).hasMessageContaining("llama.attention.key_length 32");
    }

    static GgufWriter header(LlamaConfig c, String arch) {
        String a = arch + ".";
        return new GgufWriter().string("general.architecture", arch)
                .u32(a + "context_length", c.seqLen()).u32(a + "embedding_length", c.dim()).u32(a + "block_count", c.nLayers())
                .u32(a + "feed_forward_length", c.hiddenDim()).u32(a + "attention.head_count", c.nHeads())
                .u32(a + "attention.head_count_kv", c.nKvHeads()).f32(a + "attention.layer_norm_rms_epsilon", c.normEps())
                .f32(a + "rope.freq_base", c.ropeTheta());
    }
}
