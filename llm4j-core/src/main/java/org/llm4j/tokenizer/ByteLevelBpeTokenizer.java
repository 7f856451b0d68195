// Byte-level BPE as in GPT-2 (Radford et al. 2019, encoder.py): pre-tokenize with GPT-2's pattern
// (or Llama 3's, Qwen2's), UTF-8 encode each piece, then merge adjacent byte tokens by rank.
package org.llm4j.tokenizer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.llm4j.io.AtomicFiles;

public final class ByteLevelBpeTokenizer implements Tokenizer {
    // Pair table: open addressing on key (left << 32 | right); the value packs (rank << 32 | merged
    // id), so the smallest value is the pair to merge first (ranks are unique). NONE sorts last.
    private static final long EMPTY = -1L;
    private static final long NONE = Long.MAX_VALUE;
    // Pieces up to this many chars are cached; longer ones (rare: long runs of one class) are not.
    private static final int MAX_CACHED_CHARS = 48;
    private static final int CACHE_BITS = 16;
    // Above this many bytes a piece merges with a heap, O(n log n), instead of the O(n^2) scan
    // that is faster for short words; a hostile megabyte-long word must not take hours.
    private static final int LINEAR_MAX_BYTES = 128;

    private final String[] vocab;          // id → token as written in the files (byte-level string, or a special's text)
    private final byte[][] tokenBytes;     // id → the raw bytes it stands for
    private final int[] byteToId = new int[256];
    private final int[] mergeLeft, mergeRight, mergeResult;   // rank → pair of ids and the merged id, for saving
    private final long[] pairKeys, pairVals;
    private final int pairShift;
    private final String[] specialText;    // special tokens recognised in text by encode()
    private final int[] specialIds;
    private final boolean[] isSpecial;
    private final boolean addPrefixSpace;  // Hugging Face ByteLevel option: " " before each text segment
    private final boolean ignoreMerges;    // Hugging Face BPE option: a piece in the vocabulary is one token
    private volatile Map<String, Integer> idsByToken;   // built on first use: a cold start never needs it
    private final ByteLevelPreTokenizer pre;
    private final int bos, eos;            // -1 when unknown; set from GGUF metadata
    private final boolean addBos;          // encode() starts with bos (GGUF tokenizer.ggml.add_bos_token)

    // A direct-mapped cache of piece → ids. Entries are immutable and published by a racy array
    // store, which final fields make safe: threads may share a tokenizer and at worst recompute.
    private final Entry[] cache = new Entry[1 << CACHE_BITS];

    private record Entry(String piece, int hash, int[] ids) {}

    // Arguments are already validated by BpeFiles.assemble, which names the file for each error.
    ByteLevelBpeTokenizer(String[] vocab, byte[][] tokenBytes, boolean[] isSpecial, int[] mergeLeft, int[] mergeRight,
                          int[] mergeResult, boolean addPrefixSpace, boolean ignoreMerges) {
        this.vocab = vocab;
        this.tokenBytes = tokenBytes;
        this.isSpecial = isSpecial;
        this.mergeLeft = mergeLeft;
        this.mergeRight = mergeRight;
        this.mergeResult = mergeResult;
        this.addPrefixSpace = addPrefixSpace;
        this.ignoreMerges = ignoreMerges;
        this.pre = ByteLevelPreTokenizer.GPT2;
        this.bos = -1;
        this.eos = -1;
        this.addBos = false;
        // The lowest id whose token is the byte's one character (all 256 are checked by BpeFiles).
        Arrays.fill(byteToId, -1);
        for (int id = vocab.length - 1; id >= 0; id--) {
            if (vocab[id].length() != 1) continue;
            byte[] b = ByteLevel.toBytes(vocab[id]);
            if (b != null) byteToId[b[0] & 0xFF] = id;
        }
        int bits = 32 - Integer.numberOfLeadingZeros(Math.max(1, mergeLeft.length) * 2 - 1) + 1;   // load ≤ 1/2
        pairShift = 64 - bits;
        pairKeys = new long[1 << bits];
        pairVals = new long[1 << bits];
        Arrays.fill(pairKeys, EMPTY);
        for (int rank = 0; rank < mergeLeft.length; rank++) {
            long key = pairKey(mergeLeft[rank], mergeRight[rank]);
            int slot = slot(key);
            while (pairKeys[slot] != EMPTY && pairKeys[slot] != key) slot = (slot + 1) & (pairKeys.length - 1);
            // NOTE: a pair listed twice keeps its last rank, as Hugging Face's merge map does.
            pairKeys[slot] = key;
            pairVals[slot] = ((long) rank << 32) | mergeResult[rank];
        }
        int n = 0;
        for (boolean s : isSpecial) if (s) n++;
        specialText = new String[n];
        specialIds = new int[n];
        for (int id = 0, k = 0; id < vocab.length; id++) {
            if (isSpecial[id]) {
                specialText[k] = vocab[id];
                specialIds[k++] = id;
            }
        }
    }

