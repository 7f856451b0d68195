// Trains a GPT-2-style byte-level BPE vocabulary on a corpus: Sennrich et al. 2016 ("Neural Machine
// Translation of Rare Words with Subword Units") over UTF-8 bytes, as GPT-2 does (Radford et al. 2019).
package org.llm4j.tokenizer;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import org.llm4j.util.Progress;

public final class BpeTrainer {
    // A counting task holds about this many chars; small enough that tiny Shakespeare (1.1 MB)
    // spreads over a few threads, large enough that merging the per-task maps stays cheap.
    static final int CHUNK_CHARS = 1 << 18;

    public record Config(
            int vocabSize,              // total, specials included; at least 256 + specialTokens.size()
            List<String> specialTokens, // appended after the learned tokens, in this order; never split by encode()
            int minFrequency,           // a pair seen fewer times is never merged (Hugging Face's min_frequency); 0 = any
            int threads,                // word-counting threads; 0 = all processors. Results do not depend on it
            boolean progress) {         // progress bars for counting and merging
        public Config {
            specialTokens = List.copyOf(specialTokens);
            int specials = specialTokens.size();
            if (vocabSize < 256 + specials)
                throw new IllegalArgumentException("vocabSize must be at least 256 (one token per byte) + " + specials
                        + " special tokens = " + (256 + specials) + ", got " + vocabSize);
            if (minFrequency < 0) throw new IllegalArgumentException("minFrequency must be >= 0, got " + minFrequency);
            if (threads < 0) throw new IllegalArgumentException("threads must be >= 0 (0 = all processors), got " + threads);
            Set<String> seen = new HashSet<>();
            for (String s : specialTokens) {
                if (s.isEmpty()) throw new IllegalArgumentException("specialTokens: a special token must not be empty");
                if (!seen.add(s)) throw new IllegalArgumentException("specialTokens: '" + s + "' appears twice");
                byte[] b = ByteLevel.toBytes(s);
                if (b != null && b.length == 1)
                    throw new IllegalArgumentException("specialTokens: '" + s + "' is the byte token of 0x" + String.format("%02X", b[0] & 0xFF));
            }
        }

        public static Config of(int vocabSize, List<String> specialTokens) {
            return new Config(vocabSize, specialTokens, 0, 0, false);
        }

        public Config withMinFrequency(int n) { return new Config(vocabSize, specialTokens, n, threads, progress); }
        public Config withThreads(int n) { return new Config(vocabSize, specialTokens, minFrequency, n, progress); }
        public Config withProgress(boolean on) { return new Config(vocabSize, specialTokens, minFrequency, threads, on); }

        int threadCount() { return threads == 0 ? Runtime.getRuntime().availableProcessors() : threads; }
    }

    private BpeTrainer() {}

    public static ByteLevelBpeTokenizer train(String text, int vocabSize, List<String> specialTokens) {
        return train(List.of(text), Config.of(vocabSize, specialTokens));
    }

    /** Where a document's text goes, piece by piece: accept(piece, false) ... accept(last, true). */
    public interface TextSink {
        void accept(String piece, boolean endOfDocument);
    }

    /**
     * A corpus that pushes its documents into a sink, in pieces if it likes: a piece may end
     * anywhere, even inside a word or a special token, and the trainer joins the pieces of a
     * document before it cuts them. So a corpus far larger than memory streams through
     * (CorpusReader.readPieces is one), and only the pre-token counts stay.
     */
    public interface Corpus {
        void feed(TextSink sink);
    }

    /**
     * Learns merges until the vocabulary holds config.vocabSize tokens, or no pair is left (or
     * frequent enough): then the vocabulary is smaller. Documents are pre-tokenized on their own,
     * so no token spans two documents. Memory grows with the distinct pre-tokens, not the corpus.
     */
    public static ByteLevelBpeTokenizer train(Iterable<String> documents, Config config) {
        Map<String, Long> words = countWords(documents, config.specialTokens(), config.threadCount(), CHUNK_CHARS, config.progress());
        return learn(words, config);
    }

