// Tokenizers described by GGUF metadata (tokenizer.ggml.*): SentencePiece BPE ("llama") and byte-level BPE ("gpt2").
package org.llm4j.format;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.llm4j.tokenizer.ByteLevelBpeTokenizer;
import org.llm4j.tokenizer.ByteLevelPreTokenizer;
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

    /** BOS of the GGUF's tokenizer: the SentencePiece tokenizer's, or tokenizer.ggml.bos_token_id; -1 if none. */
    static int bosId(Gguf g, Tokenizer tok) {
        return tok instanceof SentencePieceBpeTokenizer sp ? sp.bosId() : special(g, "bos", Integer.MAX_VALUE, tok.vocabSize());
    }

    /** EOS likewise; -1 if none. */
    static int eosId(Gguf g, Tokenizer tok) {
        return tok instanceof SentencePieceBpeTokenizer sp ? sp.eosId() : special(g, "eos", Integer.MAX_VALUE, tok.vocabSize());
    }

    /**
     * Writes tokenizer.ggml.* for a model of modelVocab rows: SentencePiece BPE as "llama" (pieces
     * with U+2581 for spaces, scores, types), byte-level BPE as "gpt2" (tokens, types, merges, pre).
     * Rows past the tokenizer's vocabulary get tokens "[PAD{id}]" of type 5 (unused), as llama.cpp's
     * converter pads, since llama.cpp requires one token per embedding row.
     */
    public static void write(GgufWriter w, Tokenizer tok, int modelVocab) {
        int n = tok.vocabSize();
        if (n > modelVocab) throw new IllegalArgumentException("the tokenizer has " + n + " tokens but the model only " + modelVocab + " embedding rows");
        List<String> tokens = new ArrayList<>(modelVocab);
        int[] types = new int[modelVocab];
        switch (tok) {
            case SentencePieceBpeTokenizer sp -> {
                float[] scores = new float[modelVocab];
                for (int i = 0; i < n; i++) {
                    tokens.add(sp.type(i) == TokenType.BYTE ? sp.piece(i) : sp.piece(i).replace(' ', '\u2581'));
                    scores[i] = sp.score(i);
                    types[i] = sp.type(i).ordinal() + 1;
                }
                pad(tokens, types, n, modelVocab);
                w.string("tokenizer.ggml.model", "llama").strings("tokenizer.ggml.tokens", tokens).floats("tokenizer.ggml.scores", scores)
                        .ints("tokenizer.ggml.token_type", types);
                if (sp.bosId() >= 0) w.u32("tokenizer.ggml.bos_token_id", sp.bosId());
                if (sp.eosId() >= 0) w.u32("tokenizer.ggml.eos_token_id", sp.eosId());
                if (sp.unkId() >= 0) w.u32("tokenizer.ggml.unknown_token_id", sp.unkId());
                // Without these keys llama.cpp (and fromMetadata) assume BOS and the dummy-prefix space: say what this tokenizer does.
                w.bool("tokenizer.ggml.add_bos_token", sp.addsBos()).bool("tokenizer.ggml.add_eos_token", false)
                        .bool("tokenizer.ggml.add_space_prefix", sp.addsDummyPrefix());
            }
            case ByteLevelBpeTokenizer bl -> {
                for (int i = 0; i < n; i++) {
                    tokens.add(bl.vocabEntry(i));
                    types[i] = bl.isSpecial(i) ? 3 : 1;   // control, normal: as llama.cpp's converter marks HF's special added tokens
                }
                pad(tokens, types, n, modelVocab);
                w.string("tokenizer.ggml.model", "gpt2").string("tokenizer.ggml.pre", bl.preTokenizer().ggufName())
                        .strings("tokenizer.ggml.tokens", tokens).ints("tokenizer.ggml.token_type", types)
                        .strings("tokenizer.ggml.merges", bl.mergeStrings());
                // NOTE: llama.cpp falls back to id 11 for a missing BOS/EOS of a gpt2 vocabulary, so both are
                // always written: the tokenizer's BOS if it has one, else <|endoftext|> (GPT-2's BOS and EOS).
                int eot = bl.tokenId("<|endoftext|>");
                int bos = bl.bosId() >= 0 ? bl.bosId() : eot, eos = bl.eosId() >= 0 ? bl.eosId() : eot;
                if (bos >= 0) w.u32("tokenizer.ggml.bos_token_id", bos);
                if (eos >= 0) w.u32("tokenizer.ggml.eos_token_id", eos);
                w.bool("tokenizer.ggml.add_bos_token", bl.addsBos());
            }
            default -> throw new IllegalArgumentException("a " + tok.getClass().getSimpleName() + " has no GGUF form (SentencePiece or byte-level BPE only)");
        }
    }

    private static void pad(List<String> tokens, int[] types, int from, int to) {
        for (int i = from; i < to; i++) {
            tokens.add("[PAD" + i + "]");
            types[i] = 5;
        }
    }

    private static int special(Gguf g, String which, int dflt, int n) {
        String key = "tokenizer.ggml." + which + "_token_id";
        int id = g.integer(key, dflt < n ? dflt : -1);
        if (id < -1 || id >= n) throw new IllegalArgumentException(g.origin() + ": " + key + " = " + id + " is outside the vocabulary [0, " + n + ")");
        return id;
    }

    // llama.cpp reads tokenizer.ggml.pre to pick the pre-tokenizer; an unknown name is refused, never
    // replaced by another pattern (that would silently change the ids). BOS is added when
    // tokenizer.ggml.add_bos_token says so (llama.cpp's default for a gpt2 vocabulary is not to).
    private static ByteLevelBpeTokenizer byteLevel(Gguf g, String[] tokens, int[] types) {
        String preName = g.string("tokenizer.ggml.pre", "default");
        ByteLevelPreTokenizer pre = ByteLevelPreTokenizer.byGgufName(preName);
        if (pre == null) {
            throw new IllegalArgumentException(g.origin() + ": tokenizer.ggml.pre '" + preName + "' is not supported (gpt-2, default, llama-bpe, llama3, qwen2 are)");
        }
        String[] merges = g.strings("tokenizer.ggml.merges");
        List<String> specials = new ArrayList<>();
        if (types != null) {
            for (int i = 0; i < tokens.length; i++) {
                if (types[i] < 1 || types[i] > 6) throw new IllegalArgumentException(g.origin() + ": tokenizer.ggml.token_type[" + i + "] = " + types[i] + " is not a token type (1..6)");
                if (types[i] == 3 || types[i] == 4) specials.add(tokens[i]);
            }
        }
        ByteLevelBpeTokenizer t;
        try {
            t = ByteLevelBpeTokenizer.of(Arrays.asList(tokens), Arrays.asList(merges), specials);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(g.origin() + ": tokenizer.ggml.tokens/merges: " + e.getMessage());
        }
        int n = tokens.length, bos = special(g, "bos", Integer.MAX_VALUE, n), eos = special(g, "eos", Integer.MAX_VALUE, n);
        boolean addBos = g.bool("tokenizer.ggml.add_bos_token", false);
        if (addBos && bos < 0) throw new IllegalArgumentException(g.origin() + ": tokenizer.ggml.add_bos_token is true but tokenizer.ggml.bos_token_id is missing");
        return t.withPreTokenizer(pre).withSpecialIds(bos, eos, addBos);
    }
}
