// Model folders in the Hugging Face layout: config.json, model.safetensors, tokenizer.json. The one
// place where Hugging Face config names map to llm4j's config records.
package org.llm4j.format;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.llm4j.chat.ChatTemplate;
import org.llm4j.io.Json;
import org.llm4j.io.AtomicFiles;
import org.llm4j.model.GPT;
import org.llm4j.model.GPTConfig;
import org.llm4j.model.LanguageModel;
import org.llm4j.model.Llama;
import org.llm4j.model.LlamaConfig;
import org.llm4j.model.LstmConfig;
import org.llm4j.model.ModelConfig;
import org.llm4j.model.RopeScaling;
import org.llm4j.tensor.Tensor;
import org.llm4j.tokenizer.Tokenizer;

public final class ModelFiles {

    private ModelFiles() {}

    /**
     * A model with its tokenizer, as loaded from a folder; generationConfig is the folder's
     * generation_config.json (an empty object when absent); chatTemplate is the model's own
     * (tokenizer_config.json, chat_template.jinja, GGUF tokenizer.chat_template) or ChatTemplate.DEFAULT.
     */
    public record Loaded(LanguageModel model, Tokenizer tokenizer, JsonNode generationConfig, ChatTemplate chatTemplate) {
        public Loaded {
            if (chatTemplate == null) chatTemplate = ChatTemplate.DEFAULT;
        }

        public Loaded(LanguageModel model, Tokenizer tokenizer, JsonNode generationConfig) {
            this(model, tokenizer, generationConfig, ChatTemplate.DEFAULT);
        }

        public Loaded(LanguageModel model, Tokenizer tokenizer) {
            this(model, tokenizer, Json.object());
        }
    }

