// The synthetic benchmark corpus: the same bytes for the same seed, a vocabulary that keeps
// growing with the size, and text beyond ASCII.
package org.llm4j.data;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class SyntheticCorpusTest {
    static final List<String> SOURCES = List.of(
            "The cat sat on the mat.\nThe dog sat on the log, and the cat ran away.\n\nA bird sang in the tree.\n",
            "It was a bright cold day in April, and the clocks were striking thirteen.\nWinston went home.\n");

    private static String generate(long bytes, long seed) throws IOException {
        var out = new ByteArrayOutputStream();
        long n = new SyntheticCorpus(SOURCES).generate(bytes, seed, out, null);
        assertThat(n).isEqualTo(out.size()).isGreaterThanOrEqualTo(bytes);
        return out.toString(StandardCharsets.UTF_8);
    }

    private static long distinctWords(String text) {
        return Arrays.stream(text.split("\\s+")).distinct().count();
    }

    @Test
    void sameSeedSameBytesAndALongerRunStartsWithTheShorter() throws IOException {
        String a = generate(200_000, 1);
        assertThat(generate(200_000, 1)).isEqualTo(a);
        assertThat(generate(400_000, 1)).startsWith(a);
        assertThat(generate(200_000, 2)).isNotEqualTo(a);
        assertThat(a).endsWith("\n");
    }

    @Test
    void vocabularyGrowsAndOtherScriptsAppear() throws IOException {
        String text = generate(4_000_000, 1);
        long small = distinctWords(text.substring(0, 400_000)), large = distinctWords(text);
        assertThat(large).isGreaterThan(3 * small);
        assertThat(text.codePoints().filter(c -> c >= 0x4E00 && c <= 0x9FA5).count()).isGreaterThan(100);
        assertThat(text.codePoints().filter(c -> c >= 0x1F300).count()).isGreaterThan(100);
        assertThat(text).contains("\t").containsPattern("\\d");
    }
}
