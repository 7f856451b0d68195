// The hand-written pre-tokenizer against its plain twin, GPT-2's pattern in java.util.regex.
package org.llm4j.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import org.junit.jupiter.api.Test;

class Gpt2PreTokenizerTest {
    static List<String> byScanner(String s) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < s.length(); ) {
            int e = Gpt2PreTokenizer.next(s, i, s.length());
            assertThat(e).isGreaterThan(i);
            out.add(s.substring(i, e));
            i = e;
        }
        return out;
    }

    static List<String> byRegex(String s) {
        List<String> out = new ArrayList<>();
        Matcher m = Gpt2PreTokenizer.PATTERN.matcher(s);
        while (m.find()) out.add(m.group());
        return out;
    }

    @Test
    void splitsLikeTheRegexOnKnownCases() {
        assertThat(byScanner("Hello world, it's   2024!\n\n  ok")).containsExactly(
                "Hello", " world", ",", " it", "'s", "  ", " 2024", "!", "\n\n ", " ok");
        assertThat(byScanner("'sup 'RE '' ?'s")).containsExactly("'s", "up", " '", "RE", " ''", " ?'", "s");
        assertThat(byScanner("a \t b")).containsExactly("a", " \t", " b");
        assertThat(byScanner("x\u00A0y \u3000z")).containsExactly("x", "\u00A0", "y", " ", "\u3000", "z");
        for (String s : List.of("", " ", "  ", "\n", "a", "'", "'l", "'ll", " '", "  a", "\t\ta", "😀😀 😀", "e\u0301\u0301", TestData.MIXED)) {
            assertThat(byScanner(s)).as(s).isEqualTo(byRegex(s));
        }
    }

    @Test
    void splitsLikeTheRegexOnRandomText() {
        // Characters chosen to hit every branch: the contractions' letters, each class, white
        // space in and out of ASCII, control characters that are not White_Space, marks, surrogates.
        String[] alphabet = {" ", " ", " ", "\t", "\n", "\r", "\u000B", "\u001C", "\u0085", "\u00A0", "\u2028", "\u3000",
                "'", "'", "s", "t", "r", "e", "v", "m", "l", "d", "S", "a", "Z", "é", "ß", "中", "ـ",
                "0", "7", "²", "Ⅻ", "٣", ".", ",", "!", "-", "_", "\u0301", "\u200D", "😀", "👍🏽", "\uD800", "\uDC00", "\u0000"};
        Random r = new Random(1);
        for (int n = 0; n < 20_000; n++) {
            StringBuilder sb = new StringBuilder();
            int len = r.nextInt(24);
            for (int i = 0; i < len; i++) sb.append(alphabet[r.nextInt(alphabet.length)]);
            String s = sb.toString();
            assertThat(byScanner(s)).as("split of %s", s.codePoints().mapToObj(Integer::toHexString).toList()).isEqualTo(byRegex(s));
        }
    }

    @Test
    void classifiesEveryCodePointLikeTheRegex() {
        // \p{L}, \p{N} and \s of java.util.regex with UNICODE_CHARACTER_CLASS, code point by code point.
        var letter = java.util.regex.Pattern.compile("\\p{L}", java.util.regex.Pattern.UNICODE_CHARACTER_CLASS);
        var number = java.util.regex.Pattern.compile("\\p{N}", java.util.regex.Pattern.UNICODE_CHARACTER_CLASS);
        var space = java.util.regex.Pattern.compile("\\s", java.util.regex.Pattern.UNICODE_CHARACTER_CLASS);
        for (int cp = 0; cp <= Character.MAX_CODE_POINT; cp += (cp < 0x20000 ? 1 : 97)) {
            String s = Character.toString(cp);
            byte want = space.matcher(s).matches() ? Gpt2PreTokenizer.SPACE
                    : letter.matcher(s).matches() ? Gpt2PreTokenizer.LETTER
                    : number.matcher(s).matches() ? Gpt2PreTokenizer.NUMBER : Gpt2PreTokenizer.OTHER;
            if (Gpt2PreTokenizer.classOf(cp) != want) throw new AssertionError("U+" + Integer.toHexString(cp) + ": class " + Gpt2PreTokenizer.classOf(cp) + ", regex " + want);
        }
    }
}
