package org.llm4j.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.llm4j.generate.GenerationConfig;
import org.llm4j.generate.Generator;
import org.llm4j.kernels.DType;
import org.llm4j.model.DecodeState;
import org.llm4j.model.GPT;
import org.llm4j.model.LanguageModel;
import org.llm4j.tensor.Tensor;

/** Hugging Face GPT-2 folders: memory-mapped and heap loading, dtypes, shards, names, and bad files. */
class ModelFolderTest {

    static float[] stepAll(LanguageModel m, int[] ids) {
        DecodeState s = m.newState();
        float[] logits = null;
        for (int id : ids) logits = m.step(s, id);
        return logits;
    }

    static double maxRelDiff(float[] a, float[] b) {
        double err = 0, scale = 1e-12;
        for (int i = 0; i < a.length; i++) {
            err = Math.max(err, Math.abs(a[i] - b[i]));
            scale = Math.max(scale, Math.abs(b[i]));
        }
        return err / scale;
    }

    @Test
    void quickBrownFoxMatchesThePyTorchReference(@TempDir Path dir) throws Exception {
        JsonNode fx = FormulaGpt2.fixture();
        ModelFiles.Loaded m = ModelFiles.load(FormulaGpt2.writeFolder(dir.resolve("gpt2"), DType.F32));
        assertThat(((GPT) m.model()).isMapped()).as("weights stay in the file").isTrue();
        assertThat(m.generationConfig().path("eos_token_id").asInt()).isEqualTo(50256);
        int[] prompt = m.tokenizer().encode("The quick brown fox");
        assertThat(prompt).containsExactly(FormulaGpt2.ints(fx.get("prompt_ids")));
        float[] logits = m.model().prefill(m.model().newState(), prompt);
        for (int i = 0; i < 8; i++) assertThat((double) logits[i]).isCloseTo(fx.get("last_prompt_logits_first8").get(i).asDouble(), org.assertj.core.data.Offset.offset(1e-4));
        int[] out = Generator.generate(m.model(), prompt, GenerationConfig.greedy(fx.get("max_length").asInt() - prompt.length), null);
        assertThat(java.util.Arrays.copyOfRange(out, prompt.length, out.length)).containsExactly(FormulaGpt2.ints(fx.get("greedy_ids")));
    }

    @Test
    void mappedWeightsDecodeExactlyAsHeapWeightsAndPrefillAsSteps(@TempDir Path dir) throws Exception {
        Path folder = FormulaGpt2.writeFolder(dir.resolve("gpt2"), DType.F32);
        LanguageModel mapped = ModelFiles.load(folder, true).model(), heap = ModelFiles.load(folder, false).model();
        assertThat(((GPT) heap).isMapped()).isFalse();
        int[] ids = {464, 2068, 7586, 21831, 11, 290, 262};
        float[] a = stepAll(mapped, ids), b = stepAll(heap, ids);
        assertThat(a).as("mapped F32 and heap give the same bits").containsExactly(b);
        float[] pre = mapped.prefill(mapped.newState(), ids);
        assertThat(maxRelDiff(pre, a)).as("prefill vs steps").isLessThan(1e-5);
        assertThat(ids.length).isLessThanOrEqualTo(org.llm4j.kernels.Kernels.FEW_ROWS);
        assertThat(pre).as("a prompt of at most FEW_ROWS tokens runs the decoding loops: the same bits as steps").containsExactly(a);
        // prefill continues an existing cache
        DecodeState s = mapped.newState();
        mapped.prefill(s, java.util.Arrays.copyOf(ids, 3));
        float[] rest = mapped.prefill(s, java.util.Arrays.copyOfRange(ids, 3, ids.length));
        assertThat(s.position()).isEqualTo(ids.length);
        assertThat(maxRelDiff(rest, a)).isLessThan(1e-5);
    }

