// Model folders in the Hugging Face layout: config.json, model.safetensors, tokenizer.json. The one
// place where Hugging Face config names map to llm4j's config records.
package org.llm4j.format;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.llm4j.io.AtomicFiles;
import org.llm4j.model.GPTConfig;
import org.llm4j.model.LanguageModel;
import org.llm4j.model.LstmConfig;
import org.llm4j.model.ModelConfig;
import org.llm4j.tokenizer.Tokenizer;

public final class ModelFiles {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ModelFiles() {}

    /** A model with its tokenizer, as loaded from a folder. */
    public record Loaded(LanguageModel model, Tokenizer tokenizer) {}

    public static ObjectNode configJson(ModelConfig config) {
        ObjectNode n = JSON.createObjectNode();
        switch (config) {
            case GPTConfig g -> {
                n.putArray("architectures").add("GPT2LMHeadModel");
                n.put("model_type", "gpt2");
                n.put("vocab_size", g.vocabSize());
                n.put("n_positions", g.blockSize());
                n.put("n_ctx", g.blockSize());
                n.put("n_embd", g.nEmbd());
                n.put("n_layer", g.nLayer());
                n.put("n_head", g.nHead());
                n.put("layer_norm_epsilon", g.layerNormEps());
                n.put("activation_function", "gelu_new");
                n.put("resid_pdrop", g.dropout());
                n.put("embd_pdrop", g.dropout());
                n.put("attn_pdrop", 0.0);
                n.put("tie_word_embeddings", true);
            }
            case LstmConfig l -> {
                n.put("model_type", "llm4j-lstm");
                n.put("vocab_size", l.vocabSize());
                n.put("embedding_dim", l.embeddingDim());
                n.put("hidden_size", l.hiddenSize());
                n.put("num_layers", l.numLayers());
                n.put("dropout", l.dropout());
            }
        }
        return n;
    }

    public static ModelConfig parseConfig(JsonNode n, String origin) {
        String type = n.path("model_type").asText("");
        try {
            return switch (type) {
                case "gpt2" -> new GPTConfig(req(n, "vocab_size", origin), req(n, "n_positions", origin), req(n, "n_layer", origin),
                        req(n, "n_head", origin), req(n, "n_embd", origin), (float) n.path("resid_pdrop").asDouble(0.0),
                        (float) n.path("layer_norm_epsilon").asDouble(1e-5));
                case "llm4j-lstm" -> new LstmConfig(req(n, "vocab_size", origin), req(n, "embedding_dim", origin),
                        req(n, "hidden_size", origin), req(n, "num_layers", origin), (float) n.path("dropout").asDouble(0.0));
                default -> throw new IllegalArgumentException(origin + ": unsupported model_type '" + type + "' (expected gpt2 or llm4j-lstm)");
            };
        } catch (IllegalArgumentException e) {
            throw e.getMessage().startsWith(origin) ? e : new IllegalArgumentException(origin + ": " + e.getMessage());
        }
    }

    private static int req(JsonNode n, String field, String origin) {
        JsonNode v = n.get(field);
        if (v == null || !v.canConvertToInt()) throw new IllegalArgumentException(origin + ": field '" + field + "' must be an integer");
        return v.asInt();
    }

    public static ModelConfig parseConfig(String json, String origin) {
        try {
            return parseConfig(JSON.readTree(json), origin);
        } catch (IOException e) {
            throw new IllegalArgumentException(origin + ": not valid JSON: " + e.getMessage());
        }
    }

    /** Writes config.json, model.safetensors and tokenizer.json into dir, each atomically. */
    public static void save(Path dir, LanguageModel model, Tokenizer tokenizer) throws IOException {
        Files.createDirectories(dir);
        AtomicFiles.writeString(dir.resolve("config.json"), configJson(model.config()).toPrettyString());
        Safetensors.write(dir.resolve("model.safetensors"), model.parameters(), Map.of("format", "pt"));
        if (tokenizer != null) AtomicFiles.writeString(dir.resolve("tokenizer.json"), tokenizer.toJson());
    }

    /** Loads a folder written by {@link #save}. */
    public static Loaded load(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) throw new IOException(dir + ": not a model folder (expected config.json, model.safetensors, tokenizer.json)");
        Path cfg = dir.resolve("config.json"), weights = dir.resolve("model.safetensors"), tok = dir.resolve("tokenizer.json");
        for (Path p : new Path[]{cfg, weights, tok}) {
            if (!Files.isRegularFile(p)) throw new IOException(p + ": missing (a model folder needs config.json, model.safetensors and tokenizer.json)");
        }
        ModelConfig config = parseConfig(Files.readString(cfg), cfg.toString());
        Tokenizer tokenizer = Tokenizer.fromJson(Files.readString(tok), tok.toString());
        if (tokenizer.vocabSize() > config.vocabSize()) {
            throw new IOException(tok + ": tokenizer has " + tokenizer.vocabSize() + " tokens but config.json says vocab_size " + config.vocabSize());
        }
        LanguageModel model = config.build(0);
        model.loadParameters(Safetensors.readTensors(weights), false, weights.toString());
        model.setTraining(false);
        return new Loaded(model, tokenizer);
    }
}
