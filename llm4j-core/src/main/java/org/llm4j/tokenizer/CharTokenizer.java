// Character-level tokenizer: one id per Unicode code point seen in the training text, in sorted order.
package org.llm4j.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;

public final class CharTokenizer implements Tokenizer {
    private final int[] codePoints;            // id → code point
    private final Map<Integer, Integer> ids;   // code point → id

    public CharTokenizer(int[] codePoints) {
        this.codePoints = codePoints.clone();
        this.ids = new HashMap<>();
        for (int i = 0; i < codePoints.length; i++) {
            if (ids.put(codePoints[i], i) != null) throw new IllegalArgumentException("character U+" + Integer.toHexString(codePoints[i]) + " appears twice in the vocabulary");
        }
    }

    /** The sorted distinct characters of text (nanoGPT's shakespeare_char: 65 for tiny Shakespeare). */
    public static CharTokenizer fit(String text) {
        TreeSet<Integer> set = new TreeSet<>();
        text.codePoints().forEach(set::add);
        return new CharTokenizer(set.stream().mapToInt(Integer::intValue).toArray());
    }

    @Override public int vocabSize() { return codePoints.length; }

    @Override
    public int[] encode(String text) {
        int[] out = new int[text.codePointCount(0, text.length())];
        int i = 0;
        for (int at = 0; at < text.length(); ) {
            int cp = text.codePointAt(at);
            Integer id = ids.get(cp);
            if (id == null) {
                throw new IllegalArgumentException("character '" + new String(Character.toChars(cp)) + "' (U+" + Integer.toHexString(cp).toUpperCase()
                        + ") at position " + i + " is not in the tokenizer's vocabulary of " + codePoints.length + " characters");
            }
            out[i++] = id;
            at += Character.charCount(cp);
        }
        return out;
    }

    @Override
    public String decode(int[] tokens) {
        StringBuilder sb = new StringBuilder(tokens.length);
        for (int t : tokens) sb.appendCodePoint(codePoints[check(t)]);
        return sb.toString();
    }

    @Override
    public String decodeToken(int id) {
        return new String(Character.toChars(codePoints[check(id)]));
    }

    private int check(int id) {
        if (id < 0 || id >= codePoints.length) throw new IllegalArgumentException("token id " + id + " is outside the vocabulary [0, " + codePoints.length + ")");
        return id;
    }

    @Override
    public String toJson() {
        ObjectMapper m = new ObjectMapper();
        ObjectNode root = m.createObjectNode();
        root.put("type", "char");
        ArrayNode vocab = root.putArray("vocab");
        for (int cp : codePoints) vocab.add(new String(Character.toChars(cp)));
        return root.toPrettyString();
    }

    static CharTokenizer fromJson(JsonNode node, String origin) {
        JsonNode vocab = node.path("vocab");
        if (!vocab.isArray() || vocab.isEmpty()) throw new IllegalArgumentException(origin + ": field 'vocab' must be a non-empty array of characters");
        int[] cps = new int[vocab.size()];
        for (int i = 0; i < cps.length; i++) {
            String s = vocab.get(i).asText();
            if (s.codePointCount(0, s.length()) != 1) throw new IllegalArgumentException(origin + ": vocab[" + i + "] must be exactly one character, got \"" + s + "\"");
            cps[i] = s.codePointAt(0);
        }
        try {
            return new CharTokenizer(cps);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(origin + ": " + e.getMessage());
        }
    }
}
