// The pre-tokenizers of byte-level BPE vocabularies: how text is cut into the pieces that BPE merges within.
package org.llm4j.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Each is a published regular expression (tokenizer.json's Split pre-tokenizer, tiktoken's
 * pat_str), matched leftmost-first over the text; every match is a piece. GPT-2's runs on a
 * hand-written scanner ({@link Gpt2PreTokenizer}, tested against its pattern), the others on
 * java.util.regex, whose semantics agree with Python's `regex` module for these patterns once
 * UNICODE_CHARACTER_CLASS makes \s Unicode White_Space and (?i) Unicode-aware (checked against
 * pieces made by `regex`, tools/pytorch/make_pretokenizer_fixtures.py). Names are llama.cpp's
 * tokenizer.ggml.pre values.
 */
public enum ByteLevelPreTokenizer {
    /** GPT-2 (and GPT-J, RoBERTa...): contractions, ' ?' + letters / digits / other, whitespace. */
    GPT2("gpt-2", Gpt2PreTokenizer.REGEX),
    /**
     * Llama 3 (tiktoken's cl100k_base pattern): case-insensitive contractions, letters with one
     * leading non-letter, digits in groups of up to three, punctuation runs with trailing newlines.
     */
    LLAMA3("llama-bpe", "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"),
    /** Qwen2: Llama 3's pattern with single digits. */
    QWEN2("qwen2", "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+");

    private final String ggufName, regex;
    private final Pattern pattern;

    ByteLevelPreTokenizer(String ggufName, String regex) {
        this.ggufName = ggufName;
        this.regex = regex;
        this.pattern = Pattern.compile(regex, Pattern.UNICODE_CHARACTER_CLASS);
    }

    /** The tokenizer.ggml.pre value llama.cpp's converter writes for it. */
    public String ggufName() { return ggufName; }

    /** The pattern as tokenizer.json's Split pre-tokenizer and Python's `regex` spell it. */
    public String regex() { return regex; }

    /**
     * By tokenizer.ggml.pre, or null when llm4j does not know the name. NOTE: "default" is what
     * llama.cpp assumes when the key is missing (old files, mostly GPT-2-style vocabularies); llm4j
     * reads it as GPT-2's pattern, where llama.cpp runs a cruder split and warns of degraded quality.
     */
    public static ByteLevelPreTokenizer byGgufName(String name) {
        return switch (name) {
            case "gpt-2", "default" -> GPT2;
            case "llama-bpe", "llama3", "llama-v3" -> LLAMA3;
            case "qwen2", "deepseek-r1-qwen" -> QWEN2;
            default -> null;
        };
    }

    /** By a tokenizer.json Split pattern, or null. */
    public static ByteLevelPreTokenizer byRegex(String regex) {
        for (ByteLevelPreTokenizer p : values()) if (p.regex.equals(regex)) return p;
        return null;
    }

    /** Calls sink(start, end) for each piece of text[from, to), in order; the pieces tile the range. */
    void split(String text, int from, int to, PieceSink sink) {
        if (this == GPT2) {
            for (int i = from; i < to; ) {
                int e = Gpt2PreTokenizer.next(text, i, to);
                sink.piece(i, e);
                i = e;
            }
            return;
        }
        // Opaque bounds: the lookahead of \s+(?!\S) sees the end of the segment, not the text after
        // it, as Hugging Face pre-tokenizes each stretch between special tokens on its own.
        Matcher m = pattern.matcher(text).region(from, to);
        int at = from;
        while (m.find()) {
            if (m.start() > at) sink.piece(at, m.start());   // text no alternative matched (none for these patterns) stays a piece
            if (m.end() > m.start()) sink.piece(m.start(), m.end());
            at = m.end();
        }
        if (at < to) sink.piece(at, to);
    }

    /** The pieces of text, for tests and tools. */
    public List<String> split(String text) {
        List<String> out = new ArrayList<>();
        split(text, 0, text.length(), (s, e) -> out.add(text.substring(s, e)));
        return out;
    }

    @FunctionalInterface
    interface PieceSink {
        void piece(int start, int end);
    }
}
