// SentencePiece-style BPE (Llama 2, TinyStories): merges ranked by piece scores, byte fallback, a dummy prefix space.
package org.llm4j.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import org.llm4j.io.Json;

/**
 * The vocabulary is a list of pieces with scores (SentencePiece's BPE model, as llama2.c's
 * tokenizer.bin and GGUF's tokenizer.ggml.* keep it). Pieces are held with a plain space where
 * SentencePiece writes U+2581 (▁), as llama2.c exports them; {@link #fromSentencePiece} converts.
 *
 * <p>Encoding (llama2.c's encode, llama.cpp's llm_tokenizer_spm): a space is put in front of
 * non-empty text (the "dummy prefix"), the text is split into characters, and the adjacent pair
 * whose concatenation is a piece with the highest score is merged, the leftmost on a tie, until no
 * pair is a piece. A character that is no piece becomes its UTF-8 bytes as the byte tokens
 * {@code <0xNN>}. There is no pre-tokenization: spaces are characters like any other.
 */
public final class SentencePieceBpeTokenizer implements Tokenizer {
    /** GGUF's tokenizer.ggml.token_type values 1..6 (SentencePiece's piece types). */
    public enum TokenType { NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE }

    private final String[] pieces;
    private final float[] scores;
    private final TokenType[] types;
    private final byte[][] bytes;       // what each id decodes to: UTF-8 of the piece, one byte for <0xNN>, nothing for control tokens
    private final Map<String, Integer> ids = new HashMap<>(); // mergeable pieces (normal, user-defined) → id
    private final int[] byteIds = new int[256];
    private final int bos, eos, unk;
    private final boolean addBos, addDummyPrefix;

    /**
     * @param bos, eos, unk   special ids (-1 when the vocabulary has none)
     * @param addBos          whether {@link #encode(String)} starts with BOS (Llama: yes)
     * @param addDummyPrefix  whether a space is put in front of the text (SentencePiece's add_dummy_prefix)
     */
    public SentencePieceBpeTokenizer(List<String> pieces, float[] scores, TokenType[] types, int bos, int eos, int unk,
                                     boolean addBos, boolean addDummyPrefix) {
        int n = pieces.size();
        if (scores.length != n || types.length != n) {
            throw new IllegalArgumentException(n + " pieces but " + scores.length + " scores and " + types.length + " token types");
        }
        for (int id : new int[] {bos, eos, unk}) {
            if (id < -1 || id >= n) throw new IllegalArgumentException("special token id " + id + " is outside the vocabulary [0, " + n + ")");
        }
        this.pieces = pieces.toArray(String[]::new);
        this.scores = scores.clone();
        this.types = types.clone();
        this.bos = bos;
        this.eos = eos;
        this.unk = unk;
        this.addBos = addBos;
        this.addDummyPrefix = addDummyPrefix;
        this.bytes = new byte[n][];
        java.util.Arrays.fill(byteIds, -1);
        for (int i = 0; i < n; i++) {
            String p = this.pieces[i];
            int b = byteValue(p);
            if (types[i] == TokenType.BYTE && b < 0) throw new IllegalArgumentException("token " + i + " is a byte token but its piece '" + p + "' is not <0xNN>");
            if (b >= 0 && (types[i] == TokenType.BYTE || types[i] == TokenType.NORMAL) && byteIds[b] < 0) {
                byteIds[b] = i;
                this.types[i] = TokenType.BYTE;
            }
            bytes[i] = switch (this.types[i]) {
                case BYTE -> new byte[] {(byte) b};
                case CONTROL -> new byte[0];
                default -> p.getBytes(StandardCharsets.UTF_8);
            };
            if ((this.types[i] == TokenType.NORMAL || this.types[i] == TokenType.USER_DEFINED) && !p.isEmpty()) ids.putIfAbsent(p, i);
        }
    }

