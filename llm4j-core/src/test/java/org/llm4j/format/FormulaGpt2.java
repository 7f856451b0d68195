// Rebuilds the GPT-2-shaped checkpoint of tools/pytorch/quick_brown_fox.py from its formula, as a Hugging Face folder.
package org.llm4j.format;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.llm4j.kernels.DType;
import org.llm4j.model.GPT;
import org.llm4j.model.GPTConfig;
import org.llm4j.tensor.Tensor;

/** The formula weights, the fixture that the PyTorch reference generated from them, and the mirror's GPT-2 tokenizer. */
public final class FormulaGpt2 {
    private FormulaGpt2() {}

    public static JsonNode fixture() throws Exception {
        return new ObjectMapper().readTree(FormulaGpt2.class.getResource("/fixtures/quick_brown_fox.json"));
    }

    public static Path mirror() {
        String m = System.getProperty("llm4j.data.mirror", "");
        assumeTrue(!m.isBlank() && !m.startsWith("${") && Files.isDirectory(Path.of(m)),
                "set LLM4J_DATA_MIRROR to ../shared/data (bin/test does) to run tests that need GPT-2's tokenizer");
        return Path.of(m);
    }

    static long splitmix64(long x) {
        long z = x + 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Tensors by GPT2LMHeadModel name (with the transformer. prefix), filled by the formula. */
    public static Map<String, Tensor> weights(GPTConfig cfg) {
        Map<String, Tensor> shapes = new GPT(cfg, 1).parameters();
        List<String> names = new ArrayList<>(shapes.keySet());
        java.util.Collections.sort(names);
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (int salt = 0; salt < names.size(); salt++) {
            String name = names.get(salt);
            int[] shape = shapes.get(name).shape();
            float[] v = new float[shapes.get(name).size()];
            boolean lnWeight = name.contains("ln_") && name.endsWith(".weight"), bias = name.endsWith(".bias");
            for (int i = 0; i < v.length; i++) {
                double u = (splitmix64(((long) salt << 32) + i) >>> 40) / (double) (1 << 24);
                v[i] = (float) (lnWeight ? 1.0 + (u - 0.5) * 0.2 : bias ? (u - 0.5) * 0.02 : (u - 0.5) * 0.2);
            }
            out.put(name, Tensor.of(v, shape));
        }
        return out;
    }

    /**
     * Writes a Hugging Face GPT-2 folder as the Hub serves gpt2: names without the transformer.
     * prefix, the old causal-mask buffers h.N.attn.bias, weights in the given type, GPT-2's tokenizer.json.
     */
    public static Path writeFolder(Path dir, DType dtype) throws Exception {
        JsonNode fx = fixture();
        GPTConfig cfg = (GPTConfig) ModelFiles.parseConfig(fx.get("config"), "fixture");
        Map<String, Tensor> hub = new LinkedHashMap<>();
        weights(cfg).forEach((k, t) -> hub.put(k.substring("transformer.".length()), t));
        for (int l = 0; l < cfg.nLayer(); l++) {
            int n = cfg.blockSize();
            hub.put("h." + l + ".attn.bias", Tensor.of(new float[n * n], 1, 1, n, n));
        }
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), fx.get("config").toPrettyString());
        Safetensors.write(dir.resolve("model.safetensors"), hub, Map.of("format", "pt"), dtype);
        Files.copy(mirror().resolve("gpt2-tokenizer/tokenizer.json"), dir.resolve("tokenizer.json"));
        Files.writeString(dir.resolve("generation_config.json"), "{\"bos_token_id\": 50256, \"eos_token_id\": 50256}");
        return dir;
    }

    public static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) out[i] = array.get(i).asInt();
        return out;
    }

}