    private Map<String, Integer> idsByToken() {
        Map<String, Integer> m = idsByToken;
        if (m == null) {
            m = new HashMap<>(vocab.length * 2);
            for (int id = 0; id < vocab.length; id++) m.putIfAbsent(vocab[id], id);
            idsByToken = m;   // racy but safe: every thread builds the same map, published whole by the volatile write
        }
        return m;
    }

    // The same tables with other options; nothing is rebuilt.
    private ByteLevelBpeTokenizer(ByteLevelBpeTokenizer o, ByteLevelPreTokenizer pre, int bos, int eos, boolean addBos) {
        vocab = o.vocab; tokenBytes = o.tokenBytes; mergeLeft = o.mergeLeft; mergeRight = o.mergeRight; mergeResult = o.mergeResult;
        pairKeys = o.pairKeys; pairVals = o.pairVals; pairShift = o.pairShift; specialText = o.specialText;
        specialIds = o.specialIds; isSpecial = o.isSpecial; addPrefixSpace = o.addPrefixSpace; ignoreMerges = o.ignoreMerges;
        idsByToken = o.idsByToken;
        System.arraycopy(o.byteToId, 0, byteToId, 0, 256);
        for (int id : new int[] {bos, eos}) {
            if (id < -1 || id >= vocab.length) throw new IllegalArgumentException("special token id " + id + " is outside the vocabulary [0, " + vocab.length + ")");
        }
        if (addBos && bos < 0) throw new IllegalArgumentException("add_bos needs a BOS token");
        this.pre = java.util.Objects.requireNonNull(pre);
        this.bos = bos;
        this.eos = eos;
        this.addBos = addBos;
    }

    /** This vocabulary and merges with another pre-tokenizer (Llama 3's, Qwen2's). */
    public ByteLevelBpeTokenizer withPreTokenizer(ByteLevelPreTokenizer p) {
        return new ByteLevelBpeTokenizer(this, p, bos, eos, addBos);
    }

    /** With BOS and EOS ids (-1: none), and whether encode() puts BOS first. */
    public ByteLevelBpeTokenizer withSpecialIds(int bos, int eos, boolean addBos) {
        return new ByteLevelBpeTokenizer(this, pre, bos, eos, addBos);
    }

    public ByteLevelPreTokenizer preTokenizer() { return pre; }

    public int bosId() { return bos; }

    public int eosId() { return eos; }

    public boolean addsBos() { return addBos; }

    /** Token id as written in vocabulary files: the byte-level string, or a special token's text. */
    public String vocabEntry(int id) { return vocab[id]; }

    /** The merges in rank order, "left right" as GGUF's tokenizer.ggml.merges and merges.txt spell them. */
    public List<String> mergeStrings() {
        List<String> out = new java.util.ArrayList<>(mergeLeft.length);
        for (int r = 0; r < mergeLeft.length; r++) out.add(vocab[mergeLeft[r]] + " " + vocab[mergeRight[r]]);
        return out;
    }

