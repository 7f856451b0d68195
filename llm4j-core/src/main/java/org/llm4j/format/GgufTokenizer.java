// Tokenizers described by GGUF metadata (tokenizer.ggml.*): SentencePiece BPE ("llama") and byte-level BPE ("gpt2").
package org.llm4j.format;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.llm4j.tokenizer.ByteLevelBpeTokenizer;
import org.llm4j.tokenizer.SentencePieceBpeTokenizer;
import org.llm4j.tokenizer.SentencePieceBpeTokenizer.TokenType;
import org.llm4j.tokenizer.Tokenizer;

/**
 * Keys (llama.cpp's llama-vocab): tokenizer.ggml.model, .tokens, .scores, .token_type (1 normal,
 * 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte), .merges ("left right", rank order),
 * .bos_token_id, .eos_token_id, .unknown_token_id, .add_bos_token, .add_space_prefix, .pre (the
 * byte-level pre-tokenizer's name).
 */
public final class GgufTokenizer {
    private GgufTokenizer() {}

    public static Tokenizer fromMetadata(Gguf g) {
        String model = g.string("tokenizer.ggml.model");
        String[] tokens = g.strings("tokenizer.ggml.tokens");
        int n = tokens.length;
        int[] types = g.has("tokenizer.ggml.token_type") ? g.ints("tokenizer.ggml.token_type") : null;
        if (types != null && types.length != n) {
            throw new IllegalArgumentException(g.origin() + ": tokenizer.ggml.token_type has " + types.length + " entries for " + n + " tokens");
        }
        return switch (model) {
            case "llama" -> sentencePiece(g, tokens, types);
            case "gpt2" -> byteLevel(g, tokens, types);
            default -> throw new IllegalArgumentException(g.origin() + ": tokenizer.ggml.model '" + model + "' is not supported (expected llama or gpt2)");
        };
    }

    private static SentencePieceBpeTokenizer sentencePiece(Gguf g, String[] tokens, int[] types) {
        int n = tokens.length;
        float[] scores = g.has("tokenizer.ggml.scores") ? g.floats("tokenizer.ggml.scores") : new float[n];
        if (scores.length != n) throw new IllegalArgumentException(g.origin() + ": tokenizer.ggml.scores has " + scores.length + " entries for " + n + " tokens");
        TokenType[] tt = new TokenType[n];
        for (int i = 0; i < n; i++) {
            int t = types == null ? 1 : types[i];
            if (t < 1 || t > 6) throw new IllegalArgumentException(g.origin() + ": tokenizer.ggml.token_type[" + i + "] = " + t + " is not a token type (1..6)");
            tt[i] = TokenType.values()[t - 1];
        }
        return SentencePieceBpeTokenizer.fromSentencePiece(Arrays.asList(tokens), scores, tt, special(g, "bos", 1, n), special(g, "eos", 2, n),
                special(g, "unknown", 0, n), g.bool("tokenizer.ggml.add_bos_token", true), g.bool("tokenizer.ggml.add_space_prefix", true));
    }

    private static int special(Gguf g, String which, int dflt, int n) {
        String key = "tokenizer.ggml." + which + "_token_id";
        int id = g.integer(key, dflt < n ? dflt : -1);
        if (id < -1 || id >= n) throw new IllegalArgumentException(g.origin() + ": " + key + " = " + id + " is outside the vocabulary [0, " + n + ")");
        return id;
    }

    private static ByteLevelBpeTokenizer byteLevel(Gguf g, String[] tokens, int[] types) {
        String pre = g.string("tokenizer.ggml.pre", "default");
        if (!pre.equals("gpt-2") && !pre.equals("default")) {
            throw new IllegalArgumentException(g.origin() + ": tokenizer.ggml.pre '" + pre + "' is not supported yet (GPT-2's pre-tokenizer only)");
        }
        String[] merges = g.strings("tokenizer.ggml.merges");
        List<String> specials = new ArrayList<>();
        if (types != null) for (int i = 0; i < tokens.length; i++) if (types[i] == 3 || types[i] == 4) specials.add(tokens[i]);
        return ByteLevelBpeTokenizer.of(Arrays.asList(tokens), Arrays.asList(merges), specials);
    }
}