    /** From SentencePiece's own pieces (U+2581 for a space), as GGUF stores them. */
    public static SentencePieceBpeTokenizer fromSentencePiece(List<String> pieces, float[] scores, TokenType[] types, int bos, int eos, int unk,
                                                              boolean addBos, boolean addDummyPrefix) {
        return new SentencePieceBpeTokenizer(pieces.stream().map(p -> p.replace('\u2581', ' ')).toList(), scores, types, bos, eos, unk, addBos, addDummyPrefix);
    }

    // <0xNN> → NN, else -1.
    private static int byteValue(String p) {
        if (p.length() != 6 || !p.startsWith("<0x") || p.charAt(5) != '>') return -1;
        int hi = Character.digit(p.charAt(3), 16), lo = Character.digit(p.charAt(4), 16);
        return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
    }

    @Override public int vocabSize() { return pieces.length; }

    public int bosId() { return bos; }

    public int eosId() { return eos; }

    /** The id of {@code <unk>}, or -1. */
    public int unkId() { return unk; }

    /** Whether {@link #encode(String)} starts with BOS. */
    public boolean addsBos() { return addBos; }

    /** Whether a space is put in front of the text (SentencePiece's add_dummy_prefix). */
    public boolean addsDummyPrefix() { return addDummyPrefix; }

    public String piece(int id) { return pieces[check(id)]; }

    public float score(int id) { return scores[check(id)]; }

    public TokenType type(int id) { return types[check(id)]; }

    // NOTE: no @Override yet: main's Tokenizer gains a default isSpecial(int) (8ffd517), which this overrides once merged.
    /** Control tokens (BOS, EOS, padding) are special; decode already leaves them out. */
    public boolean isSpecial(int id) { return types[check(id)] == TokenType.CONTROL; }

    /** Encodes text, starting with BOS when this tokenizer adds one (llama2.c and Llama GGUFs do). */
    @Override
    public int[] encode(String text) {
        return encode(text, addBos);
    }

    // A run of adjacent symbols, as a linked list over the text: text[start, start + len).
    private record Pair(int left, int right, float score, int len) {}