    @Override
    public boolean isSpecial(int id) {
        return id >= 0 && id < isSpecial.length && isSpecial[id];
    }

    // ---- loading and saving ------------------------------------------------------------------

    /**
     * Loads GPT-2-style files from a folder or a file: tokenizer.json (Hugging Face), vocab.json +
     * merges.txt, or encoder.json + vocab.bpe (OpenAI's originals), in that order of preference.
     */
    public static ByteLevelBpeTokenizer load(Path dirOrFile) throws IOException {
        return BpeFiles.load(dirOrFile);
    }

    /** A Hugging Face tokenizer.json whose model is BPE with the ByteLevel pre-tokenizer. */
    public static ByteLevelBpeTokenizer fromHuggingFace(Path tokenizerJson) throws IOException {
        return BpeFiles.readHuggingFace(tokenizerJson);
    }

    /** vocab.json + merges.txt, or the same formats under GPT-2's names encoder.json + vocab.bpe. */
    public static ByteLevelBpeTokenizer fromVocabAndMerges(Path vocabJson, Path mergesTxt) throws IOException {
        return BpeFiles.readVocabAndMerges(vocabJson, mergesTxt);
    }

    /**
     * From memory, for a trained vocabulary: tokens in id order (byte-level strings, see ByteLevel;
     * special tokens as their text), merges in rank order as "left right", and which tokens are special.
     */
    public static ByteLevelBpeTokenizer of(List<String> vocab, List<String> merges, List<String> specialTokens) {
        return BpeFiles.fromLists(vocab, merges, specialTokens);
    }

    /** Writes a Hugging Face tokenizer.json, atomically. */
    public void save(Path tokenizerJson) throws IOException {
        AtomicFiles.writeString(tokenizerJson, toJson());
    }

    @Override public String toJson() {
        return BpeFiles.toHuggingFaceJson(this);
    }

    // Read by BpeFiles when saving.
    String token(int id) { return vocab[id]; }
    boolean special(int id) { return isSpecial[id]; }
    int mergeCount() { return mergeLeft.length; }
    int mergeLeft(int rank) { return mergeLeft[rank]; }
    int mergeRight(int rank) { return mergeRight[rank]; }
    int mergeResult(int rank) { return mergeResult[rank]; }
    boolean addPrefixSpace() { return addPrefixSpace; }
    boolean ignoreMerges() { return ignoreMerges; }

    // ---- queries ---------------------------------------------------------------------------------

    @Override public int vocabSize() { return vocab.length; }

    /** Special tokens (text → id), e.g. {@code <|endoftext|>} → 50256 for GPT-2. */
    public Map<String, Integer> specialTokens() {
        Map<String, Integer> m = new LinkedHashMap<>();
        for (int k = 0; k < specialText.length; k++) m.put(specialText[k], specialIds[k]);
        return Collections.unmodifiableMap(m);
    }

    /** The id of a token as written in the vocabulary file ("Ġthe", "<|endoftext|>"), or -1. */
    public int tokenId(String token) {
        Integer id = idsByToken().get(token);
        return id == null ? -1 : id;
    }

    // ---- encoding -------------------------------------------------------------------------------

    /** Special tokens in the text become their ids, as Hugging Face's tokenizer does. */
    @Override public int[] encode(String text) {
        return encode(text, true);
    }

    /** Every character is ordinary text: "<|endoftext|>" becomes 7 tokens (tiktoken's encode_ordinary). */
    public int[] encodeOrdinary(String text) {
        return encode(text, false);
    }

