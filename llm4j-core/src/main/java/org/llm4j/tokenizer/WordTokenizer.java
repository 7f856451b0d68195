// Word-level tokenizer with the classic preprocessing options (Keras Tokenizer, torchtext, NLTK-style).
package org.llm4j.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Text → words → ids. Words come from splitting on whitespace after the chosen preprocessing;
 * the vocabulary keeps the most frequent words (ties by first appearance), id 0 is the padding
 * token and id 1 the unknown token, as Keras' Tokenizer(oov_token=...) does. Decoding joins words
 * with spaces: word tokenization is lossy by nature (case, punctuation spacing, stop words).
 */
public final class WordTokenizer implements Tokenizer {
    public static final String PAD = "<pad>", UNK = "<unk>";

    /** How punctuation is treated: removed, split off as its own word, or kept attached. */
    public enum Punctuation { REMOVE, SPLIT, KEEP }

    /**
     * @param lowercase     fold case (Locale.ROOT)
     * @param normalization null, "NFC" or "NFKC" (NFKC also folds compatibility forms such as ﬁ → fi)
     * @param punctuation   REMOVE, SPLIT or KEEP
     * @param stopWords     words dropped before counting and encoding (after lower-casing)
     * @param minFrequency  words seen fewer times become the unknown token
     * @param maxVocab      at most this many ids in all, including <pad> and <unk>; 0 = no limit
     */
    public record Options(boolean lowercase, String normalization, Punctuation punctuation, Set<String> stopWords,
                          int minFrequency, int maxVocab) {
        public Options {
            if (normalization != null && !normalization.equals("NFC") && !normalization.equals("NFKC")) {
                throw new IllegalArgumentException("normalization must be NFC, NFKC or none, got '" + normalization + "'");
            }
            if (minFrequency < 1) throw new IllegalArgumentException("min frequency must be >= 1, got " + minFrequency);
            if (maxVocab != 0 && maxVocab < 3) throw new IllegalArgumentException("max vocabulary must be 0 (no limit) or >= 3, got " + maxVocab);
            stopWords = Set.copyOf(stopWords);
        }

        /** Lower-cased, NFKC, punctuation split off, no stop words, every word kept. */
        public static Options defaults() {
            return new Options(true, "NFKC", Punctuation.SPLIT, Set.of(), 1, 0);
        }

        public Options withMaxVocab(int n) {
            return new Options(lowercase, normalization, punctuation, stopWords, minFrequency, n);
        }

        public Options withStopWords(Collection<String> words) {
            return new Options(lowercase, normalization, punctuation, Set.copyOf(words), minFrequency, maxVocab);
        }

        public Options withMinFrequency(int n) {
            return new Options(lowercase, normalization, punctuation, stopWords, n, maxVocab);
        }
    }

    /** A common English stop-word list (articles, pronouns, auxiliaries, prepositions, conjunctions). */
    public static final Set<String> ENGLISH_STOP_WORDS = Set.of(
            "a", "about", "above", "after", "again", "against", "all", "am", "an", "and", "any", "are", "as", "at",
            "be", "because", "been", "before", "being", "below", "between", "both", "but", "by", "can", "could",
            "did", "do", "does", "doing", "down", "during", "each", "few", "for", "from", "further", "had", "has",
            "have", "having", "he", "her", "here", "hers", "herself", "him", "himself", "his", "how", "i", "if",
            "in", "into", "is", "it", "its", "itself", "just", "me", "more", "most", "my", "myself", "no", "nor",
            "not", "now", "of", "off", "on", "once", "only", "or", "other", "our", "ours", "ourselves", "out",
            "over", "own", "same", "she", "should", "so", "some", "such", "than", "that", "the", "their",
            "theirs", "them", "themselves", "then", "there", "these", "they", "this", "those", "through", "to",
            "too", "under", "until", "up", "very", "was", "we", "were", "what", "when", "where", "which", "while",
            "who", "whom", "why", "will", "with", "would", "you", "your", "yours", "yourself", "yourselves");

    private final Options options;
    private final List<String> words;       // id → word
    private final Map<String, Integer> ids; // word → id

    private WordTokenizer(Options options, List<String> words) {
        this.options = options;
        this.words = List.copyOf(words);
        this.ids = new HashMap<>();
        for (int i = 0; i < words.size(); i++) {
            if (ids.put(words.get(i), i) != null) throw new IllegalArgumentException("word '" + words.get(i) + "' appears twice in the vocabulary");
        }
        if (words.size() < 2 || !PAD.equals(words.get(0)) || !UNK.equals(words.get(1))) {
            throw new IllegalArgumentException("vocabulary must start with " + PAD + " and " + UNK);
        }
    }

    /** Builds the vocabulary from documents: counts words after preprocessing, keeps the most frequent. */
    public static WordTokenizer fit(Iterable<String> documents, Options options) {
        Map<String, int[]> counts = new HashMap<>();
        List<String> order = new ArrayList<>();
        for (String doc : documents) {
            for (String w : split(doc, options)) {
                int[] c = counts.get(w);
                if (c == null) {
                    counts.put(w, new int[]{1});
                    order.add(w);
                } else c[0]++;
            }
        }
        List<String> kept = new ArrayList<>();
        for (String w : order) if (counts.get(w)[0] >= options.minFrequency() && !w.equals(PAD) && !w.equals(UNK)) kept.add(w);
        // most frequent first; ties keep first appearance (a stable sort)
        kept.sort((a, b) -> Integer.compare(counts.get(b)[0], counts.get(a)[0]));
        int limit = options.maxVocab() == 0 ? kept.size() : Math.min(kept.size(), options.maxVocab() - 2);
        List<String> vocab = new ArrayList<>(limit + 2);
        vocab.add(PAD);
        vocab.add(UNK);
        vocab.addAll(kept.subList(0, limit));
        return new WordTokenizer(options, vocab);
    }

