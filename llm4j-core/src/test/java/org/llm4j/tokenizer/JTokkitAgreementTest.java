// Our GPT-2 ids against JTokkit's r50k_base (OpenAI's GPT-2 ranks) on tiny Shakespeare, a mixed
// multilingual text and random strings; and decode(encode(x)) == x for all of them.
package org.llm4j.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import java.io.IOException;
import java.util.Random;
import org.junit.jupiter.api.Test;

class JTokkitAgreementTest {
    static final Encoding R50K = Encodings.newDefaultEncodingRegistry().getEncoding(EncodingType.R50K_BASE);

    private static void assertSameIdsAndLossless(ByteLevelBpeTokenizer t, String text) {
        int[] ours = t.encodeOrdinary(text);
        int[] theirs = R50K.encodeOrdinary(text).toArray();
        if (!java.util.Arrays.equals(ours, theirs)) {
            // Name the first piece that differs, not a million-element array.
            int i = java.util.Arrays.mismatch(ours, theirs);
            int from = Math.max(0, i - 3);
            throw new AssertionError("ids differ at token " + i + ": ours " + java.util.Arrays.toString(java.util.Arrays.copyOfRange(ours, from, Math.min(ours.length, i + 4)))
                    + ", r50k " + java.util.Arrays.toString(java.util.Arrays.copyOfRange(theirs, from, Math.min(theirs.length, i + 4)))
                    + " near \"" + t.decode(java.util.Arrays.copyOfRange(ours, from, Math.min(ours.length, i + 4))) + "\"");
        }
        assertThat(t.decode(ours)).isEqualTo(text);
        assertThat(t.decode(t.encode(text))).isEqualTo(text);
    }

    @Test
    void sameIdsOnTinyShakespeare() throws IOException {
        String text = TestData.shakespeare();
        ByteLevelBpeTokenizer t = TestData.gpt2();
        assertSameIdsAndLossless(t, text);
        assertThat(t.encodeOrdinary(text)).hasSize(338_025);
    }

    // The first ~4 MB of the synthetic benchmark corpus (`llm4j data synth --seed 1`: the output
    // of a larger size starts with these bytes): English-like text with a growing vocabulary,
    // numbers and lines in a dozen scripts with emoji; the benchmark checks all 100 MB.
    @Test
    void sameIdsOnASliceOfTheSyntheticBenchmarkCorpus() throws IOException {
        var gen = new org.llm4j.data.SyntheticCorpus(org.llm4j.data.SyntheticCorpus.mirrorSources(TestData.mirror()));
        var out = new java.io.ByteArrayOutputStream();
        gen.generate(4_000_000, 1, out, null);
        String text = out.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertThat(text.codePoints().filter(c -> c > 0x3000).count()).isGreaterThan(5_000);
        assertSameIdsAndLossless(TestData.gpt2(), text);
    }

    @Test
    void sameIdsOnMixedText() {
        ByteLevelBpeTokenizer t = TestData.gpt2();
        assertSameIdsAndLossless(t, TestData.MIXED);
        // Special tokens are text to encodeOrdinary and to r50k's encodeOrdinary alike.
        assertThat(t.encodeOrdinary(TestData.MIXED)).doesNotContain(50256);
        assertThat(t.encode(TestData.MIXED)).contains(50256);
    }

    @Test
    void sameIdsOnRandomStringsAndLongPieces() {
        ByteLevelBpeTokenizer t = TestData.gpt2();
        String[] alphabet = {" ", " ", " ", "\t", "\n", "\r\n", "\u00A0", "\u3000", "'", "s", "re", "ll", "the", "ing", "a", "e",
                "Q", "é", "中", "文", "ä", "ß", "Я", "0", "12", "٣", "½", ".", ",", "!!", "-", "==", "\u0301", "😀", "👍🏽", "\u0000", "\u001F"};
        Random r = new Random(3);
        StringBuilder all = new StringBuilder();
        for (int n = 0; n < 3_000; n++) {
            StringBuilder sb = new StringBuilder();
            int len = r.nextInt(30);
            for (int i = 0; i < len; i++) sb.append(alphabet[r.nextInt(alphabet.length)]);
            assertSameIdsAndLossless(t, sb.toString());
            all.append(sb);
        }
        assertSameIdsAndLossless(t, all.toString());
        // Pieces around the 128-byte switch from the linear merge to the heap, of each class.
        for (int len : new int[] {100, 127, 128, 129, 200, 1000, 5000}) {
            StringBuilder letters = new StringBuilder(), digits = new StringBuilder(), punct = new StringBuilder(), cjk = new StringBuilder();
            for (int i = 0; i < len; i++) {
                letters.append((char) ('a' + r.nextInt(26)));
                digits.append((char) ('0' + r.nextInt(10)));
                punct.append("!-=.,?*#".charAt(r.nextInt(8)));
                cjk.append((char) (0x4E00 + r.nextInt(500)));
            }
            for (String s : new String[] {letters.toString(), " " + digits, punct.toString(), cjk.toString(), " ".repeat(len) + "x", "ab".repeat(len)}) {
                assertSameIdsAndLossless(t, s);
            }
        }
    }
}