    private int[] encode(String text, boolean allowSpecial) {
        IntList out = new IntList(text.length() / 3 + 16);
        if (addBos && allowSpecial) out.add(bos);
        int len = text.length();
        if (!allowSpecial || specialText.length == 0) {
            encodeSegment(text, 0, len, out);
            return out.toArray();
        }
        // Hugging Face splits on added tokens first (leftmost, then longest), then pre-tokenizes
        // each segment between them on its own: the pattern never looks across a special token.
        int[] nextAt = new int[specialText.length];
        Arrays.fill(nextAt, Integer.MIN_VALUE);
        int pos = 0;
        while (pos <= len) {
            int best = -1, bestAt = len;
            for (int k = 0; k < specialText.length; k++) {
                if (nextAt[k] != -1 && nextAt[k] < pos) nextAt[k] = text.indexOf(specialText[k], pos);
                int at = nextAt[k];
                if (at >= 0 && (at < bestAt || (at == bestAt && best >= 0 && specialText[k].length() > specialText[best].length()))) {
                    best = k;
                    bestAt = at;
                }
            }
            encodeSegment(text, pos, bestAt, out);
            if (best < 0) break;
            out.add(specialIds[best]);
            pos = bestAt + specialText[best].length();
        }
        return out.toArray();
    }

    private void encodeSegment(String text, int from, int to, IntList out) {
        if (from >= to) return;
        if (addPrefixSpace && text.charAt(from) != ' ') {
            text = " " + text.substring(from, to);
            from = 0;
            to = text.length();
        }
        if (pre == ByteLevelPreTokenizer.GPT2) {   // the hot path, without a lambda
            for (int i = from; i < to; ) {
                int e = Gpt2PreTokenizer.next(text, i, to);
                encodePiece(text, i, e, out);
                i = e;
            }
            return;
        }
        String t = text;
        pre.split(t, from, to, (s, e) -> encodePiece(t, s, e, out));
    }

    private void encodePiece(String s, int from, int to, IntList out) {
        int len = to - from;
        char c0 = s.charAt(from);
        if (len == 1 && c0 < 128) {   // one byte: nothing to merge
            out.add(byteToId[c0]);
            return;
        }
        if (len > MAX_CACHED_CHARS) {
            out.addAll(bpe(s, from, to));
            return;
        }
        int h = 0;
        for (int i = from; i < to; i++) h = 31 * h + s.charAt(i);
        int slot = (h * 0x9E3779B9) >>> (32 - CACHE_BITS);
        Entry e = cache[slot];
        if (e != null && e.hash == h && e.piece.length() == len && s.regionMatches(from, e.piece, 0, len)) {
            out.addAll(e.ids);
            return;
        }
        int[] ids = bpe(s, from, to);
        cache[slot] = new Entry(s.substring(from, to), h, ids);
        out.addAll(ids);
    }

    // The ids of one piece: its UTF-8 bytes as byte tokens, then merges by rank until none applies.
    private int[] bpe(String s, int from, int to) {
        byte[] bytes = utf8(s, from, to);
        int n = bytes.length;
        if (ignoreMerges) {
            Integer whole = idsByToken().get(ByteLevel.toUnicode(bytes));
            if (whole != null && !isSpecial[whole]) return new int[] {whole};
        }
        int[] sym = new int[n];
        for (int i = 0; i < n; i++) sym[i] = byteToId[bytes[i] & 0xFF];
        return n <= LINEAR_MAX_BYTES ? mergeLinear(sym) : mergeHeap(sym);
    }

    // Scan for the lowest-ranked adjacent pair, merge it, update its two neighbours' pairs; the
    // leftmost pair wins a tie, as in GPT-2's encoder.py and Hugging Face's Word::merge_all.
    private int[] mergeLinear(int[] sym) {
        int m = sym.length;
        long[] pv = new long[m];   // pv[k]: value of pair (sym[k], sym[k+1])
        for (int k = 0; k + 1 < m; k++) pv[k] = pair(sym[k], sym[k + 1]);
        while (m > 1) {
            long best = NONE;
            int bi = -1;
            for (int k = 0; k + 1 < m; k++) {
                if (pv[k] < best) {
                    best = pv[k];
                    bi = k;
                }
            }
            if (bi < 0) break;
            sym[bi] = (int) best;
            System.arraycopy(sym, bi + 2, sym, bi + 1, m - bi - 2);
            System.arraycopy(pv, bi + 2, pv, bi + 1, m - bi - 2);
            m--;
            if (bi > 0) pv[bi - 1] = pair(sym[bi - 1], sym[bi]);
            if (bi + 1 < m) pv[bi] = pair(sym[bi], sym[bi + 1]);
        }
        return m == sym.length ? sym : Arrays.copyOf(sym, m);
    }