    @Test
    void halfPrecisionFoldersLoadMappedAndOnTheHeap(@TempDir Path dir) throws Exception {
        int[] ids = {464, 2068, 7586, 21831};
        float[] ref = stepAll(ModelFiles.load(FormulaGpt2.writeFolder(dir.resolve("f32"), DType.F32)).model(), ids);
        for (DType t : new DType[]{DType.F16, DType.BF16}) {
            Path folder = FormulaGpt2.writeFolder(dir.resolve(t.name()), t);
            LanguageModel mapped = ModelFiles.load(folder, true).model(), heap = ModelFiles.load(folder, false).model();
            assertThat(((GPT) mapped).parameters().get("transformer.h.0.attn.c_attn.weight").dtype()).isEqualTo(t);
            float[] a = stepAll(mapped, ids);
            assertThat(a).as(t + ": lanes converted in place equal the heap copy").containsExactly(stepAll(heap, ids));
            assertThat(maxRelDiff(a, ref)).as(t + " vs F32").isLessThan(t == DType.F16 ? 1e-2 : 5e-2).isGreaterThan(0);
        }
    }

    @Test
    void shardedFoldersAndLlm4jNamesLoad(@TempDir Path dir) throws Exception {
        Path single = FormulaGpt2.writeFolder(dir.resolve("single"), DType.F32);
        float[] ref = stepAll(ModelFiles.load(single).model(), new int[]{1, 2, 3});
        Map<String, Tensor> all = Safetensors.read(single.resolve("model.safetensors")).tensors();
        Path sharded = Files.createDirectories(dir.resolve("sharded"));
        for (String f : new String[]{"config.json", "tokenizer.json"}) Files.copy(single.resolve(f), sharded.resolve(f));
        Map<String, Tensor> a = new LinkedHashMap<>(), b = new LinkedHashMap<>();
        StringBuilder index = new StringBuilder("{\"metadata\": {}, \"weight_map\": {");
        int i = 0;
        for (var e : all.entrySet()) {
            String shard = i % 2 == 0 ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors";
            (i % 2 == 0 ? a : b).put(e.getKey(), e.getValue());
            index.append(i++ > 0 ? ", " : "").append('"').append(e.getKey()).append("\": \"").append(shard).append('"');
        }
        Safetensors.write(sharded.resolve("model-00001-of-00002.safetensors"), a, null);
        Safetensors.write(sharded.resolve("model-00002-of-00002.safetensors"), b, null);
        Files.writeString(sharded.resolve("model.safetensors.index.json"), index.append("}}").toString());
        assertThat(stepAll(ModelFiles.load(sharded).model(), new int[]{1, 2, 3})).containsExactly(ref);

        // a shard that lacks a tensor its index promises, and a shard file that is missing
        String first = a.keySet().iterator().next();
        Files.writeString(sharded.resolve("model.safetensors.index.json"),
                "{\"weight_map\": {\"" + first + "\": \"model-00001-of-00002.safetensors\", \"ghost\": \"model-00001-of-00002.safetensors\"}}");
        assertThatThrownBy(() -> ModelFiles.load(sharded)).hasMessageContaining("'ghost'").hasMessageContaining("not in this shard");
        Files.writeString(sharded.resolve("model.safetensors.index.json"), "{\"weight_map\": {\"wte.weight\": \"model-9.safetensors\"}}");
        assertThatThrownBy(() -> ModelFiles.load(sharded)).hasMessageContaining("model-9.safetensors").hasMessageContaining("missing");
        Files.writeString(sharded.resolve("model.safetensors.index.json"), "{\"weight_map\": {\"wte.weight\": \"../x.safetensors\"}}");
        assertThatThrownBy(() -> ModelFiles.load(sharded)).hasMessageContaining("invalid shard file");

        // a folder saved by llm4j (prefixed names, no buffers) from the mapped model loads back the same
        ModelFiles.Loaded m = ModelFiles.load(single);
        ModelFiles.save(dir.resolve("resaved"), m.model(), m.tokenizer());
        assertThat(Safetensors.read(dir.resolve("resaved/model.safetensors")).tensors()).containsKey("transformer.wte.weight");
        assertThat(stepAll(ModelFiles.load(dir.resolve("resaved")).model(), new int[]{1, 2, 3})).containsExactly(ref);
    }

