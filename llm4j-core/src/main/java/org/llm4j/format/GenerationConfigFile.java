// generation_config.json, Hugging Face's decoding defaults beside a model: the one place where its
// field names map to GenerationConfig.
package org.llm4j.format;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.llm4j.io.Json;
import org.llm4j.generate.GenerationConfig;

/**
 * Reads and writes the fields GenerationConfig knows (HF names): max_length, max_new_tokens,
 * min_new_tokens, do_sample, temperature, top_k, top_p, min_p, typical_p, repetition_penalty,
 * no_repeat_ngram_size, num_beams, length_penalty, early_stopping, num_return_sequences,
 * eos_token_id, pad_token_id, stop_strings. Other fields (bos_token_id, transformers_version, …)
 * are ignored, and a null value means "not set", as HF writes it.
 */
public final class GenerationConfigFile {
    public static final String NAME = "generation_config.json";

    private GenerationConfigFile() {}

    /** Reads dir/generation_config.json into a builder (llm4j's defaults for what it does not set); an empty builder when there is no file. */
    public static GenerationConfig.Builder read(Path dir) throws IOException {
        return apply(readJson(dir), GenerationConfig.builder(), dir.resolve(NAME).toString());   // checks the values now, naming the file
    }

    /** The folder's generation_config.json as JSON (an empty object when absent), without checking its values. */
    public static ObjectNode readJson(Path dir) throws IOException {
        Path file = dir.resolve(NAME);
        if (!Files.exists(file)) return Json.object();
        JsonNode n;
        try {
            n = Json.parse(Files.readString(file));
        } catch (IOException e) {
            throw new IOException(file + ": not valid JSON: " + e.getMessage());
        }
        if (n == null || !n.isObject()) throw new IOException(file + ": expected a JSON object");
        return (ObjectNode) n;
    }

    /** Sets on b every known field of n; origin names the source in errors. */
    public static GenerationConfig.Builder apply(JsonNode n, GenerationConfig.Builder b, String origin) {
        try {
            set(n, b, origin);
            b.build();
        } catch (IllegalArgumentException e) {
            throw e.getMessage() != null && e.getMessage().startsWith(origin) ? e : new IllegalArgumentException(origin + ": " + e.getMessage(), e);
        }
        return b;
    }

    private static void set(JsonNode n, GenerationConfig.Builder b, String origin) {
        Integer i;
        Double d;
        if ((i = integer(n, "max_length", origin)) != null) b.maxLength(i);
        if ((i = integer(n, "max_new_tokens", origin)) != null) b.maxNewTokens(i);
        if ((i = integer(n, "min_new_tokens", origin)) != null) b.minNewTokens(i);
        if (present(n, "do_sample")) b.doSample(bool(n, "do_sample", origin));
        if ((d = number(n, "temperature", origin)) != null) b.temperature(d.floatValue());
        if ((i = integer(n, "top_k", origin)) != null) b.topK(i);
        if ((d = number(n, "top_p", origin)) != null) b.topP(d.floatValue());
        if ((d = number(n, "min_p", origin)) != null) b.minP(d.floatValue());
        if ((d = number(n, "typical_p", origin)) != null) b.typicalP(d.floatValue());
        if ((d = number(n, "repetition_penalty", origin)) != null) b.repetitionPenalty(d.floatValue());
        if ((i = integer(n, "no_repeat_ngram_size", origin)) != null) b.noRepeatNgramSize(i);
        if ((i = integer(n, "num_beams", origin)) != null) b.numBeams(i);
        if ((d = number(n, "length_penalty", origin)) != null) b.lengthPenalty(d.floatValue());
        if (present(n, "early_stopping")) {
            JsonNode e = n.get("early_stopping");
            if (!e.isBoolean() && !e.isTextual()) throw new IllegalArgumentException(origin + ": early_stopping must be true, false or \"never\", got " + e);
            b.earlyStopping(GenerationConfig.EarlyStopping.parse(e.asText()));
        }
        if ((i = integer(n, "num_return_sequences", origin)) != null) b.numReturnSequences(i);
        if (present(n, "eos_token_id")) b.eosTokenId(ints(n, "eos_token_id", origin));
        if ((i = integer(n, "pad_token_id", origin)) != null) b.padTokenId(i);
        if (present(n, "stop_strings")) {
            JsonNode s = n.get("stop_strings");
            List<String> stops = new ArrayList<>();
            if (s.isTextual()) stops.add(s.asText());
            else if (s.isArray()) for (JsonNode x : s) {
                if (!x.isTextual()) throw new IllegalArgumentException(origin + ": stop_strings must hold strings, got " + x);
                stops.add(x.asText());
            }
            else throw new IllegalArgumentException(origin + ": stop_strings must be a string or a list of strings, got " + s);
            b.stopStrings(stops);
        }
    }