    // The same merges with a linked list and a min-heap of (rank << 32 | position); an entry is
    // stale when its left symbol was merged away or its pair changed, which the rank check finds.
    private int[] mergeHeap(int[] sym) {
        int n = sym.length;
        int[] next = new int[n], prev = new int[n];
        for (int i = 0; i < n; i++) {
            next[i] = i + 1;
            prev[i] = i - 1;
        }
        LongHeap heap = new LongHeap(n);
        for (int i = 0; i + 1 < n; i++) {
            long v = pair(sym[i], sym[i + 1]);
            if (v != NONE) heap.push((v & 0xFFFFFFFF00000000L) | i);
        }
        int live = n;
        while (heap.size() > 0) {
            long top = heap.pop();
            int pos = (int) top;
            int rank = (int) (top >>> 32);
            if (sym[pos] < 0 || next[pos] >= n) continue;
            int r = next[pos];
            long v = pair(sym[pos], sym[r]);
            if (v == NONE || (int) (v >>> 32) != rank) continue;
            sym[pos] = (int) v;
            sym[r] = -1;
            next[pos] = next[r];
            if (next[r] < n) prev[next[r]] = pos;
            live--;
            if (prev[pos] >= 0) {
                long pl = pair(sym[prev[pos]], sym[pos]);
                if (pl != NONE) heap.push((pl & 0xFFFFFFFF00000000L) | prev[pos]);
            }
            if (next[pos] < n) {
                long pr = pair(sym[pos], sym[next[pos]]);
                if (pr != NONE) heap.push((pr & 0xFFFFFFFF00000000L) | pos);
            }
        }
        int[] out = new int[live];
        for (int i = 0, k = 0; i < n; i = next[i]) out[k++] = sym[i];
        return out;
    }

    private long pair(int left, int right) {
        long key = pairKey(left, right);
        int mask = pairKeys.length - 1;
        for (int slot = slot(key); ; slot = (slot + 1) & mask) {
            long k = pairKeys[slot];
            if (k == key) return pairVals[slot];
            if (k == EMPTY) return NONE;
        }
    }