    public static ObjectNode configJson(ModelConfig config) {
        ObjectNode n = Json.object();
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
            case LlamaConfig l -> {
                // The family member is implied by the fields: q/k/v biases are Qwen2's, a sliding window Mistral's.
                String type = l.qkvBias() ? "qwen2" : l.slidingWindow() > 0 ? "mistral" : "llama";
                n.putArray("architectures").add(switch (type) { case "qwen2" -> "Qwen2ForCausalLM"; case "mistral" -> "MistralForCausalLM"; default -> "LlamaForCausalLM"; });
                n.put("model_type", type);
                n.put("vocab_size", l.vocabSize());
                n.put("hidden_size", l.dim());
                n.put("intermediate_size", l.hiddenDim());
                n.put("num_hidden_layers", l.nLayers());
                n.put("num_attention_heads", l.nHeads());
                n.put("num_key_value_heads", l.nKvHeads());
                n.put("max_position_embeddings", l.seqLen());
                n.put("rms_norm_eps", l.normEps());
                n.put("rope_theta", l.ropeTheta());
                n.put("hidden_act", "silu");
                n.put("tie_word_embeddings", l.tiedHead());
                if (l.qkvBias()) {
                    if (l.slidingWindow() > 0) throw new IllegalArgumentException("a Qwen2 model with a sliding window has no config.json form here");
                    n.put("use_sliding_window", false);
                }
                if (l.slidingWindow() > 0) n.put("sliding_window", l.slidingWindow());
                switch (l.ropeScaling()) {
                    case RopeScaling.None none -> n.putNull("rope_scaling");
                    case RopeScaling.Linear lin -> n.putObject("rope_scaling").put("rope_type", "linear").put("factor", lin.factor());
                    case RopeScaling.Llama3 l3 -> n.putObject("rope_scaling").put("rope_type", "llama3").put("factor", l3.factor())
                            .put("low_freq_factor", l3.lowFreqFactor()).put("high_freq_factor", l3.highFreqFactor())
                            .put("original_max_position_embeddings", l3.originalMaxPositions());
                    case RopeScaling.Factors f -> {
                        // NOTE: GGUF's rope_freqs.weight has no Hugging Face form; like llm4j_rope_pairs this
                        // field is llm4j's own, and transformers would ignore it.
                        n.putNull("rope_scaling");
                        var a = n.putArray("llm4j_rope_freq_factors");
                        for (float v : f.values()) a.add(v);
                    }
                }                // NOTE: Hugging Face rotates half-split pairs; weights in Meta's layout (llama2.c) need
                // this llm4j field, which transformers ignores: such a folder is for llm4j only.
                if (l.rope() == LlamaConfig.RopeStyle.INTERLEAVED) n.put("llm4j_rope_pairs", "interleaved");
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
                case "gpt2" -> gpt2Config(n, origin);
                case "llama", "qwen2", "mistral" -> llamaConfig(n, origin, type);
                case "llm4j-lstm" -> new LstmConfig(req(n, "vocab_size", origin), req(n, "embedding_dim", origin),
                        req(n, "hidden_size", origin), req(n, "num_layers", origin), (float) n.path("dropout").asDouble(0.0));
                default -> throw new IllegalArgumentException(origin + ": unsupported model_type '" + type + "' (expected gpt2, llama, mistral, qwen2 or llm4j-lstm)");
            };
        } catch (IllegalArgumentException e) {
            throw e.getMessage().startsWith(origin) ? e : new IllegalArgumentException(origin + ": " + e.getMessage());
        }
    }

    // GPT2Config, with the options llm4j's GPT does not implement refused by name instead of ignored.
    private static GPTConfig gpt2Config(JsonNode n, String origin) {
        String act = n.path("activation_function").asText("gelu_new");
        if (!act.equals("gelu_new") && !act.equals("gelu_pytorch_tanh")) {
            throw new IllegalArgumentException(origin + ": activation_function '" + act + "' is not supported (GPT-2 uses gelu_new, the tanh approximation)");
        }
        for (String flag : new String[]{"scale_attn_by_inverse_layer_idx", "reorder_and_upcast_attn", "add_cross_attention"}) {
            if (n.path(flag).asBoolean(false)) throw new IllegalArgumentException(origin + ": " + flag + "=true is not supported");
        }
        if (!n.path("scale_attn_weights").asBoolean(true)) throw new IllegalArgumentException(origin + ": scale_attn_weights=false is not supported");
        if (!n.path("tie_word_embeddings").asBoolean(true)) throw new IllegalArgumentException(origin + ": tie_word_embeddings=false is not supported (GPT-2 ties its head to wte)");
        int positions = n.has("n_ctx") && !n.has("n_positions") ? req(n, "n_ctx", origin) : req(n, "n_positions", origin);
        JsonNode inner = n.get("n_inner");
        if (inner != null && !inner.isNull() && inner.asInt() != 4 * req(n, "n_embd", origin)) {
            throw new IllegalArgumentException(origin + ": n_inner " + inner + " is not supported (only 4 * n_embd)");
        }
        return new GPTConfig(req(n, "vocab_size", origin), positions, req(n, "n_layer", origin), req(n, "n_head", origin), req(n, "n_embd", origin),
                (float) n.path("resid_pdrop").asDouble(0.0), (float) n.path("layer_norm_epsilon").asDouble(1e-5));
    }

    /**
     * LlamaConfig from a LlamaConfig, Qwen2Config or MistralConfig (model_type llama, qwen2,
     * mistral). Hugging Face checkpoints rotate half-split RoPE pairs. Qwen2 always has q/k/v
     * biases; its sliding window applies only when use_sliding_window is true, and then only to
     * some layers (max_window_layers), which is refused. Mistral's sliding_window (null in v0.2+)
     * is implemented (4096 when the key is absent, as MistralConfig's default). Options llm4j does
     * not implement are refused by name, never ignored.
     */
    private static LlamaConfig llamaConfig(JsonNode n, String origin, String type) {
        String act = n.path("hidden_act").asText("silu");
        if (!act.equals("silu")) throw new IllegalArgumentException(origin + ": hidden_act '" + act + "' is not supported (the Llama family uses silu)");
        if (n.path("attention_bias").asBoolean(false)) throw new IllegalArgumentException(origin + ": attention_bias=true (biases on q, k, v and o) is not supported");
        if (n.path("mlp_bias").asBoolean(false)) throw new IllegalArgumentException(origin + ": mlp_bias=true is not supported");
        int heads = req(n, "num_attention_heads", origin), dim = req(n, "hidden_size", origin);
        JsonNode headDim = n.get("head_dim");
        if (headDim != null && !headDim.isNull() && (!headDim.canConvertToInt() || heads <= 0 || headDim.asInt() * heads != dim)) {
            throw new IllegalArgumentException(origin + ": head_dim " + headDim + " is not hidden_size / num_attention_heads (" + dim + " / " + heads + "); a separate head size is not supported");
        }
        int window = 0;
        if (type.equals("mistral")) {
            // MistralConfig's default is 4096 when the key is absent; null (v0.2 on) means none.
            JsonNode w = n.has("sliding_window") ? n.get("sliding_window") : com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.numberNode(4096);
            if (!w.isNull()) {
                if (!w.canConvertToInt() || w.asInt() <= 0) throw new IllegalArgumentException(origin + ": sliding_window must be a positive integer or null, got " + w);
                window = w.asInt();
            }
        } else if (type.equals("qwen2") && n.path("use_sliding_window").asBoolean(false)) {
            throw new IllegalArgumentException(origin + ": use_sliding_window=true (sliding-window attention on layers from max_window_layers on) is not supported");
        } else if (type.equals("llama") && n.has("sliding_window") && !n.get("sliding_window").isNull()) {
            throw new IllegalArgumentException(origin + ": sliding_window is not a Llama option (model_type mistral has it)");
        }
        int positions = req(n, "max_position_embeddings", origin);
        // A window as long as the context changes nothing.
        if (window >= positions) window = 0;
        LlamaConfig.RopeStyle rope = n.path("llm4j_rope_pairs").asText("").equals("interleaved") ? LlamaConfig.RopeStyle.INTERLEAVED : LlamaConfig.RopeStyle.HALF_SPLIT;
        return new LlamaConfig(req(n, "vocab_size", origin), dim, req(n, "intermediate_size", origin),
                req(n, "num_hidden_layers", origin), heads, n.has("num_key_value_heads") ? req(n, "num_key_value_heads", origin) : heads,
                positions, (float) n.path("rms_norm_eps").asDouble(1e-6), (float) n.path("rope_theta").asDouble(10000.0),
                rope, n.path("tie_word_embeddings").asBoolean(false), type.equals("qwen2"), window, ropeScaling(n, origin));
    }

    // rope_scaling: null, {rope_type (or the older "type"): linear | llama3, factor, ...}; the
    // others (dynamic, yarn, longrope) change more than the frequencies and are refused by name.
    private static RopeScaling ropeScaling(JsonNode n, String origin) {
        JsonNode own = n.get("llm4j_rope_freq_factors");
        if (own != null && own.isArray()) {
            java.util.List<Float> f = new java.util.ArrayList<>();
            for (JsonNode v : own) f.add((float) v.asDouble(Double.NaN));
            return new RopeScaling.Factors(f);
        }
        JsonNode s = n.get("rope_scaling");
        if (s == null || s.isNull()) return RopeScaling.NONE;
        if (!s.isObject()) throw new IllegalArgumentException(origin + ": rope_scaling must be an object or null, got " + s);
        String type = s.has("rope_type") ? s.path("rope_type").asText("") : s.path("type").asText("");
        return switch (type) {
            case "default" -> RopeScaling.NONE;
            case "linear" -> new RopeScaling.Linear(real(s, "factor", origin));
            case "llama3" -> new RopeScaling.Llama3(real(s, "factor", origin), real(s, "low_freq_factor", origin), real(s, "high_freq_factor", origin),
                    req(s, "original_max_position_embeddings", origin));
            default -> throw new IllegalArgumentException(origin + ": rope_scaling type '" + type + "' is not supported (linear and llama3 are)");
        };
    }

    private static float real(JsonNode n, String field, String origin) {
        JsonNode v = n.get(field);
        if (v == null || !v.isNumber()) throw new IllegalArgumentException(origin + ": field 'rope_scaling." + field + "' must be a number");
        return (float) v.asDouble();
    }

    private static int req(JsonNode n, String field, String origin) {
        JsonNode v = n.get(field);
        if (v == null || !v.canConvertToInt()) throw new IllegalArgumentException(origin + ": field '" + field + "' must be an integer");
        return v.asInt();
    }

    public static ModelConfig parseConfig(String json, String origin) {
        try {
            return parseConfig(Json.parse(json), origin);
        } catch (IOException e) {
            throw new IllegalArgumentException(origin + ": not valid JSON: " + e.getMessage());
        }
    }

    /** Writes config.json, model.safetensors and tokenizer.json into dir, each atomically. */
    public static void save(Path dir, LanguageModel model, Tokenizer tokenizer) throws IOException {
        save(dir, model, tokenizer, org.llm4j.kernels.DType.F32, null);
    }

    /**
     * As {@link #save(Path, LanguageModel, Tokenizer)}, with the weight matrices stored in dtype
     * (vectors stay F32) and, when given, generation_config.json.
     */
    public static void save(Path dir, LanguageModel model, Tokenizer tokenizer, org.llm4j.kernels.DType dtype, JsonNode generationConfig) throws IOException {
        Files.createDirectories(dir);
        ObjectNode cfg = configJson(model.config());
        if (dtype != org.llm4j.kernels.DType.F32) cfg.put("torch_dtype", dtype == org.llm4j.kernels.DType.F16 ? "float16" : "bfloat16");
        AtomicFiles.writeString(dir.resolve("config.json"), cfg.toPrettyString());
        // A GPT read from GGUF holds llama.cpp's (out, in) projections: saved transposed back to Conv1D's (in, out).
        Map<String, Tensor> state = model instanceof GPT g ? g.huggingFaceState() : model.parameters();
        Safetensors.write(dir.resolve("model.safetensors"), state, Map.of("format", "pt"), dtype);
        if (tokenizer != null) AtomicFiles.writeString(dir.resolve("tokenizer.json"), tokenizer.toJson());
        if (generationConfig != null && !generationConfig.isEmpty()) {
            AtomicFiles.writeString(dir.resolve(GenerationConfigFile.NAME), generationConfig.toPrettyString());
        }
    }

    /**
     * A model by Hub repository id ("gpt2", "openai-community/gpt2"), downloaded into the cache
     * on first use (see {@link Hub}), or by local folder; loaded memory-mapped for inference.
     */
    public static Loaded fromPretrained(String repoOrFolder) throws IOException {
        return load(Hub.fromEnvironment().modelFolder(repoOrFolder), true);
    }

    /** Loads a model folder for inference: weights stay in the file (memory-mapped), not on the heap. */
    public static Loaded load(Path dir) throws IOException {
        return load(dir, true);
    }

    /**
     * Loads a Hugging Face-style folder: config.json; model.safetensors or a sharded
     * model.safetensors.index.json; tokenizer.json, or vocab.json + merges.txt; optional
     * generation_config.json. mapped=true keeps the weights in the file's pages (read-only,
     * inference); false copies them onto the heap as float32 (training, fine-tuning).
     */
    public static Loaded load(Path dir, boolean mapped) throws IOException {
        if (!Files.isDirectory(dir)) throw new IOException(dir + ": not a model folder (expected config.json, model.safetensors, tokenizer.json)");
        Path cfg = dir.resolve("config.json");
        if (!Files.isRegularFile(cfg)) throw new IOException(cfg + ": missing (a model folder needs config.json, model.safetensors and tokenizer.json)");
        ModelConfig config = parseConfig(Files.readString(cfg), cfg.toString());
        Tokenizer tokenizer = loadTokenizer(dir);
        if (tokenizer.vocabSize() > config.vocabSize()) {
            throw new IOException(dir + ": the tokenizer has " + tokenizer.vocabSize() + " tokens but config.json says vocab_size " + config.vocabSize());
        }
        Weights w = readWeights(dir, mapped);
        Map<String, Tensor> tensors = checkpointNames(config, w.tensors, w.origin);
        LanguageModel model;
        if (mapped && config instanceof GPTConfig g) {
            model = new GPT(g, tensors, w.origin);
        } else if (mapped && config instanceof LlamaConfig l) {
            model = new Llama(l, tensors, w.origin);
        } else {
            model = config.build(0);
            model.loadParameters(tensors, false, w.origin);
        }
        model.setTraining(false);
        JsonNode gen = GenerationConfigFile.readJson(dir);
        return new Loaded(model, tokenizer, gen, ChatTemplates.fromFolder(dir, tokenizer, gen));
    }

    private static Tokenizer loadTokenizer(Path dir) throws IOException {
        if (Files.isRegularFile(dir.resolve("tokenizer.json"))) return Tokenizer.load(dir.resolve("tokenizer.json"));
        if (Files.isRegularFile(dir.resolve("vocab.json")) && Files.isRegularFile(dir.resolve("merges.txt"))) return Tokenizer.load(dir);
        throw new IOException(dir + ": no tokenizer (expected tokenizer.json, or vocab.json and merges.txt)");
    }

    /** Tensors of a folder, by file name, with the file (or index) they came from for messages. */
    private record Weights(Map<String, Tensor> tensors, String origin) {}

    private static Weights readWeights(Path dir, boolean mapped) throws IOException {
        Path single = dir.resolve("model.safetensors"), index = dir.resolve("model.safetensors.index.json");
        if (Files.isRegularFile(single)) return new Weights(checkFloat(open(single, mapped), single), single.toString());
        if (Files.isRegularFile(index)) return new Weights(readSharded(dir, index, mapped), index.toString());
        String hint = Files.exists(dir.resolve("pytorch_model.bin"))
                ? " (pytorch_model.bin is a Python pickle, which llm4j does not execute: save the model with safetensors)" : "";
        throw new IOException(dir + ": no weights: expected model.safetensors or model.safetensors.index.json" + hint);
    }

    private static Safetensors.Contents open(Path file, boolean mapped) throws IOException {
        return mapped ? Safetensors.map(file) : Safetensors.read(file);
    }

    private static Map<String, Tensor> checkFloat(Safetensors.Contents c, Path file) throws IOException {
        for (var e : c.dtypes().entrySet()) {
            if (!e.getValue().startsWith("F") && !e.getValue().equals("BF16")) {
                throw new IOException(file + ": tensor '" + e.getKey() + "' has dtype " + e.getValue() + "; model weights must be F32, F16 or BF16");
            }
        }
        return c.tensors();
    }

    // model.safetensors.index.json: {"weight_map": {tensor: shard file}}; every listed tensor must
    // be in its shard, shards stay inside the folder.
    private static Map<String, Tensor> readSharded(Path dir, Path index, boolean mapped) throws IOException {
        JsonNode root;
        try {
            root = Json.parse(Files.readString(index));
        } catch (IOException e) {
            throw new IOException(index + ": not valid JSON: " + e.getMessage());
        }
        JsonNode map = root == null ? null : root.get("weight_map");
        if (map == null || !map.isObject() || map.isEmpty()) throw new IOException(index + ": lacks a non-empty \"weight_map\" object");
        Map<String, Path> shardOf = new java.util.LinkedHashMap<>();
        for (var it = map.fields(); it.hasNext(); ) {
            var e = it.next();
            String f = e.getValue().asText("");
            if (!e.getValue().isTextual() || !plainFileName(f)) {
                throw new IOException(index + ": weight_map entry '" + e.getKey() + "' names an invalid shard file " + e.getValue());
            }
            shardOf.put(e.getKey(), dir.resolve(f));
        }
        Map<Path, Map<String, Tensor>> shards = new java.util.LinkedHashMap<>();
        for (Path p : new java.util.LinkedHashSet<>(shardOf.values())) {
            if (!Files.isRegularFile(p)) throw new IOException(index + ": shard " + p.getFileName() + " is missing");
            shards.put(p, checkFloat(open(p, mapped), p));
        }
        Map<String, Tensor> all = new java.util.LinkedHashMap<>();
        for (var e : shardOf.entrySet()) {
            Tensor t = shards.get(e.getValue()).get(e.getKey());
            if (t == null) throw new IOException(e.getValue() + ": tensor '" + e.getKey() + "' listed in " + index.getFileName() + " is not in this shard");
            all.put(e.getKey(), t);
        }
        return all;
    }

    /** A shard named by an index must stay in its folder: a plain, non-hidden file name. */
    static boolean plainFileName(String f) {
        return !f.isEmpty() && !f.contains("/") && !f.contains("\\") && !f.startsWith(".");
    }

    /**
     * Hugging Face checkpoint names → llm4j's (which are GPT2LMHeadModel's). A GPT2Model
     * checkpoint (the Hub's gpt2) lacks the "transformer." prefix; the causal-mask buffers
     * attn.bias and attn.masked_bias are not weights; lm_head.weight is the tied wte.
     */
    static Map<String, Tensor> checkpointNames(ModelConfig config, Map<String, Tensor> tensors, String origin) {
        if (!(config instanceof GPTConfig)) return tensors;
        Map<String, Tensor> out = new java.util.LinkedHashMap<>();
        for (var e : tensors.entrySet()) {
            String k = e.getKey();
            if (k.endsWith(".attn.bias") || k.endsWith(".attn.masked_bias")) continue;
            if (k.equals("lm_head.weight")) continue;
            String name = k.startsWith("transformer.") ? k : "transformer." + k;
            if (out.put(name, e.getValue()) != null) throw new IllegalArgumentException(origin + ": tensor '" + name + "' appears twice (with and without the transformer. prefix)");
        }
        return out;
    }
}
