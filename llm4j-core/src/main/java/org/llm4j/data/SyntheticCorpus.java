// A deterministic generator of English-like text of any size, for benchmarks on a machine without
// internet: an order-2 word Markov chain trained on real corpora, plus a vocabulary that keeps growing.
package org.llm4j.data;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.llm4j.util.Progress;

/**
 * Text of a chosen size in which a BPE tokenizer meets what it meets in a web corpus:
 * <ul>
 * <li>word order from an order-2 Markov chain over the whitespace-separated words (punctuation
 *     attached, as written) and line breaks of the source texts, sampled with a seeded
 *     {@link SplittableRandom}, so the output is the same bytes for the same sources and seed;
 * <li>a vocabulary that grows with the size, as real text does (Heaps' law): about 2% of words are
 *     replaced by a "rare word" whose rank is drawn from an unbounded Zipf-like law, each rank
 *     spelled by an order-3 character model of the source vocabulary (so new words look English);
 * <li>numbers (years, prices, decimals, percentages, times), upper-case and title-case words, tabs,
 *     and about one line in 60 in other scripts (accented Latin, combining marks, Greek, Cyrillic,
 *     Arabic, Devanagari, CJK, kana, Hangul, emoji with ZWJ sequences), so every UTF-8 lead and
 *     continuation byte occurs.
 * </ul>
 * It is not natural text: word pairs are local, documents have no topic. The figures measured on
 * it say so wherever they are quoted.
 */
public final class SyntheticCorpus {
    private static final String NL = "\n";
    static final double RARE_WORD_SHARE = 0.02;
    static final double NUMBER_SHARE = 0.01;
    static final double FOREIGN_LINE_SHARE = 1.0 / 60;

    private final List<String> words = new ArrayList<>();         // id → word ("\n" is a word)
    private final int[] seq;                                      // the training text as word ids
    private final Map<Long, int[]> next = new HashMap<>();        // (a, b) → successors, with repeats
    private final CharModel chars;

    /** Learns the chain from source texts; each is one continuous text (documents inside it keep their blank lines). */
    public SyntheticCorpus(List<String> sources) {
        if (sources.isEmpty()) throw new IllegalArgumentException("no source texts");
        Map<String, Integer> ids = new HashMap<>();
        List<Integer> s = new ArrayList<>();
        int nl = intern(ids, NL);
        for (String src : sources) {
            s.add(nl);
            s.add(nl);
            for (String line : src.split("\n", -1)) {
                for (String w : line.replace('\r', ' ').replace('\t', ' ').split(" +")) if (!w.isEmpty()) s.add(intern(ids, w));
                s.add(nl);
            }
        }
        seq = s.stream().mapToInt(Integer::intValue).toArray();
        if (seq.length < 3) throw new IllegalArgumentException("source texts hold too few words");
        Map<Long, List<Integer>> lists = new HashMap<>();
        for (int i = 0; i + 2 < seq.length; i++) lists.computeIfAbsent(key(seq[i], seq[i + 1]), k -> new ArrayList<>()).add(seq[i + 2]);
        for (var e : lists.entrySet()) next.put(e.getKey(), e.getValue().stream().mapToInt(Integer::intValue).toArray());
        var letters = new LinkedHashSet<String>();
        for (String w : words) {
            String core = stripPunct(w).toLowerCase(Locale.ROOT);
            if (core.length() >= 3 && core.chars().allMatch(c -> c >= 'a' && c <= 'z')) letters.add(core);
        }
        chars = new CharModel(letters);
    }

    /**
     * The default sources, from a data mirror: tiny Shakespeare, the TinyStories sample and the
     * SST-2 training sentences (the TSV's first column) — about 4.7 MB of text. The sample's
     * "<|endoftext|>" separators become blank lines, so the output is plain text.
     */
    public static List<String> mirrorSources(Path mirror) {
        List<String> out = new ArrayList<>();
        out.add(TextLoader.read(mirror.resolve("tinyshakespeare/input.txt")));
        out.add(TextLoader.read(mirror.resolve("tinystories-sample")).replace("<|endoftext|>", "\n\n"));
        Path sst = mirror.resolve("sst2/train_part.tsv");
        var sb = new StringBuilder();
        String[] lines = TextLoader.read(sst).split("\n");
        for (int i = 1; i < lines.length; i++) { // line 0: the header "sentence\tlabel"
            int tab = lines[i].indexOf('\t');
            sb.append(tab < 0 ? lines[i] : lines[i].substring(0, tab)).append('\n');
        }
        out.add(sb.toString());
        return out;
    }