    private static long pairKey(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFFFFFFL);
    }

    private int slot(long key) {
        return (int) ((key * 0x9E3779B97F4A7C15L) >>> pairShift);
    }

    // UTF-8 of s[from, to). NOTE: a lone surrogate has no UTF-8 form; it becomes U+FFFD (EF BF BD),
    // as String.getBytes would make it '?'. Valid text round-trips exactly.
    static byte[] utf8(String s, int from, int to) {
        int n = to - from;
        boolean ascii = true;
        for (int i = from; i < to && ascii; i++) ascii = s.charAt(i) < 128;
        if (ascii) {
            byte[] b = new byte[n];
            for (int i = 0; i < n; i++) b[i] = (byte) s.charAt(from + i);
            return b;
        }
        byte[] b = new byte[n * 3];
        int k = 0;
        for (int i = from; i < to; ) {
            int cp = Gpt2PreTokenizer.codePointAt(s, i, to);
            i += Character.charCount(cp);
            if (Character.isSurrogate((char) cp) && cp < 0x10000) cp = 0xFFFD;
            if (cp < 0x80) {
                b[k++] = (byte) cp;
            } else if (cp < 0x800) {
                b[k++] = (byte) (0xC0 | cp >> 6);
                b[k++] = (byte) (0x80 | cp & 0x3F);
            } else if (cp < 0x10000) {
                b[k++] = (byte) (0xE0 | cp >> 12);
                b[k++] = (byte) (0x80 | cp >> 6 & 0x3F);
                b[k++] = (byte) (0x80 | cp & 0x3F);
            } else {
                b[k++] = (byte) (0xF0 | cp >> 18);
                b[k++] = (byte) (0x80 | cp >> 12 & 0x3F);
                b[k++] = (byte) (0x80 | cp >> 6 & 0x3F);
                b[k++] = (byte) (0x80 | cp & 0x3F);
            }
        }
        return Arrays.copyOf(b, k);
    }

    // ---- decoding -------------------------------------------------------------------------------

    /** The raw bytes of a sequence of ids; special tokens give their text. */
    public byte[] decodeBytes(int[] ids) {
        int n = 0;
        for (int id : ids) n += tokenBytes[check(id)].length;
        byte[] out = new byte[n];
        int k = 0;
        for (int id : ids) {
            byte[] b = tokenBytes[id];
            System.arraycopy(b, 0, out, k, b.length);
            k += b.length;
        }
        return out;
    }

    /** UTF-8 of the bytes; a sequence cut inside a character shows U+FFFD, as Hugging Face's errors="replace". */
    @Override public String decode(int[] ids) {
        return new String(decodeBytes(ids), StandardCharsets.UTF_8);
    }

    /** The bytes of one token: a token may hold part of a character (GPT-2 splits emoji). */
    public byte[] tokenBytes(int id) {
        return tokenBytes[check(id)].clone();
    }

    /** One token as text; use streamDecoder() to print tokens as they come without broken characters. */
    @Override public String decodeToken(int id) {
        return new String(tokenBytes[check(id)], StandardCharsets.UTF_8);
    }

    /** The raw bytes of one id, not copied: for {@link StreamDecoder} only, which never writes to them. */
    byte[] rawTokenBytes(int id) {
        return tokenBytes[check(id)];
    }

    // How many bytes at the end of b[0, n) start a UTF-8 character that needs more bytes (0..3).
    // Only a valid prefix is held back; anything else is emitted and shows as U+FFFD.
    static int incompleteTail(byte[] b, int n) {
        for (int back = 1; back <= 3 && back <= n; back++) {
            int x = b[n - back] & 0xFF;
            if ((x & 0xC0) == 0x80) continue;   // continuation byte: look further back
            int need = x >= 0xF5 ? 1 : x >= 0xF0 ? 4 : x >= 0xE0 ? 3 : x >= 0xC2 ? 2 : 1;   // RFC 3629 lead bytes
            return need > back ? back : 0;
        }
        return 0;
    }

    private int check(int id) {
        if (id < 0 || id >= vocab.length) throw new IllegalArgumentException("token id " + id + " is outside the vocabulary [0, " + vocab.length + ")");
        return id;
    }

    // ---- small growable primitive collections --------------------------------------------------

    private static final class IntList {
        int[] a;
        int size;

        IntList(int capacity) { a = new int[Math.max(16, capacity)]; }

        void add(int v) {
            if (size == a.length) a = Arrays.copyOf(a, a.length * 2);
            a[size++] = v;
        }

        void addAll(int[] v) {
            if (size + v.length > a.length) a = Arrays.copyOf(a, Math.max(a.length * 2, size + v.length));
            System.arraycopy(v, 0, a, size, v.length);
            size += v.length;
        }

        int[] toArray() { return Arrays.copyOf(a, size); }
    }

    private static final class LongHeap {
        long[] a;
        int size;

        LongHeap(int capacity) { a = new long[Math.max(16, capacity)]; }

        int size() { return size; }

        void push(long v) {
            if (size == a.length) a = Arrays.copyOf(a, a.length * 2);
            int i = size++;
            while (i > 0) {
                int p = (i - 1) >>> 1;
                if (a[p] <= v) break;
                a[i] = a[p];
                i = p;
            }
            a[i] = v;
        }

        long pop() {
            long top = a[0];
            long v = a[--size];
            int i = 0;
            while (true) {
                int c = 2 * i + 1;
                if (c >= size) break;
                if (c + 1 < size && a[c + 1] < a[c]) c++;
                if (v <= a[c]) break;
                a[i] = a[c];
                i = c;
            }
            a[i] = v;
            return top;
        }
    }
}