    @Test
    void everyGpt2SizeParsesFromItsConfig() throws Exception {
        // The Hub's config.json fields for gpt2, gpt2-medium, gpt2-large, gpt2-xl, and their published sizes.
        Object[][] sizes = {{768, 12, 12, 124_439_808L}, {1024, 24, 16, 354_823_168L}, {1280, 36, 20, 774_030_080L}, {1600, 48, 25, 1_557_611_200L}};
        for (Object[] z : sizes) {
            String json = "{\"model_type\": \"gpt2\", \"vocab_size\": 50257, \"n_ctx\": 1024, \"n_positions\": 1024, \"n_embd\": " + z[0]
                    + ", \"n_layer\": " + z[1] + ", \"n_head\": " + z[2] + ", \"activation_function\": \"gelu_new\", \"n_inner\": null,"
                    + " \"layer_norm_epsilon\": 1e-05, \"resid_pdrop\": 0.1, \"scale_attn_weights\": true}";
            org.llm4j.model.GPTConfig cfg = (org.llm4j.model.GPTConfig) ModelFiles.parseConfig(json, "config.json");
            assertThat(cfg.parameterCount()).as("n_embd " + z[0]).isEqualTo((long) z[3]);
        }
        org.llm4j.model.GPTConfig tiny = new org.llm4j.model.GPTConfig(97, 16, 2, 2, 8, 0f, 1e-5f);
        assertThat(tiny.parameterCount()).isEqualTo(tiny.build(1).parameterCount());
    }

    @Test
    void mappedModelsRefuseTrainingWithAClearMessage(@TempDir Path dir) throws Exception {
        LanguageModel m = ModelFiles.load(FormulaGpt2.writeFolder(dir.resolve("gpt2"), DType.F32)).model();
        assertThatThrownBy(() -> m.forward(new int[]{1, 2}, 1, 2)).hasMessageContaining("memory-mapped").hasMessageContaining("--init-from");
    }

    // Rewrites model.safetensors with a hand-made header and data of the given size.
    static void rawWeights(Path folder, String header, int dataBytes) throws Exception {
        Files.move(SafetensorsTest.file(folder, header, dataBytes), folder.resolve("model.safetensors"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    @Test
    void badFoldersGetErrorsThatNameTheFileAndTensor(@TempDir Path dir) throws Exception {
        Path f = FormulaGpt2.writeFolder(dir.resolve("gpt2"), DType.F32);
        Path weights = f.resolve("model.safetensors");
        byte[] good = Files.readAllBytes(weights);

        Files.write(weights, java.util.Arrays.copyOf(good, good.length - 100)); // truncated
        assertThatThrownBy(() -> ModelFiles.load(f)).hasMessageContaining("model.safetensors").hasMessageContaining("fall outside");

        rawWeights(f, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12);
        assertThatThrownBy(() -> ModelFiles.load(f)).hasMessageContaining("'a'").hasMessageContaining("'b'").hasMessageContaining("overlap");

        Files.write(weights, ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN).putLong(1000).array()); // header longer than the file
        assertThatThrownBy(() -> ModelFiles.load(f)).hasMessageContaining("header length 1000");

        rawWeights(f, "{\"wte.weight\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4);
        assertThatThrownBy(() -> ModelFiles.load(f)).hasMessageContaining("'wte.weight'").hasMessageContaining("I32");

        Files.write(weights, good);
        String cfg = Files.readString(f.resolve("config.json"));
        Files.writeString(f.resolve("config.json"), cfg.replace("\"n_embd\" : 64", "\"n_embd\" : 32"));
        assertThatThrownBy(() -> ModelFiles.load(f)).hasMessageContaining("model.safetensors").hasMessageContaining("shape").hasMessageContaining("expects");
        Files.writeString(f.resolve("config.json"), cfg.replace("\"gelu_new\"", "\"relu\""));
        assertThatThrownBy(() -> ModelFiles.load(f)).hasMessageContaining("config.json").hasMessageContaining("activation_function 'relu'");
        Files.writeString(f.resolve("config.json"), cfg);

        Files.delete(f.resolve("tokenizer.json"));
        assertThatThrownBy(() -> ModelFiles.load(f)).hasMessageContaining("no tokenizer");
        Files.copy(FormulaGpt2.mirror().resolve("gpt2-tokenizer/tokenizer.json"), f.resolve("tokenizer.json"));
        Files.delete(weights);
        Files.writeString(f.resolve("pytorch_model.bin"), "pickle");
        assertThatThrownBy(() -> ModelFiles.load(f)).hasMessageContaining("no weights").hasMessageContaining("pickle");
    }
}