    /** The words of text after preprocessing (before the vocabulary lookup). */
    public static List<String> split(String text, Options o) {
        String t = text;
        if (o.normalization() != null) t = Normalizer.normalize(t, o.normalization().equals("NFC") ? Normalizer.Form.NFC : Normalizer.Form.NFKC);
        if (o.lowercase()) t = t.toLowerCase(java.util.Locale.ROOT);
        List<String> out = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        for (int i = 0; i < t.length(); ) {
            int cp = t.codePointAt(i);
            i += Character.charCount(cp);
            if (Character.isWhitespace(cp) || Character.isSpaceChar(cp)) {
                flush(word, out, o);
            } else if (isPunctuation(cp) && o.punctuation() != Punctuation.KEEP && !(cp == '\'' && word.length() > 0 && i < t.length() && Character.isLetter(t.codePointAt(i)))) {
                // apostrophes inside words (don't, o'clock) stay part of the word
                flush(word, out, o);
                if (o.punctuation() == Punctuation.SPLIT) {
                    word.appendCodePoint(cp);
                    flush(word, out, o);
                }
            } else {
                word.appendCodePoint(cp);
            }
        }
        flush(word, out, o);
        return out;
    }

    private static void flush(StringBuilder word, List<String> out, Options o) {
        if (word.length() == 0) return;
        String w = word.toString();
        word.setLength(0);
        if (!o.stopWords().contains(w)) out.add(w);
    }

    private static boolean isPunctuation(int cp) {
        return switch (Character.getType(cp)) {
            case Character.CONNECTOR_PUNCTUATION, Character.DASH_PUNCTUATION, Character.START_PUNCTUATION,
                 Character.END_PUNCTUATION, Character.INITIAL_QUOTE_PUNCTUATION, Character.FINAL_QUOTE_PUNCTUATION,
                 Character.OTHER_PUNCTUATION, Character.MATH_SYMBOL, Character.CURRENCY_SYMBOL,
                 Character.MODIFIER_SYMBOL, Character.OTHER_SYMBOL -> true;
            default -> false;
        };
    }

    public Options options() { return options; }

    @Override public int vocabSize() { return words.size(); }

    public int unknownId() { return 1; }

    /** The id of a word (after preprocessing), or the unknown id. */
    public int id(String word) {
        return ids.getOrDefault(word, 1);
    }

    @Override
    public int[] encode(String text) {
        List<String> ws = split(text, options);
        int[] out = new int[ws.size()];
        for (int i = 0; i < out.length; i++) out[i] = ids.getOrDefault(ws.get(i), 1);
        return out;
    }

    @Override
    public String decode(int[] tokens) {
        StringBuilder sb = new StringBuilder();
        for (int t : tokens) {
            if (t == 0) continue; // padding
            if (sb.length() > 0) sb.append(' ');
            sb.append(word(t));
        }
        return sb.toString();
    }

    @Override
    public String decodeToken(int id) {
        return id == 0 ? "" : " " + word(id);
    }

    public String word(int id) {
        if (id < 0 || id >= words.size()) throw new IllegalArgumentException("token id " + id + " is outside the vocabulary [0, " + words.size() + ")");
        return words.get(id);
    }

    @Override
    public String toJson() {
        ObjectNode root = new ObjectMapper().createObjectNode();
        root.put("type", "word");
        root.put("lowercase", options.lowercase());
        if (options.normalization() != null) root.put("normalization", options.normalization());
        root.put("punctuation", options.punctuation().name().toLowerCase(java.util.Locale.ROOT));
        ArrayNode sw = root.putArray("stop_words");
        options.stopWords().stream().sorted().forEach(sw::add);
        root.put("min_frequency", options.minFrequency());
        root.put("max_vocab", options.maxVocab());
        ArrayNode v = root.putArray("vocab");
        words.forEach(v::add);
        return root.toPrettyString();
    }

    static WordTokenizer fromJson(JsonNode n, String origin) {
        try {
            Set<String> stop = new LinkedHashSet<>();
            n.path("stop_words").forEach(s -> stop.add(s.asText()));
            String punct = n.path("punctuation").asText("split").toUpperCase(java.util.Locale.ROOT);
            Punctuation p;
            try {
                p = Punctuation.valueOf(punct);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("field 'punctuation' must be remove, split or keep, got '" + punct.toLowerCase(java.util.Locale.ROOT) + "'");
            }
            Options o = new Options(n.path("lowercase").asBoolean(true), n.hasNonNull("normalization") ? n.get("normalization").asText() : null,
                    p, stop, n.path("min_frequency").asInt(1), n.path("max_vocab").asInt(0));
            JsonNode vocab = n.path("vocab");
            if (!vocab.isArray()) throw new IllegalArgumentException("field 'vocab' must be an array of words");
            List<String> words = new ArrayList<>();
            vocab.forEach(w -> words.add(w.asText()));
            return new WordTokenizer(o, words);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(origin + ": " + e.getMessage());
        }
    }
}
