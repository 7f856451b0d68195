// BPE training: merges worked out by hand (tie rule included), then tiny Shakespeare: lossless
// round trip, compression, determinism across runs and thread counts, special tokens, save/load.
package org.llm4j.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BpeTrainerTest {
    @TempDir Path tmp;

    static List<String> merges(ByteLevelBpeTokenizer t) {
        List<String> m = new ArrayList<>();
        for (int r = 0; r < t.mergeCount(); r++) m.add(t.token(t.mergeLeft(r)) + " " + t.token(t.mergeRight(r)));
        return m;
    }

    @Test
    void learnsTheMergesWorkedOutByHand() {
        // One word, "aaabdaaabac". Pair counts: aa 4, ab 2, then 1 each. Merge by merge:
        //   a a      (4)  → aa a b d aa a b a c           ("aaab" merges left to right: aa a b)
        //   a b      (2)  tie with (aa, a) at 2: left bytes "a" < "aa"
        //   aa ab    (2)  → aaab d aaab a c
        //   a c      (1)  four pairs at 1; smallest left bytes "a"
        //   aaab ac  (1)  (aaab, ac) < (aaab, d) < (d, aaab): right bytes "ac" < "d"
        //   aaab d   (1)
        //   aaabd aaabac
        ByteLevelBpeTokenizer t = BpeTrainer.train("aaabdaaabac", 256 + 7, List.of());
        assertThat(merges(t)).containsExactly("a a", "a b", "aa ab", "a c", "aaab ac", "aaab d", "aaabd aaabac");
        assertThat(t.vocabSize()).isEqualTo(263);
        assertThat(t.tokenId("aaabdaaabac")).isEqualTo(262);
        assertThat(t.encode("aaabdaaabac")).containsExactly(262);
        // Asking for more than there is: the vocabulary stops when every word is one token.
        assertThat(BpeTrainer.train("aaabdaaabac", 1000, List.of()).vocabSize()).isEqualTo(263);
    }

    @Test
    void mergesAcrossWordsWithTheSpacePrefixAndMinFrequency() {
        // Pieces "ab", " ab", " ab", " cd": (a,b) 3, (Ġ,a) 2, then (Ġ,ab) 2; (Ġ,c) and (c,d) tie at
        // 1 and the space byte 0x20 sorts before 'c'.
        ByteLevelBpeTokenizer t = BpeTrainer.train("ab ab ab cd", 256 + 4, List.of());
        assertThat(merges(t)).containsExactly("a b", "Ġ ab", "Ġ c", "Ġc d");
        ByteLevelBpeTokenizer rare = BpeTrainer.train(List.of("ab ab ab cd"), BpeTrainer.Config.of(300, List.of()).withMinFrequency(2));
        assertThat(merges(rare)).containsExactly("a b", "Ġ ab");
        assertThat(rare.vocabSize()).isEqualTo(258);
    }

    @Test
    void byteTokensHaveGpt2Ids() {
        ByteLevelBpeTokenizer t = BpeTrainer.train("x", 256, List.of());
        assertThat(t.tokenId("!")).isEqualTo(0);
        assertThat(t.tokenId("Ā")).isEqualTo(188);   // byte 0x00
        assertThat(t.tokenId("Ġ")).isEqualTo(220);   // space
        assertThat(t.tokenId("Ċ")).isEqualTo(198);   // newline
        ByteLevelBpeTokenizer gpt2 = TestData.gpt2();
        for (int b = 0; b < 256; b++) {
            String s = String.valueOf(ByteLevel.charOf(b));
            assertThat(t.tokenId(s)).as("byte %d", b).isEqualTo(gpt2.tokenId(s));
        }
    }

    @Test
    void specialTokensAreNotLearnedAndSplitTheText() {
        // "<|endoftext|>" in the corpus is a boundary, as in encode(): "b<|endoftext|>c" gives no (b, <).
        List<String> specials = List.of("<|endoftext|>", "<pad>");
        ByteLevelBpeTokenizer t = BpeTrainer.train("ab<|endoftext|>ab<|endoftext|>ab", 256 + 1 + 2, specials);
        assertThat(merges(t)).containsExactly("a b");
        assertThat(t.specialTokens()).containsExactly(Map.entry("<|endoftext|>", 257), Map.entry("<pad>", 258));
        assertThat(t.encode("ab<|endoftext|>ab<pad>")).containsExactly(256, 257, 256, 258);
        // A special written in byte-level characters ("Ġa" is how the vocabulary writes " a") is
        // never learned: (Ġ, a), the most frequent pair, is skipped.
        ByteLevelBpeTokenizer s = BpeTrainer.train(" a a ab ab", 256 + 2 + 1, List.of("Ġa"));
        assertThat(merges(s)).containsExactly("a b", "Ġ ab");
        assertThat(s.tokenId("Ġa")).isEqualTo(258);
        assertThat(s.encode(" a")).containsExactly(220, 64);
    }

    // The plain twin: recount every pair of every word before each merge (Sennrich et al.'s
    // algorithm as first written), with the same tie rule. Slow, obviously right.
    static List<String> naiveMerges(String text, int vocabSize) {
        Map<String, Long> counts = BpeTrainer.countWords(List.of(text), List.of(), 1, Integer.MAX_VALUE, false);
        List<List<String>> words = new ArrayList<>();
        List<Long> freq = new ArrayList<>();
        for (var e : new java.util.TreeMap<>(counts).entrySet()) {
            List<String> w = new ArrayList<>();
            for (byte b : ByteLevelBpeTokenizer.utf8(e.getKey(), 0, e.getKey().length())) w.add(String.valueOf(ByteLevel.charOf(b)));
            words.add(w);
            freq.add(e.getValue());
        }
        java.util.Set<String> vocab = new java.util.HashSet<>();
        for (int b = 0; b < 256; b++) vocab.add(String.valueOf(ByteLevel.charOf(b)));
        List<String> merges = new ArrayList<>();
        while (vocab.size() < vocabSize) {
            Map<List<String>, Long> pairs = new java.util.HashMap<>();
            for (int w = 0; w < words.size(); w++) {
                List<String> s = words.get(w);
                for (int i = 0; i + 1 < s.size(); i++) pairs.merge(List.of(s.get(i), s.get(i + 1)), freq.get(w), Long::sum);
            }
            List<String> best = null;
            long bestCount = 0;
            for (var e : pairs.entrySet()) {
                List<String> p = e.getKey();
                long c = e.getValue();
                int cmp = best == null ? -1 : c != bestCount ? Long.compare(bestCount, c)
                        : java.util.Arrays.compareUnsigned(ByteLevel.toBytes(p.get(0)), ByteLevel.toBytes(best.get(0))) != 0
                        ? java.util.Arrays.compareUnsigned(ByteLevel.toBytes(p.get(0)), ByteLevel.toBytes(best.get(0)))
                        : java.util.Arrays.compareUnsigned(ByteLevel.toBytes(p.get(1)), ByteLevel.toBytes(best.get(1)));
                if (cmp < 0) {
                    best = p;
                    bestCount = c;
                }
            }
            if (best == null) break;
            String z = best.get(0) + best.get(1);
            merges.add(best.get(0) + " " + best.get(1));
            vocab.add(z);
            for (List<String> s : words) {
                for (int i = 0; i + 1 < s.size(); i++) {
                    if (s.get(i).equals(best.get(0)) && s.get(i + 1).equals(best.get(1))) {
                        s.set(i, z);
                        s.remove(i + 1);
                    }
                }
            }
        }
        return merges;
    }

    @Test
    void agreesWithTheNaiveTrainerOnRandomCorpora() throws IOException {
        java.util.Random rnd = new java.util.Random(42);
        int reused = 0;
        for (int trial = 0; trial < 200; trial++) {
            // Few letters and long runs, so ties, overlapping pairs ("aaaa") and merges whose bytes
            // already are a token all happen.
            String alphabet = trial % 2 == 0 ? "aab  " : "abc \n";
            StringBuilder sb = new StringBuilder();
            int n = 20 + rnd.nextInt(200);
            for (int i = 0; i < n; i++) sb.append(alphabet.charAt(rnd.nextInt(alphabet.length())));
            String text = sb.toString();
            int vocabSize = 256 + 1 + rnd.nextInt(60);
            ByteLevelBpeTokenizer t = BpeTrainer.train(text, vocabSize, List.of());
            assertThat(merges(t)).as("corpus %s, vocabulary %d", text, vocabSize).isEqualTo(naiveMerges(text, vocabSize));
            assertThat(t.decode(t.encode(text))).isEqualTo(text);
            if (t.mergeCount() > t.vocabSize() - 256) reused++;
        }
        System.out.println("random corpora: " + reused + " of 200 learned a merge whose token already existed");
        String slice = TestData.shakespeare().substring(0, 30_000);
        assertThat(merges(BpeTrainer.train(slice, 600, List.of()))).isEqualTo(naiveMerges(slice, 600));
    }

    @Test
    void rejectsBadArgumentsNamingTheParameter() {
        assertThatThrownBy(() -> BpeTrainer.train("abc", 257, List.of("<a>", "<b>")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("vocabSize").hasMessageContaining("258").hasMessageContaining("257");
        assertThatThrownBy(() -> BpeTrainer.Config.of(300, List.of()).withMinFrequency(-1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("minFrequency");
        assertThatThrownBy(() -> BpeTrainer.Config.of(300, List.of("<a>", "<a>")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("specialTokens").hasMessageContaining("twice");
        assertThatThrownBy(() -> BpeTrainer.Config.of(300, List.of("")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("specialTokens");
        assertThatThrownBy(() -> BpeTrainer.Config.of(300, List.of("!")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("specialTokens");
        assertThatThrownBy(() -> BpeTrainer.Config.of(300, List.of()).withThreads(-2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("threads");
    }

    @Test
    void countsTheSameWordsWhateverTheChunksAndThreads() throws IOException {
        String text = TestData.shakespeare();
        Map<String, Long> whole = BpeTrainer.countWords(List.of(text), List.of(), 1, Integer.MAX_VALUE, false);
        // Cuts every ~1000 chars, also in text with long white-space runs and mixed scripts.
        Map<String, Long> chunked = BpeTrainer.countWords(List.of(text), List.of(), 3, 1000, false);
        assertThat(chunked).isEqualTo(whole);
        String mixed = TestData.MIXED.repeat(20);
        assertThat(BpeTrainer.countWords(List.of(mixed), List.of(), 2, 50, false))
                .isEqualTo(BpeTrainer.countWords(List.of(mixed), List.of(), 1, Integer.MAX_VALUE, false));
        long pieces = whole.values().stream().mapToLong(Long::longValue).sum();
        System.out.printf("tiny Shakespeare: %d pre-tokens, %d distinct%n", pieces, whole.size());
    }

    @Test
    void countsTheSameWordsWhateverPiecesADocumentArrivesIn() throws IOException {
        // Pieces cut anywhere: inside words, white-space runs, surrogate pairs and special tokens
        // (one of which holds a space), with chunks small enough that the joiner cuts often.
        List<String> specials = List.of("<|endoftext|>", "<sep here>");
        String text = TestData.shakespeare().substring(0, 200_000).replace("\n\n", "\n<|endoftext|>\n")
                + TestData.MIXED.repeat(30) + " a <sep here> b  <sep here>   c<|endoftext|>";
        Map<String, Long> whole = BpeTrainer.countWords(List.of(text, "second document  "), specials, 1, Integer.MAX_VALUE, false);
        var r = new java.util.Random(5);
        for (int chunk : new int[] {64, 1000, BpeTrainer.CHUNK_CHARS}) {
            Map<String, Long> streamed = BpeTrainer.countWords((BpeTrainer.Corpus) sink -> {
                for (int at = 0; at < text.length(); ) {
                    int end = Math.min(text.length(), at + 1 + r.nextInt(chunk * 3));
                    sink.accept(text.substring(at, end), false);
                    at = end;
                }
                sink.accept("", true);
                sink.accept("second document  ", true);
            }, specials, 2, chunk, false);
            assertThat(streamed).as("chunk " + chunk).isEqualTo(whole);
        }
    }

    @Test
    void trainingFromAStreamedCorpusEqualsTrainingFromMemory() throws IOException {
        // The same text, once as a String, once read from a .txt.gz file block by block by
        // CorpusReader.readPieces (as `llm4j tokenizer train` does): the same merges.
        String text = TestData.shakespeare() + "<|endoftext|>" + TestData.MIXED.repeat(10);
        Path gz = tmp.resolve("corpus.txt.gz");
        try (var out = new java.util.zip.GZIPOutputStream(java.nio.file.Files.newOutputStream(gz))) {
            out.write(text.getBytes(StandardCharsets.UTF_8));
        }
        var config = BpeTrainer.Config.of(3000, List.of("<|endoftext|>"));
        ByteLevelBpeTokenizer inMemory = BpeTrainer.train(List.of(text), config);
        var reader = new org.llm4j.data.CorpusReader(org.llm4j.data.CorpusOptions.DEFAULTS);
        int[] pieces = {0};
        ByteLevelBpeTokenizer streamed = BpeTrainer.train(sink -> reader.readPieces(List.of(gz), (piece, end) -> {
            pieces[0]++;
            sink.accept(piece, end);
        }, null), config);
        assertThat(pieces[0]).isGreaterThan(2); // it did arrive in blocks
        assertThat(merges(streamed)).isEqualTo(merges(inMemory));
        assertThat(streamed.toJson()).isEqualTo(inMemory.toJson());
    }

    @Test
    void trainsOnTinyShakespeare() throws IOException {
        String text = TestData.shakespeare();
        List<String> specials = List.of("<|endoftext|>");
        var config = BpeTrainer.Config.of(1000, specials).withThreads(1);
        long t0 = System.nanoTime();
        ByteLevelBpeTokenizer t = BpeTrainer.train(List.of(text), config);
        System.out.printf("BPE 1000 tokens on tiny Shakespeare: %.2f s%n", (System.nanoTime() - t0) / 1e9);
        assertThat(t.vocabSize()).isEqualTo(1000);
        assertThat(t.specialTokens()).containsExactly(Map.entry("<|endoftext|>", 999));

        int[] ids = t.encode(text);
        assertThat(t.decode(ids)).isEqualTo(text);
        int bytes = text.getBytes(StandardCharsets.UTF_8).length;
        double ratio = (double) ids.length / bytes;
        System.out.printf("tiny Shakespeare: %d bytes → %d tokens, %.3f tokens per byte%n", bytes, ids.length, ratio);
        assertThat(ratio).isLessThan(0.5);
        assertThat(t.decode(t.encode(TestData.MIXED))).isEqualTo(TestData.MIXED);

        // Reproducible: a second run, and a run on 4 threads, learn the same merges.
        List<String> m = merges(t);
        assertThat(merges(BpeTrainer.train(List.of(text), config))).isEqualTo(m);
        ByteLevelBpeTokenizer t4 = BpeTrainer.train(List.of(text), config.withThreads(4));
        assertThat(merges(t4)).isEqualTo(m);
        assertThat(t4.encode(text)).isEqualTo(ids);

        // Save as tokenizer.json and load it back: the same ids, specials included.
        Path file = tmp.resolve("tokenizer.json");
        t.save(file);
        ByteLevelBpeTokenizer back = ByteLevelBpeTokenizer.load(file);
        assertThat(back.vocabSize()).isEqualTo(1000);
        assertThat(back.specialTokens()).isEqualTo(t.specialTokens());
        String sample = text.substring(0, 20_000) + "<|endoftext|>" + text.substring(20_000, 30_000);
        assertThat(back.encode(sample)).isEqualTo(t.encode(sample));
        assertThat(merges(back)).isEqualTo(m);
    }

    // A measurement, not a check: time for a 32k vocabulary, and how far tiny Shakespeare gets.
    @Test
    void measures32kVocabularyOnTinyShakespeare() throws IOException {
        String text = TestData.shakespeare();
        long t0 = System.nanoTime();
        Map<String, Long> words = BpeTrainer.countWords(List.of(text), List.of(), Runtime.getRuntime().availableProcessors(), BpeTrainer.CHUNK_CHARS, false);
        long t1 = System.nanoTime();
        ByteLevelBpeTokenizer t = BpeTrainer.train(List.of(text), BpeTrainer.Config.of(32_000, List.of("<|endoftext|>")));
        long t2 = System.nanoTime();
        int learned = t.vocabSize() - 256 - 1;
        System.out.printf("BPE 32k on tiny Shakespeare (%d threads): %.2f s total (counting alone %.2f s); "
                        + "%d merges, %d new tokens, vocabulary %d of 32000 (%s)%n",
                Runtime.getRuntime().availableProcessors(), (t2 - t1) / 1e9, (t1 - t0) / 1e9, t.mergeCount(), learned, t.vocabSize(),
                t.vocabSize() < 32_000 ? "ran out of pairs: every distinct pre-token is one token" : "reached");
        assertThat(t.decode(t.encode(text))).isEqualTo(text);
        System.out.printf("  32k vocabulary: %.3f tokens per byte, %d distinct pre-tokens%n",
                (double) t.encode(text).length / text.getBytes(StandardCharsets.UTF_8).length, words.size());
    }
}
