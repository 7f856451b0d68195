// Where a model keeps its chat template: Hugging Face folders (chat_template.jinja, tokenizer_config.json)
// and GGUF metadata (tokenizer.chat_template), with the special-token strings the template is given.
package org.llm4j.format;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.llm4j.chat.ChatTemplate;
import org.llm4j.tokenizer.Tokenizer;

/**
 * Hugging Face passes the tokenizer's special tokens to the template as strings (bos_token,
 * eos_token, unk_token, pad_token); a GGUF file names them by id (tokenizer.ggml.bos_token_id, ...),
 * whose text is the token's piece. A model without a template gets {@link ChatTemplate#DEFAULT}.
 */
public final class ChatTemplates {
    private ChatTemplates() {}

    private static final String[] SPECIALS = {"bos", "eos", "unk", "pad"};
    private static final int MAX_TEMPLATE_BYTES = 1 << 20;

    /**
     * A folder's template: chat_template.jinja (newer transformers), else tokenizer_config.json's
     * "chat_template" — a string, or a list of {"name", "template"} of which "default" is used.
     */
    public static ChatTemplate fromFolder(Path dir, Tokenizer tok, JsonNode generationConfig) throws IOException {
        Path jinja = dir.resolve("chat_template.jinja"), config = dir.resolve("tokenizer_config.json");
        JsonNode cfg = null;
        if (Files.isRegularFile(config)) {
            if (Files.size(config) > 64L << 20) throw new IOException(config + ": larger than 64 MiB");
            try {
                cfg = org.llm4j.io.Json.parse(Files.readString(config));
            } catch (IOException e) {
                throw new IOException(config + ": not valid JSON: " + e.getMessage());
            }
        }
        String source = null, origin = null;
        if (Files.isRegularFile(jinja)) {
            if (Files.size(jinja) > MAX_TEMPLATE_BYTES) throw new IOException(jinja + ": a chat template larger than 1 MiB");
            source = Files.readString(jinja);
            origin = jinja.toString();
        } else if (cfg != null && cfg.has("chat_template") && !cfg.get("chat_template").isNull()) {
            origin = config + " (chat_template)";
            source = templateField(cfg.get("chat_template"), origin);
        }
        if (source == null) return ChatTemplate.DEFAULT;
        Map<String, String> vars = new HashMap<>();
        for (String s : SPECIALS) {
            JsonNode t = cfg == null ? null : cfg.get(s + "_token");
            if (t != null && t.isTextual()) vars.put(s + "_token", t.textValue());
            else if (t != null && t.isObject() && t.path("content").isTextual()) vars.put(s + "_token", t.get("content").textValue());  // AddedToken
        }
        List<Integer> eos = ids(generationConfig == null ? null : generationConfig.get("eos_token_id"));
        if (!vars.containsKey("eos_token") && !eos.isEmpty()) vars.put("eos_token", ChatTemplate.tokenText(tok, eos.getFirst()));
        List<Integer> bos = ids(generationConfig == null ? null : generationConfig.get("bos_token_id"));
        if (!vars.containsKey("bos_token") && !bos.isEmpty()) vars.put("bos_token", ChatTemplate.tokenText(tok, bos.getFirst()));
        return ChatTemplate.of(source, tok, vars, eos.stream().mapToInt(Integer::intValue).toArray(), origin);
    }

    private static String templateField(JsonNode t, String origin) throws IOException {
        if (t.isTextual()) return t.textValue();
        if (t.isArray()) {
            String first = null;
            for (JsonNode named : t) {
                if (!named.path("template").isTextual()) throw new IOException(origin + ": each named template needs a \"template\" string");
                if (first == null) first = named.get("template").textValue();
                if ("default".equals(named.path("name").asText(null))) return named.get("template").textValue();
            }
            if (first != null) return first;
        }
        throw new IOException(origin + ": expected a string or a list of {\"name\", \"template\"}");
    }

    private static List<Integer> ids(JsonNode n) {
        List<Integer> out = new ArrayList<>();
        if (n != null && n.isIntegralNumber()) out.add(n.intValue());
        else if (n != null && n.isArray()) for (JsonNode x : n) if (x.isIntegralNumber()) out.add(x.intValue());
        return out;
    }

    /** A GGUF file's tokenizer.chat_template; its special tokens and stop ids from tokenizer.ggml.*_token_id. */
    public static ChatTemplate fromGguf(Gguf g, Tokenizer tok) {
        String key = "tokenizer.chat_template";
        if (!g.has(key)) return ChatTemplate.DEFAULT;
        String source = g.string(key);
        if (source.length() > MAX_TEMPLATE_BYTES) throw new IllegalArgumentException(g.origin() + ": " + key + " is larger than 1 MiB");
        Map<String, String> vars = new HashMap<>();
        Map<String, String> keys = Map.of("bos", "bos", "eos", "eos", "unk", "unknown", "pad", "padding");
        for (String s : SPECIALS) {
            int id = g.integer("tokenizer.ggml." + keys.get(s) + "_token_id", -1);
            String text = ChatTemplate.tokenText(tok, id);
            if (text != null) vars.put(s + "_token", text);
        }
        Set<Integer> stop = new LinkedHashSet<>();
        for (String s : new String[] {"eos", "eot", "eom"}) {   // llama.cpp's end-of-generation ids
            int id = g.integer("tokenizer.ggml." + s + "_token_id", -1);
            if (id >= 0 && id < tok.vocabSize()) stop.add(id);
        }
        return ChatTemplate.of(source, tok, vars, stop.stream().mapToInt(Integer::intValue).toArray(), g.origin() + " (" + key + ")");
    }
}