    /**
     * As train(documents, config), for a corpus that streams (see Corpus). The corpus reports its
     * own reading progress (it knows the bytes and can give an ETA; CorpusReader.readPieces takes
     * a bar); config.progress adds the bar of the merges.
     */
    public static ByteLevelBpeTokenizer train(Corpus corpus, Config config) {
        Map<String, Long> words = countWords(corpus, config.specialTokens(), config.threadCount(), CHUNK_CHARS, false);
        return learn(words, config);
    }

    // ---- counting pre-tokens ---------------------------------------------------------------------

    private record Span(String s, int from, int to) {}

    static Map<String, Long> countWords(Iterable<String> documents, List<String> specials, int threads, int chunkChars, boolean progress) {
        return countWords(sink -> {
            for (String d : documents) sink.accept(d, true);
        }, specials, threads, chunkChars, progress);
    }

    // Pre-token (as text) → how often it occurs. Text is cut at special tokens first, as encode()
    // does, then into chunks that are counted in parallel and summed: the sums do not depend on
    // the chunking, the pieces a corpus arrives in or the thread count, because each cut is at a
    // pre-token boundary that no special token spans (see safeCut and Joiner).
    static Map<String, Long> countWords(Corpus corpus, List<String> specials, int threads, int chunkChars, boolean progress) {
        // Each counting thread adds into its own map, so the thread that reads the corpus never
        // merges counts (it did, and it was the bottleneck); the maps are summed at the end. Each
        // holds at most the distinct pre-tokens, so memory stays proportional to them.
        List<PieceCounter> perThread = Collections.synchronizedList(new ArrayList<>());
        ThreadLocal<PieceCounter> local = ThreadLocal.withInitial(() -> {
            PieceCounter m = new PieceCounter();
            perThread.add(m);
            return m;
        });
        ArrayDeque<Future<?>> inFlight = new ArrayDeque<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
                 Thread t = new Thread(r, "bpe-count");
                 t.setDaemon(true);
                 return t;
             });
             Progress bar = progress ? Progress.start("BPE count", -1, "chars") : null) {
            List<Span> batch = new ArrayList<>();
            long[] batchChars = {0};
            Consumer<Span> add = span -> {
                batch.add(span);
                batchChars[0] += span.to - span.from;
                if (batchChars[0] >= chunkChars) {
                    // Bounded work in flight: at most 2 tasks per thread are queued, so memory
                    // does not grow with a long stream of documents.
                    if (inFlight.size() >= 2 * threads) await(inFlight.removeFirst());
                    List<Span> work = List.copyOf(batch);
                    inFlight.addLast(pool.submit(() -> countSpans(work, local.get())));
                    if (bar != null) bar.step(batchChars[0]);
                    batch.clear();
                    batchChars[0] = 0;
                }
            };
            Consumer<String> document = doc -> splitAtSpecials(doc, specials, (from, to) -> splitChunks(doc, from, to, chunkChars, add));
            corpus.feed(new Joiner(specials, chunkChars, document));
            if (!batch.isEmpty()) {
                List<Span> work = List.copyOf(batch);
                inFlight.addLast(pool.submit(() -> countSpans(work, local.get())));
                if (bar != null) bar.step(batchChars[0]);
            }
            while (!inFlight.isEmpty()) await(inFlight.removeFirst());
        }
        // The largest map becomes the total; the others are added into it.
        perThread.sort(Comparator.comparingInt(PieceCounter::size).reversed());
        if (perThread.isEmpty()) return new HashMap<>();
        PieceCounter first = perThread.get(0);
        for (int i = 1; i < perThread.size(); i++) first.addAll(perThread.get(i));
        Map<String, Long> total = HashMap.newHashMap(first.size());
        first.putAllInto(total);
        return total;
    }

    private static void await(Future<?> f) {
        try {
            f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while counting words", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("counting words failed", e.getCause());
        }
    }

    private static void countSpans(List<Span> spans, PieceCounter counts) {
        for (Span sp : spans) {
            for (int i = sp.from; i < sp.to; ) {
                int e = Gpt2PreTokenizer.next(sp.s, i, sp.to);
                counts.add(sp.s, i, e);
                i = e;
            }
        }
    }

    // Joins the pieces of a document and hands on its longest prefix that ends at a safe cut
    // once chunkChars have gathered, so a document of any length is held only a chunk at a time.
    // The prefix and the rest give the pieces and special tokens of the whole: the cut is a safe
    // cut (see safeCut), no special token covers it, and none can still be growing across it,
    // because at least the longest special's length follows it in the buffer.
    private static final class Joiner implements TextSink {
        private final List<String> specials;
        private final int chunkChars, maxSpecial;
        private final Consumer<String> document;
        private final StringBuilder carry = new StringBuilder();
        private int triedAt;    // carry length at the last failed search for a cut

        Joiner(List<String> specials, int chunkChars, Consumer<String> document) {
            this.specials = specials;
            this.chunkChars = chunkChars;
            this.document = document;
            this.maxSpecial = specials.stream().mapToInt(String::length).max().orElse(0);
        }

        @Override
        public void accept(String piece, boolean end) {
            if (carry.isEmpty() && end) {
                document.accept(piece);
                return;
            }
            carry.append(piece);
            if (end) {
                String doc = carry.toString();
                carry.setLength(0);
                triedAt = 0;
                document.accept(doc);
                return;
            }
            if (carry.length() < chunkChars || carry.length() - triedAt < chunkChars / 2) return;
            int p = lastCut();
            if (p <= 0) {
                triedAt = carry.length();
                return;
            }
            String head = carry.substring(0, p);
            carry.delete(0, p);
            triedAt = 0;
            document.accept(head);
        }

        private int lastCut() {
            for (int p = carry.length() - maxSpecial - 2; p >= 1; p--) {
                if (carry.charAt(p) != ' ' || Gpt2PreTokenizer.isWhiteSpace(carry.charAt(p - 1)) || Gpt2PreTokenizer.isWhiteSpace(carry.charAt(p + 1))) continue;
                if (!insideSpecial(p)) return p;
            }
            return -1;
        }

        private boolean insideSpecial(int p) {
            for (String sp : specials) {
                if (sp.indexOf(' ') < 0) continue; // covering p means containing the ' ' at p
                int at = carry.indexOf(sp, Math.max(0, p - sp.length() + 1));
                if (at >= 0 && at <= p) return true;
            }
            return false;
        }
    }

    private interface Range { void accept(int from, int to); }

    // The text between special tokens, found as ByteLevelBpeTokenizer.encode finds them (leftmost,
    // then longest), so training sees the same segments that encoding will.
    private static void splitAtSpecials(String text, List<String> specials, Range out) {
        int len = text.length();
        if (specials.isEmpty()) {
            out.accept(0, len);
            return;
        }
        int[] nextAt = new int[specials.size()];
        Arrays.fill(nextAt, Integer.MIN_VALUE);
        int pos = 0;
        while (pos <= len) {
            int best = -1, bestAt = len;
            for (int k = 0; k < nextAt.length; k++) {
                if (nextAt[k] != -1 && nextAt[k] < pos) nextAt[k] = text.indexOf(specials.get(k), pos);
                int at = nextAt[k];
                if (at >= 0 && (at < bestAt || (at == bestAt && best >= 0 && specials.get(k).length() > specials.get(best).length()))) {
                    best = k;
                    bestAt = at;
                }
            }
            if (bestAt > pos) out.accept(pos, bestAt);
            if (best < 0) break;
            pos = bestAt + specials.get(best).length();
        }
    }

    private static void splitChunks(String s, int from, int to, int chunkChars, Consumer<Span> out) {
        int start = from;
        while (to - start > chunkChars) {
            int p = safeCut(s, start + chunkChars, to);
            if (p < 0) break;
            out.accept(new Span(s, start, p));
            start = p;
        }
        out.accept(new Span(s, start, to));
    }

    // The first p >= at where a ' ' sits between two non-white-space characters. GPT-2's scanner
    // ends a piece there whatever the text around it (runs stop at the space, contractions are at
    // most 3 chars and "' " is none) and starts " word" at p, reading only forward: so scanning
    // [.., p) and [p, ..) apart gives the same pieces as scanning them together. -1 if none.
    static int safeCut(String s, int at, int to) {
        for (int p = Math.max(at, 1); p + 1 < to; p++) {
            if (s.charAt(p) == ' ' && !Gpt2PreTokenizer.isWhiteSpace(s.charAt(p - 1)) && !Gpt2PreTokenizer.isWhiteSpace(s.charAt(p + 1))) return p;
        }
        return -1;
    }

    // ---- learning merges ---------------------------------------------------------------------------

    // One adjacent pair of tokens: how often it occurs (weighted by word counts) and which word
    // types contain it. The word list may hold words that no longer contain the pair, and
    // duplicates; merge() checks each word, which is cheaper than keeping an exact set.
    private static final class Pair {
        final int left, right;
        long count;
        int[] words = new int[4];
        int nWords;
        int changedAt = -1;   // the merge step that last changed count, to list each pair once per step

        Pair(int left, int right) {
            this.left = left;
            this.right = right;
        }

        void addWord(int w) {
            if (nWords > 0 && words[nWords - 1] == w) return;
            if (nWords == words.length) words = Arrays.copyOf(words, nWords * 2);
            words[nWords++] = w;
        }
    }

    // A heap entry: the pair's count when it was pushed. Stale when the count has changed since
    // (lazy deletion); every change pushes a fresh entry, so the live count is always in the heap.
    private record Candidate(long count, Pair pair) {}

    private static final class Learner {
        final List<String> tokens = new ArrayList<>();      // id → byte-level string
        final List<byte[]> bytes = new ArrayList<>();       // id → raw bytes
        final Map<String, Integer> ids = new HashMap<>();
        final Map<Long, Pair> pairs = new HashMap<>();
        final List<String> merges = new ArrayList<>();
        final List<Pair> changed = new ArrayList<>();
        final PriorityQueue<Candidate> heap;
        int[][] sym;    // word → its tokens, sym[w][0 .. len[w])
        int[] len;
        long[] count;   // word → occurrences in the corpus
        int[] seenAt;   // word → the merge step that last rewrote it
        int step;

        Learner() {
            // Highest count first; a tie goes to the pair whose (left bytes, right bytes) is
            // smallest, compared as unsigned byte strings, so training is reproducible. (Hugging
            // Face breaks ties by ids, which depend on its alphabet order.)
            heap = new PriorityQueue<>(Comparator.comparingLong((Candidate c) -> -c.count)
                    .thenComparing((x, y) -> Arrays.compareUnsigned(bytes.get(x.pair.left), bytes.get(y.pair.left)))
                    .thenComparing((x, y) -> Arrays.compareUnsigned(bytes.get(x.pair.right), bytes.get(y.pair.right))));
        }

        int addToken(byte[] b) {
            String s = ByteLevel.toUnicode(b);
            Integer id = ids.get(s);
            if (id != null) return id;
            tokens.add(s);
            bytes.add(b);
            ids.put(s, tokens.size() - 1);
            return tokens.size() - 1;
        }

        // count += delta for (l, r); w gains the pair when delta > 0.
        void add(int l, int r, long delta, int w) {
            long key = ((long) l << 32) | r;
            Pair p = pairs.get(key);
            if (p == null) pairs.put(key, p = new Pair(l, r));
            p.count += delta;
            if (delta > 0) p.addWord(w);
            if (p.changedAt != step) {
                p.changedAt = step;
                changed.add(p);
            }
        }

        // Replaces every (a, b) in word w by z, left to right without overlaps (so "a a a" with
        // (a, a) becomes "aa a"), and moves the counts of the neighbouring pairs: (x, a) → (x, z)
        // and (b, y) → (z, y). The pair (a, b) itself is dropped by the caller.
        void rewrite(int w, int a, int b, int z) {
            int[] s = sym[w];
            int n = len[w];
            long c = count[w];
            int o = 0;
            for (int r = 0; r < n; ) {
                if (r + 1 < n && s[r] == a && s[r + 1] == b) {
                    if (o > 0) {
                        // s[o-1] may be a z just written: (z, a) was then counted by the previous
                        // match as its right neighbour, and is taken back here.
                        if (!(s[o - 1] == a && a == b)) add(s[o - 1], a, -c, w);
                        add(s[o - 1], z, c, w);
                    }
                    if (r + 2 < n) {
                        if (!(s[r + 2] == b && a == b)) add(b, s[r + 2], -c, w);
                        add(z, s[r + 2], c, w);
                    }
                    s[o++] = z;
                    r += 2;
                } else {
                    s[o++] = s[r++];
                }
            }
            len[w] = o;
        }
    }

    private static ByteLevelBpeTokenizer learn(Map<String, Long> wordCounts, Config config) {
        Learner L = new Learner();
        // The 256 byte tokens in GPT-2's order: ids follow the byte-level characters, so '!' is 0,
        // 'Ġ' (space) is 220 and 'Ā' (byte 0) is 188, as in GPT-2's encoder.json.
        Integer[] order = new Integer[256];
        for (int b = 0; b < 256; b++) order[b] = b;
        Arrays.sort(order, Comparator.comparingInt(b -> ByteLevel.charOf(b)));
        int[] byteId = new int[256];
        for (int b : order) byteId[b] = L.addToken(new byte[] {(byte) b});

        // Word types as byte-level strings; two texts with the same bytes (lone surrogates, which
        // encode as U+FFFD) become one type. Sorted, so the work order is the same on every run.
        Map<String, Long> byBytes = new HashMap<>();
        for (var e : wordCounts.entrySet()) byBytes.merge(ByteLevel.toUnicode(ByteLevelBpeTokenizer.utf8(e.getKey(), 0, e.getKey().length())), e.getValue(), Long::sum);
        List<String> types = new ArrayList<>(byBytes.keySet());
        Collections.sort(types);
        int nw = types.size();
        L.sym = new int[nw][];
        L.len = new int[nw];
        L.count = new long[nw];
        L.seenAt = new int[nw];
        Arrays.fill(L.seenAt, -1);
        for (int w = 0; w < nw; w++) {
            byte[] b = ByteLevel.toBytes(types.get(w));
            int[] s = new int[b.length];
            for (int i = 0; i < b.length; i++) s[i] = byteId[b[i] & 0xFF];
            L.sym[w] = s;
            L.len[w] = s.length;
            L.count[w] = byBytes.get(types.get(w));
            for (int i = 0; i + 1 < s.length; i++) L.add(s[i], s[i + 1], L.count[w], w);
        }
        for (Pair p : L.changed) L.heap.add(new Candidate(p.count, p));
        L.changed.clear();

        Set<String> specials = new HashSet<>(config.specialTokens());
        int target = config.vocabSize() - config.specialTokens().size();
        try (Progress bar = config.progress() ? Progress.start("BPE merges", target - 256, "tok") : null) {
            while (L.tokens.size() < target) {
                Candidate c = L.heap.poll();
                if (c == null) break;                       // every word is one token
                Pair p = c.pair;
                if (p.count != c.count || p.count <= 0) continue;   // stale entry
                if (p.count < config.minFrequency()) break;       // the rest are rarer still
                byte[] left = L.bytes.get(p.left), right = L.bytes.get(p.right);
                byte[] joined = Arrays.copyOf(left, left.length + right.length);
                System.arraycopy(right, 0, joined, left.length, right.length);
                // NOTE: a learned token must not spell a special token, or the vocabulary would
                // hold that string twice; the pair is dropped (it can only come back stale).
                if (specials.contains(ByteLevel.toUnicode(joined))) continue;
                L.step++;
                // NOTE: should the merged bytes already be a token (reached by another split), the
                // merge reuses its id, as Hugging Face's trainer does. No case turned up in 20,000
                // random corpora, so this guards the vocabulary's uniqueness rather than a known path.
                int before = L.tokens.size();
                int z = L.addToken(joined);
                L.merges.add(L.tokens.get(p.left) + " " + L.tokens.get(p.right));
                // Only the words that contain the pair are touched: the incremental update of
                // Sennrich et al.'s reference code, instead of recounting the corpus per merge.
                int[] ws = p.words;
                int nws = p.nWords;
                for (int i = 0; i < nws; i++) {
                    int w = ws[i];
                    if (L.seenAt[w] == L.step) continue;
                    L.seenAt[w] = L.step;
                    L.rewrite(w, p.left, p.right, z);
                }
                L.pairs.remove(((long) p.left << 32) | p.right);
                p.count = 0;
                p.words = null;
                for (Pair q : L.changed) if (q.count > 0 && q.words != null) L.heap.add(new Candidate(q.count, q));
                L.changed.clear();
                if (bar != null && L.tokens.size() > before) bar.step();
            }
        }
        List<String> vocab = new ArrayList<>(L.tokens);
        vocab.addAll(config.specialTokens());
        return ByteLevelBpeTokenizer.of(vocab, L.merges, config.specialTokens());
    }
}
