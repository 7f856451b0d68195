// Turns a chat conversation into the prompt a model continues: the model's own Jinja template
// (tokenizer.chat_template) when it has one, else llm4j's plain "role: content" form.
package org.llm4j.chat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.llm4j.tokenizer.ByteLevelBpeTokenizer;
import org.llm4j.tokenizer.SentencePieceBpeTokenizer;
import org.llm4j.tokenizer.Tokenizer;

/**
 * Rendering is Hugging Face's apply_chat_template: render(messages, add_generation_prompt) gives
 * text, and {@link #encode} turns it into ids the way Hugging Face (add_special_tokens=False) and
 * llama.cpp (parse_special) do: special tokens written in the text (bos_token, "<|eot_id|>",
 * "[INST]") become their ids and nothing else is added, so BOS appears exactly where the template
 * writes it. Generation stops at {@link #stopTokenIds()} (the model's EOS and the template's
 * end-of-turn tokens such as {@code <|eot_id|>} or {@code <|im_end|>}) and at {@link #stops()}.
 */
public sealed interface ChatTemplate permits ChatTemplate.Plain, ChatTemplate.Model {
    record Message(String role, String content) {
        public Message {
            if (role == null || content == null) throw new IllegalArgumentException("a message needs a role and a content");
        }
    }

    /** The conversation as text; addGenerationPrompt ends it with the assistant's header, for the reply. */
    String render(List<Message> messages, boolean addGenerationPrompt);

    /** The rendered text as prompt ids (see the class comment). */
    int[] encode(Tokenizer tokenizer, String text);

    /** Stop strings that end the assistant's turn. */
    List<String> stops();

    /** Token ids that end the assistant's turn. */
    int[] stopTokenIds();

    /** Whether this is the model's own template (false: {@link #DEFAULT}). */
    default boolean isModelTemplate() {
        return this instanceof Model;
    }

    /**
     * The documented default for models without a template: one "role: content" line per message
     * (newlines inside the content kept), then "assistant:" for the model to continue. Generation
     * stops at the next "\nuser:" or "\nsystem:" line. Example:
     * <pre>
     * system: You are terse.
     * user: Hi!
     * assistant:</pre>
     */
    ChatTemplate DEFAULT = new Plain();

    final class Plain implements ChatTemplate {
        private Plain() {}

        @Override public String render(List<Message> messages, boolean addGenerationPrompt) {
            StringBuilder sb = new StringBuilder();
            for (Message m : messages) sb.append(m.role()).append(": ").append(m.content()).append('\n');
            return addGenerationPrompt ? sb.append("assistant:").toString() : sb.toString();
        }

        /** Today's encoding: the tokenizer's own (a SentencePiece tokenizer adds BOS). */
        @Override public int[] encode(Tokenizer tokenizer, String text) {
            return tokenizer.encode(text);
        }

        @Override public List<String> stops() {
            return List.of("\nuser:", "\nsystem:");
        }

        @Override public int[] stopTokenIds() {
            return new int[0];
        }

        @Override public String toString() {
            return "llm4j's default \"role: content\" chat format";
        }
    }

    /** A template that could not be parsed or rendered, or that refused the conversation (raise_exception). */
    final class TemplateError extends IllegalArgumentException {
        private final boolean raised;

        TemplateError(String message, boolean raised) {
            super(message);
            this.raised = raised;
        }

        /** True when the template itself refused the conversation (its raise_exception), not a template bug. */
        public boolean raisedByTemplate() {
            return raised;
        }
    }

    /**
     * The model's template. bosToken/eosToken (and any other special-token variables, e.g.
     * unk_token, pad_token) are the strings Hugging Face passes; null ones are passed as None.
     * eosIds are the model's end-of-sequence ids (generation_config.json or GGUF metadata).
     */
    static ChatTemplate of(String source, Tokenizer tokenizer, Map<String, String> specialTokenVariables, int[] eosIds, String origin) {
        return new Model(source, tokenizer, specialTokenVariables, eosIds, origin);
    }

    /** Special tokens a tokenizer recognises in text (text → id): byte-level BPE's added specials, SentencePiece's control and user-defined pieces. */
    static Map<String, Integer> specialTokens(Tokenizer tokenizer) {
        Map<String, Integer> out = new LinkedHashMap<>();
        if (tokenizer instanceof ByteLevelBpeTokenizer b) out.putAll(b.specialTokens());
        else if (tokenizer instanceof SentencePieceBpeTokenizer sp) {
            for (int id = 0; id < sp.vocabSize(); id++) {
                var t = sp.type(id);
                if ((t == SentencePieceBpeTokenizer.TokenType.CONTROL || t == SentencePieceBpeTokenizer.TokenType.USER_DEFINED) && !sp.piece(id).isEmpty()) {
                    out.putIfAbsent(sp.piece(id), id);
                }
            }
        }
        return out;
    }

    /** The text of a token id as a template writes it ("<s>", "<|eot_id|>"), or null when out of range. */
    static String tokenText(Tokenizer tokenizer, int id) {
        if (id < 0 || id >= tokenizer.vocabSize()) return null;
        if (tokenizer instanceof SentencePieceBpeTokenizer sp) return sp.piece(id);
        if (tokenizer instanceof ByteLevelBpeTokenizer b) {
            for (var e : b.specialTokens().entrySet()) if (e.getValue() == id) return e.getKey();
        }
        return tokenizer.decodeToken(id);
    }