    /** The config as generation_config.json (every field GenerationConfig has an HF name for). */
    public static ObjectNode toJson(GenerationConfig c) {
        ObjectNode n = Json.object();
        n.put("max_length", c.maxLength());
        if (c.maxNewTokens() >= 0) n.put("max_new_tokens", c.maxNewTokens());
        n.put("min_new_tokens", c.minNewTokens());
        n.put("do_sample", c.doSample());
        n.put("temperature", c.temperature());
        n.put("top_k", c.topK());
        n.put("top_p", c.topP());
        n.put("min_p", c.minP());
        n.put("typical_p", c.typicalP());
        n.put("repetition_penalty", c.repetitionPenalty());
        n.put("no_repeat_ngram_size", c.noRepeatNgramSize());
        n.put("num_beams", c.numBeams());
        n.put("length_penalty", c.lengthPenalty());
        switch (c.earlyStopping()) {
            case TRUE -> n.put("early_stopping", true);
            case FALSE -> n.put("early_stopping", false);
            case NEVER -> n.put("early_stopping", "never");
        }
        n.put("num_return_sequences", c.numReturnSequences());
        if (c.eosTokenIds().size() == 1) n.put("eos_token_id", c.eosTokenIds().getFirst());
        else if (!c.eosTokenIds().isEmpty()) c.eosTokenIds().forEach(n.putArray("eos_token_id")::add);
        if (c.padTokenId() >= 0) n.put("pad_token_id", c.padTokenId());
        if (!c.stopStrings().isEmpty()) c.stopStrings().forEach(n.putArray("stop_strings")::add);
        return n;
    }

    private static boolean present(JsonNode n, String field) {
        return n.has(field) && !n.get(field).isNull();
    }

    private static Integer integer(JsonNode n, String field, String origin) {
        if (!present(n, field)) return null;
        JsonNode v = n.get(field);
        if (!v.isIntegralNumber() || !v.canConvertToInt()) throw new IllegalArgumentException(origin + ": " + field + " must be an integer, got " + v);
        return v.intValue();
    }

    private static Double number(JsonNode n, String field, String origin) {
        if (!present(n, field)) return null;
        JsonNode v = n.get(field);
        if (!v.isNumber()) throw new IllegalArgumentException(origin + ": " + field + " must be a number, got " + v);
        return v.doubleValue();
    }

    private static boolean bool(JsonNode n, String field, String origin) {
        JsonNode v = n.get(field);
        if (!v.isBoolean()) throw new IllegalArgumentException(origin + ": " + field + " must be true or false, got " + v);
        return v.booleanValue();
    }

    private static int[] ints(JsonNode n, String field, String origin) {
        JsonNode v = n.get(field);
        if (v.isIntegralNumber() && v.canConvertToInt()) return new int[]{v.intValue()};
        if (!v.isArray()) throw new IllegalArgumentException(origin + ": " + field + " must be an integer or a list of integers, got " + v);
        int[] out = new int[v.size()];
        for (int k = 0; k < out.length; k++) {
            JsonNode x = v.get(k);
            if (!x.isIntegralNumber() || !x.canConvertToInt()) throw new IllegalArgumentException(origin + ": " + field + " must hold integers, got " + x);
            out[k] = x.intValue();
        }
        return out;
    }
}