    private int intern(Map<String, Integer> ids, String w) {
        return ids.computeIfAbsent(w, k -> {
            words.add(k);
            return words.size() - 1;
        });
    }

    private static long key(int a, int b) { return ((long) a << 32) | (b & 0xFFFFFFFFL); }

    public int sourceVocabulary() { return words.size(); }

    /**
     * Writes at least targetBytes of UTF-8 (whole lines; the last line ends with '\n') to out.
     * Returns the bytes written. progress (may be null) is stepped by bytes.
     */
    public long generate(long targetBytes, long seed, OutputStream out, Progress progress) throws IOException {
        if (targetBytes <= 0) throw new IllegalArgumentException("size must be positive, got " + targetBytes);
        var rnd = new SplittableRandom(seed);
        var rare = new HashMap<Integer, String>();
        var line = new StringBuilder(256);
        int nl = 0; // id of "\n" (interned first)
        int a = nl, b = nl;
        long written = 0;
        while (written < targetBytes) {
            int[] succ = next.get(key(a, b));
            int c;
            if (succ == null) { // the end of a source: start again at a random place
                int at = rnd.nextInt(seq.length - 2);
                a = seq[at];
                b = seq[at + 1];
                continue;
            }
            c = succ[rnd.nextInt(succ.length)];
            a = b;
            b = c;
            if (c == nl) {
                line.append('\n');
                if (rnd.nextDouble() < FOREIGN_LINE_SHARE) foreignLine(rnd, line);
                byte[] bytes = line.toString().getBytes(StandardCharsets.UTF_8);
                out.write(bytes);
                written += bytes.length;
                if (progress != null) progress.step(bytes.length);
                line.setLength(0);
                continue;
            }
            String w = words.get(c);
            if (!line.isEmpty()) line.append(rnd.nextInt(400) == 0 ? '\t' : ' ');
            if (rnd.nextDouble() < NUMBER_SHARE) line.append(number(rnd)).append(' ');
            double u = rnd.nextDouble();
            if (u < RARE_WORD_SHARE) w = rareLike(w, rareWord(rnd, rare, seed));
            else if (u < RARE_WORD_SHARE + 0.003) w = w.toUpperCase(Locale.ROOT);
            else if (u < RARE_WORD_SHARE + 0.006 && !w.isEmpty()) w = Character.toUpperCase(w.charAt(0)) + w.substring(1);
            line.append(w);
        }
        return written;
    }

    // ---- the growing vocabulary ----

    // Rank r ≥ 1 with P(rank ≥ r) = r^(-1/θ): a heavy tail, so the number of distinct ranks among
    // n draws keeps growing (about n^0.8 here) as words do in real text.
    private String rareWord(SplittableRandom rnd, Map<Integer, String> cache, long seed) {
        double u = 1 - rnd.nextDouble(); // (0, 1]
        double r = Math.pow(u, -1.25);
        int rank = r >= Integer.MAX_VALUE ? Integer.MAX_VALUE : (int) r;
        return cache.computeIfAbsent(rank, k -> chars.spell(new SplittableRandom(seed * 0x9E3779B97F4A7C15L + k)));
    }

    // The rare word takes the place of w: w's capitalisation and attached punctuation are kept.
    private static String rareLike(String w, String rare) {
        int s = 0, e = w.length();
        while (s < e && !Character.isLetter(w.charAt(s))) s++;
        while (e > s && !Character.isLetter(w.charAt(e - 1))) e--;
        if (s == e) return w; // punctuation or a number: kept
        String core = Character.isUpperCase(w.charAt(s)) ? Character.toUpperCase(rare.charAt(0)) + rare.substring(1) : rare;
        return w.substring(0, s) + core + w.substring(e);
    }

    private static String stripPunct(String w) {
        int s = 0, e = w.length();
        while (s < e && !Character.isLetter(w.charAt(s))) s++;
        while (e > s && !Character.isLetter(w.charAt(e - 1))) e--;
        return w.substring(s, e);
    }

