// The tokenizers llm4j owns: text to ids and back. Sealed, so a switch over them is checked.
package org.llm4j.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import org.llm4j.io.Json;

public sealed interface Tokenizer permits CharTokenizer, WordTokenizer, ByteLevelBpeTokenizer, SentencePieceBpeTokenizer {
    int vocabSize();

    int[] encode(String text);

    String decode(int[] ids);

    /** Whether id is a special token (such as <|endoftext|>) rather than text. */
    default boolean isSpecial(int id) {
        return false;
    }

    /** Hugging Face's decode(ids, skip_special_tokens): special tokens left out when asked. */
    default String decode(int[] ids, boolean skipSpecialTokens) {
        if (!skipSpecialTokens) return decode(ids);
        return decode(java.util.Arrays.stream(ids).filter(id -> !isSpecial(id)).toArray());
    }

    /** Text of one id, for streaming; may be a partial character for byte-level tokenizers. */
    String decodeToken(int id);

    /**
     * A decoder for a stream of ids (generation, one token at a time) whose pieces are always whole
     * characters: a byte-level token that ends inside a UTF-8 character is held back until the
     * token that completes it arrives.
     */
    default StreamDecoder streamDecoder() {
        return new StreamDecoder(this);
    }

    /** JSON form saved beside a model (tokenizer.json). */
    String toJson();

    /**
     * Loads a tokenizer from a file or folder: llm4j's own tokenizer.json (char, word), a Hugging
     * Face tokenizer.json (byte-level BPE), vocab.json + merges.txt, or encoder.json + vocab.bpe.
     */
    static Tokenizer load(java.nio.file.Path path) throws IOException {
        java.nio.file.Path json = java.nio.file.Files.isDirectory(path) ? path.resolve("tokenizer.json") : path;
        if (!java.nio.file.Files.exists(path)) throw new IOException(path + ": no such tokenizer file or folder");
        if (java.nio.file.Files.isRegularFile(json) && json.getFileName().toString().endsWith(".json")) {
            byte[] raw = java.nio.file.Files.readAllBytes(json);
            // A Hugging Face byte-level BPE file parsed before comes back from its binary copy.
            TokenizerCache cache = TokenizerCache.fromEnvironment();
            TokenizerCache.Key key = cache == null ? null : TokenizerCache.Key.of(raw);
            if (cache != null) {
                Tokenizer hit = cache.get(key);
                if (hit != null) return hit;
            }
            String text = BpeFiles.decodeUtf8(raw, json);
            JsonNode node;
            try {
                node = Json.parse(text);
            } catch (IOException e) {
                throw new IOException(json + ": not valid JSON: " + e.getMessage());
            }
            // llm4j's own files carry "type", Hugging Face's a "model" object; vocab.json/encoder.json have neither
            if (node != null && (node.path("type").isTextual() || node.path("model").isObject())) {
                Tokenizer t = fromJson(node, json.toString());
                if (cache != null && t instanceof ByteLevelBpeTokenizer bpe) cache.put(key, bpe);
                return t;
            }
        }
        return ByteLevelBpeTokenizer.load(path);
    }

    static Tokenizer fromJson(String json, String origin) {
        JsonNode node;
        try {
            node = Json.parse(json);
        } catch (IOException e) {
            throw new IllegalArgumentException(origin + ": tokenizer is not valid JSON: " + e.getMessage());
        }
        return fromJson(node, origin);
    }

    static Tokenizer fromJson(JsonNode node, String origin) {
        // A Hugging Face tokenizer.json has a "model" object and no top-level "type".
        if (node != null && node.path("model").isObject()) return BpeFiles.fromHuggingFace(node, origin);
        String type = node == null ? "" : node.path("type").asText("");
        return switch (type) {
            case "char" -> CharTokenizer.fromJson(node, origin);
            case "word" -> WordTokenizer.fromJson(node, origin);
            case "sentencepiece-bpe" -> SentencePieceBpeTokenizer.fromJson(node, origin);
            default -> throw new IllegalArgumentException(origin + ": unknown tokenizer type '" + type
                    + "' (expected \"char\", \"word\", \"sentencepiece-bpe\", or a Hugging Face tokenizer.json with a byte-level BPE model)");
        };
    }
}