    final class Model implements ChatTemplate {
        /** Tokens that end a turn in the templates of common model families; a template's own use of one makes it a stop token. */
        static final Set<String> END_OF_TURN = Set.of("<|eot_id|>", "<|eom_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>",
                "<|end_of_text|>", "<|END_OF_TURN_TOKEN|>", "<｜end▁of▁sentence｜>", "<|return|>", "<|im_sep|>");

        private final String source, origin;
        private final Jinja jinja;
        private final String parseError;
        private final Map<String, Object> variables = new LinkedHashMap<>();
        private final Map<String, Integer> specials;
        private final String[] specialsByLength;
        private final int[] stopIds;

        private Model(String source, Tokenizer tokenizer, Map<String, String> specialTokenVariables, int[] eosIds, String origin) {
            this.source = source;
            this.origin = origin;
            Jinja j = null;
            String err = null;
            try {
                j = new Jinja(source);
            } catch (Jinja.TemplateException e) {
                err = e.getMessage();
            }
            this.jinja = j;
            this.parseError = err;
            variables.putAll(specialTokenVariables);
            this.specials = specialTokens(tokenizer);
            this.specialsByLength = specials.keySet().stream().sorted((a, b) -> Integer.compare(b.length(), a.length())).toArray(String[]::new);
            Set<Integer> stop = new LinkedHashSet<>();
            for (int id : eosIds) if (id >= 0 && id < tokenizer.vocabSize()) stop.add(id);
            String eos = specialTokenVariables.get("eos_token");
            if (eos != null && specials.containsKey(eos)) stop.add(specials.get(eos));
            Set<String> literals = Jinja.literalStrings(source);
            for (String t : END_OF_TURN) {
                if (specials.containsKey(t) && (source.contains(t) || literals.contains(t))) stop.add(specials.get(t));
            }
            this.stopIds = stop.stream().mapToInt(Integer::intValue).toArray();
        }

        @Override public String render(List<Message> messages, boolean addGenerationPrompt) {
            if (jinja == null) throw new TemplateError(origin + ": the chat template cannot be used: " + parseError, false);
            List<Map<String, Object>> msgs = new ArrayList<>(messages.size());
            for (Message m : messages) {
                Map<String, Object> o = new LinkedHashMap<>();
                o.put("role", m.role());
                o.put("content", m.content());
                msgs.add(o);
            }
            Map<String, Object> vars = new LinkedHashMap<>(variables);
            vars.put("messages", msgs);
            vars.put("tools", null);
            vars.put("documents", null);
            vars.put("add_generation_prompt", addGenerationPrompt);
            try {
                return jinja.render(vars);
            } catch (Jinja.Raised e) {
                throw new TemplateError(e.getMessage(), true);
            } catch (Jinja.TemplateException | ArithmeticException e) {
                throw new TemplateError(origin + ": the chat template failed: " + e.getMessage(), false);
            }
        }

        @Override public int[] encode(Tokenizer tokenizer, String text) {
            if (tokenizer instanceof SentencePieceBpeTokenizer sp) return encodeSentencePiece(sp, text);
            if (tokenizer instanceof ByteLevelBpeTokenizer b) return b.encode(text);   // splits on its specials, adds no BOS
            return tokenizer.encode(text);
        }

        // llama.cpp's SentencePiece path with parse_special: the text is cut at special tokens (leftmost,
        // then longest); each piece of text between them is encoded on its own, with the dummy-prefix
        // space (llama.cpp puts it on the first fragment and on every fragment after a special token,
        // which is every fragment); no BOS of its own.
        private int[] encodeSentencePiece(SentencePieceBpeTokenizer sp, String text) {
            List<int[]> parts = new ArrayList<>();
            int[] nextAt = new int[specialsByLength.length];   // next occurrence of each special at or after pos (-1: none left)
            for (int k = 0; k < nextAt.length; k++) nextAt[k] = text.indexOf(specialsByLength[k]);
            int pos = 0, total = 0;
            while (pos < text.length()) {
                int bestAt = -1, best = -1;
                for (int k = 0; k < nextAt.length; k++) {
                    if (nextAt[k] >= 0 && nextAt[k] < pos) nextAt[k] = text.indexOf(specialsByLength[k], pos);
                    if (nextAt[k] >= 0 && (bestAt < 0 || nextAt[k] < bestAt)) {   // leftmost; the longer on a tie (sorted)
                        bestAt = nextAt[k];
                        best = k;
                    }
                }
                int end = bestAt < 0 ? text.length() : bestAt;
                if (end > pos) {
                    int[] ids = sp.encode(text.substring(pos, end), false);
                    parts.add(ids);
                    total += ids.length;
                }
                if (best < 0) break;
                parts.add(new int[] {specials.get(specialsByLength[best])});
                total++;
                pos = bestAt + specialsByLength[best].length();
            }
            int[] out = new int[total];
            int k = 0;
            for (int[] p : parts) {
                System.arraycopy(p, 0, out, k, p.length);
                k += p.length;
            }
            return out;
        }

        @Override public List<String> stops() {
            return List.of();
        }

        @Override public int[] stopTokenIds() {
            return stopIds.clone();
        }

        public String source() {
            return source;
        }

        public String origin() {
            return origin;
        }

        @Override public String toString() {
            return "the chat template of " + origin + " (stops at ids " + Arrays.toString(stopIds) + ")";
        }
    }
}