    public int[] encode(String text, boolean withBos) {
        String s = addDummyPrefix && !text.isEmpty() ? " " + text : text;
        // Symbols are code points; start/len index s, prev/next link the survivors.
        int n = s.codePointCount(0, s.length());
        int[] start = new int[n], len = new int[n], prev = new int[n], next = new int[n];
        for (int i = 0, at = 0; i < n; i++) {
            start[i] = at;
            len[i] = Character.charCount(s.codePointAt(at));
            at += len[i];
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        // Highest score first, then the leftmost: llama2.c's scan and llama.cpp's queue agree.
        PriorityQueue<Pair> queue = new PriorityQueue<>((a, b) -> a.score != b.score ? Float.compare(b.score, a.score) : Integer.compare(a.left, b.left));
        for (int i = 0; i + 1 < n; i++) offer(queue, s, start, len, i, i + 1);
        while (!queue.isEmpty()) {
            Pair p = queue.poll();
            // Stale when either side has merged since the pair was queued.
            if (len[p.left] == 0 || len[p.right] == 0 || len[p.left] + len[p.right] != p.len || next[p.left] != p.right) continue;
            len[p.left] += len[p.right];
            len[p.right] = 0;
            next[p.left] = next[p.right];
            if (next[p.left] >= 0) prev[next[p.left]] = p.left;
            if (prev[p.left] >= 0) offer(queue, s, start, len, prev[p.left], p.left);
            if (next[p.left] >= 0) offer(queue, s, start, len, p.left, next[p.left]);
        }
        int[] out = new int[s.length() * 4 + 1];
        int k = 0;
        if (withBos && bos >= 0) out[k++] = bos;
        for (int i = n == 0 ? -1 : 0; i >= 0; i = next[i]) {
            String sym = s.substring(start[i], start[i] + len[i]);
            Integer id = ids.get(sym);
            if (id != null) {
                out[k++] = id;
                continue;
            }
            for (byte b : sym.getBytes(StandardCharsets.UTF_8)) {
                int bid = byteIds[b & 0xFF];
                if (bid < 0 && unk < 0) throw new IllegalArgumentException("character '" + sym + "' is not in the vocabulary, which has neither byte tokens nor <unk>");
                out[k++] = bid >= 0 ? bid : unk;
                if (bid < 0) break;  // one <unk> per character, as SentencePiece
            }
        }
        return java.util.Arrays.copyOf(out, k);
    }

    private void offer(PriorityQueue<Pair> queue, String s, int[] start, int[] len, int left, int right) {
        Integer id = ids.get(s.substring(start[left], start[right] + len[right]));
        if (id != null) queue.add(new Pair(left, right, scores[id], len[left] + len[right]));
    }

    /**
     * The bytes id contributes after prev (-1 at the start): byte tokens are raw bytes, control
     * tokens nothing, and the first piece after BOS loses its leading space (the dummy prefix), as
     * llama2.c's decode does.
     */
    public byte[] tokenBytes(int prev, int id) {
        byte[] b = bytes[check(id)];
        if (prev == bos && bos >= 0 && types[id] != TokenType.BYTE && b.length > 0 && b[0] == ' ') return java.util.Arrays.copyOfRange(b, 1, b.length);
        return b;
    }

    @Override
    public String decode(int[] ids) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int prev = -1;
        for (int id : ids) {
            out.writeBytes(tokenBytes(prev, id));
            prev = id;
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    @Override
    public String decodeToken(int id) {
        return new String(bytes[check(id)], StandardCharsets.UTF_8);
    }

    private int check(int id) {
        if (id < 0 || id >= pieces.length) throw new IllegalArgumentException("token id " + id + " is outside the vocabulary [0, " + pieces.length + ")");
        return id;
    }

    /** llm4j's own JSON form: pieces (with plain spaces), scores, types and the special ids. */
    @Override
    public String toJson() {
        ObjectNode n = Json.object();
        n.put("type", "sentencepiece-bpe");
        n.put("bos_id", bos);
        n.put("eos_id", eos);
        n.put("unk_id", unk);
        n.put("add_bos", addBos);
        n.put("add_dummy_prefix", addDummyPrefix);
        ArrayNode p = n.putArray("pieces"), sc = n.putArray("scores"), ty = n.putArray("types");
        for (int i = 0; i < pieces.length; i++) {
            p.add(pieces[i]);
            sc.add(scores[i]);
            ty.add(types[i].name());
        }
        return n.toString();
    }

    static SentencePieceBpeTokenizer fromJson(JsonNode n, String origin) {
        JsonNode p = n.path("pieces"), sc = n.path("scores"), ty = n.path("types");
        if (!p.isArray() || !sc.isArray() || !ty.isArray() || p.size() != sc.size() || p.size() != ty.size()) {
            throw new IllegalArgumentException(origin + ": a sentencepiece-bpe tokenizer needs arrays pieces, scores and types of equal length");
        }
        List<String> pieces = new java.util.ArrayList<>(p.size());
        float[] scores = new float[p.size()];
        TokenType[] types = new TokenType[p.size()];
        for (int i = 0; i < p.size(); i++) {
            pieces.add(p.get(i).asText());
            scores[i] = (float) sc.get(i).asDouble();
            try {
                types[i] = TokenType.valueOf(ty.get(i).asText());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(origin + ": types[" + i + "] is '" + ty.get(i).asText() + "', not a token type");
            }
        }
        return new SentencePieceBpeTokenizer(pieces, scores, types, n.path("bos_id").asInt(-1), n.path("eos_id").asInt(-1),
                n.path("unk_id").asInt(-1), n.path("add_bos").asBoolean(true), n.path("add_dummy_prefix").asBoolean(true));
    }
}