    // Order-3 character model over a vocabulary: P(c | previous two chars), '^' pads the start and
    // '$' ends a word.
    private static final class CharModel {
        private final Map<String, StringBuilder> next = new HashMap<>();

        CharModel(Iterable<String> vocabulary) {
            for (String w : vocabulary) {
                String p = "^^" + w + "$";
                for (int i = 2; i < p.length(); i++) next.computeIfAbsent(p.substring(i - 2, i), k -> new StringBuilder()).append(p.charAt(i));
            }
            if (next.isEmpty()) next.put("^^", new StringBuilder("a$"));
        }

        String spell(SplittableRandom rnd) {
            var sb = new StringBuilder("^^");
            for (int tries = 0; tries < 8; tries++) {
                sb.setLength(2);
                while (sb.length() < 18) {
                    StringBuilder opts = next.get(sb.substring(sb.length() - 2));
                    if (opts == null) break;
                    char c = opts.charAt(rnd.nextInt(opts.length()));
                    if (c == '$') break;
                    sb.append(c);
                }
                if (sb.length() >= 5) break; // at least 3 letters
            }
            return sb.length() > 2 ? sb.substring(2) : "zyx";
        }
    }

    // ---- numbers and other scripts ----

    private static String number(SplittableRandom r) {
        return switch (r.nextInt(8)) {
            case 0 -> Integer.toString(1700 + r.nextInt(330));                                // a year
            case 1 -> Integer.toString(r.nextInt(100));
            case 2 -> String.format(Locale.ROOT, "%,d", r.nextInt(10_000_000));              // 1,234,567
            case 3 -> String.format(Locale.ROOT, "$%d.%02d", r.nextInt(500), r.nextInt(100)); // a price
            case 4 -> String.format(Locale.ROOT, "%d.%d", r.nextInt(100), r.nextInt(1000));  // a decimal
            case 5 -> r.nextInt(101) + "%";
            case 6 -> String.format(Locale.ROOT, "%d:%02d", 1 + r.nextInt(12), r.nextInt(60)); // a time
            default -> Integer.toString(r.nextInt(1_000_000));
        };
    }

    private static final String[] LATIN = {"café", "naïve", "Straße", "garçon", "façade", "jalapeño", "smörgåsbord",
            "Ærø", "Łódź", "Dvořák", "São", "Zürich", "fiancée", "coöperate", "Ångström", "ĳssel", "œuvre"};
    private static final String[] COMBINING = {"e\u0301", "a\u0300", "n\u0303", "o\u0308", "c\u0327", "u\u030A", "i\u0302\u0323"};
    private static final String[] EMOJI = {"😀", "🎉", "👍", "🚀", "🌍", "❤️", "👩\u200D💻", "👨\u200D👩\u200D👧", "🇫🇷", "🤖", "✨", "🙂"};
    private static final int[][] SCRIPTS = { // code point ranges of letters: Greek, Cyrillic, Arabic, Devanagari, CJK, hiragana, katakana, Hangul
            {0x03B1, 0x03C9}, {0x0430, 0x044F}, {0x0627, 0x064A}, {0x0915, 0x0939}, {0x4E00, 0x9FA5}, {0x3041, 0x3093},
            {0x30A1, 0x30F3}, {0xAC00, 0xD7A3}};

    // One line of 4..15 words in one other script, with Latin words, combining marks and emoji between.
    private static void foreignLine(SplittableRandom r, StringBuilder line) {
        int[] script = SCRIPTS[r.nextInt(SCRIPTS.length)];
        boolean cjk = script[0] >= 0x3000;
        int n = 4 + r.nextInt(12);
        for (int i = 0; i < n; i++) {
            if (i > 0 && !(cjk && r.nextInt(3) > 0)) line.append(' ');
            int kind = r.nextInt(10);
            if (kind == 0) line.append(LATIN[r.nextInt(LATIN.length)]);
            else if (kind == 1) line.append(COMBINING[r.nextInt(COMBINING.length)]).append("t");
            else if (kind == 2) line.append(EMOJI[r.nextInt(EMOJI.length)]);
            else {
                int len = 1 + r.nextInt(cjk ? 4 : 8);
                for (int k = 0; k < len; k++) line.appendCodePoint(script[0] + r.nextInt(script[1] - script[0] + 1));
            }
        }
        line.append(r.nextInt(3) == 0 ? "。\n" : ".\n");
    }
}
