// Training checkpoints: weights, optimizer moments, step and random states in one safetensors file,
// written atomically so that a crash mid-write leaves the previous checkpoint intact.
package org.llm4j.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.llm4j.format.ModelFiles;
import org.llm4j.format.Safetensors;
import org.llm4j.model.LanguageModel;
import org.llm4j.model.ModelConfig;
import org.llm4j.optim.AdamW;
import org.llm4j.tensor.Tensor;
import org.llm4j.tokenizer.Tokenizer;

/**
 * Layout: tensors {@code model.<name>}, {@code optim.m.<name>}, {@code optim.v.<name>}; metadata
 * {@code config} (the model's config.json), {@code tokenizer} (tokenizer.json) and {@code state}
 * (step, optimizer step, sampler and dropout RNG states, best validation loss).
 */
public final class Checkpoint {
    public static final String FILE = "checkpoint.safetensors";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Where a run stands: enough to continue it exactly. */
    public record State(int iter, long optimizerStep, long samplerRng, long dropoutRng, double bestValLoss) {}

    /** A checkpoint read back. */
    public record Loaded(ModelConfig config, Tokenizer tokenizer, Map<String, Tensor> model,
                         Map<String, Tensor> m, Map<String, Tensor> v, State state) {}

    private Checkpoint() {}

    public static void save(Path file, LanguageModel model, AdamW opt, Tokenizer tokenizer, State state) throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        model.parameters().forEach((k, t) -> tensors.put("model." + k, t));
        opt.firstMoments().forEach((k, a) -> tensors.put("optim.m." + k, Tensor.of(a, model.parameters().get(k).shape())));
        opt.secondMoments().forEach((k, a) -> tensors.put("optim.v." + k, Tensor.of(a, model.parameters().get(k).shape())));
        ObjectNode st = JSON.createObjectNode();
        st.put("iter", state.iter());
        st.put("optimizer_step", state.optimizerStep());
        st.put("sampler_rng", Long.toString(state.samplerRng()));
        st.put("dropout_rng", Long.toString(state.dropoutRng()));
        st.put("best_val_loss", state.bestValLoss());
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "llm4j-checkpoint-1");
        meta.put("config", ModelFiles.configJson(model.config()).toString());
        if (tokenizer != null) meta.put("tokenizer", tokenizer.toJson());
        meta.put("state", st.toString());
        Safetensors.write(file, tensors, meta);
    }

    public static Loaded load(Path file) throws IOException {
        Safetensors.Contents c = Safetensors.read(file);
        Map<String, String> meta = c.metadata();
        if (!"llm4j-checkpoint-1".equals(meta.get("format"))) {
            throw new IOException(file + ": not an llm4j training checkpoint (metadata 'format' is " + meta.get("format") + ")");
        }
        for (String key : new String[]{"config", "state"}) {
            if (!meta.containsKey(key)) throw new IOException(file + ": checkpoint metadata lacks '" + key + "'");
        }
        ModelConfig config = ModelFiles.parseConfig(meta.get("config"), file + " (config)");
        Tokenizer tok = meta.containsKey("tokenizer") ? Tokenizer.fromJson(meta.get("tokenizer"), file + " (tokenizer)") : null;
        Map<String, Tensor> model = new LinkedHashMap<>(), m = new LinkedHashMap<>(), v = new LinkedHashMap<>();
        c.tensors().forEach((k, t) -> {
            if (k.startsWith("model.")) model.put(k.substring(6), t);
            else if (k.startsWith("optim.m.")) m.put(k.substring(8), t);
            else if (k.startsWith("optim.v.")) v.put(k.substring(8), t);
        });
        JsonNode st = JSON.readTree(meta.get("state"));
        State state = new State(st.path("iter").asInt(), st.path("optimizer_step").asLong(),
                Long.parseLong(st.path("sampler_rng").asText("0")), Long.parseLong(st.path("dropout_rng").asText("0")),
                st.path("best_val_loss").asDouble(Double.NaN));
        return new Loaded(config, tok, model, m, v, state);
    }

    /** Copies moments from a loaded checkpoint into an optimizer, checking every parameter is there. */
    static void restore(AdamW opt, Loaded ck, Path file) {
        for (var e : opt.firstMoments().entrySet()) {
            Tensor m = ck.m().get(e.getKey()), v = ck.v().get(e.getKey());
            if (m == null || v == null || m.size() != e.getValue().length || v.size() != e.getValue().length) {
                throw new IllegalArgumentException(file + ": optimizer state for '" + e.getKey() + "' is missing or has the wrong size");
            }
            System.arraycopy(m.data, 0, e.getValue(), 0, m.size());
            System.arraycopy(v.data, 0, opt.secondMoments().get(e.getKey()), 0, v.size());
        }
        opt.setStepCount(ck.state().optimizerStep());
    }
}
