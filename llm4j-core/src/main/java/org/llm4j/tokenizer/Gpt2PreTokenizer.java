// GPT-2's pre-tokenization: splits text into the pieces that BPE merges within. A hand-written
// scanner over code points, with the regular expression it implements kept as its plain twin.
package org.llm4j.tokenizer;

import java.util.regex.Pattern;

final class Gpt2PreTokenizer {
    // The pattern of GPT-2's encoder.py (and tiktoken's r50k_base, Hugging Face's ByteLevel
    // pre-tokenizer). \s is Unicode White_Space, as in Python's `regex` module, Oniguruma and
    // tiktoken; in Java that needs UNICODE_CHARACTER_CLASS. The scanner is tested against it.
    static final String REGEX = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
    static final Pattern PATTERN = Pattern.compile(REGEX, Pattern.UNICODE_CHARACTER_CLASS);

    // The four classes the pattern distinguishes. OTHER is [^\s\p{L}\p{N}], lone surrogates included.
    static final byte LETTER = 0, NUMBER = 1, SPACE = 2, OTHER = 3;
    private static final byte[] ASCII = new byte[128];

    static {
        for (int c = 0; c < 128; c++) ASCII[c] = slowClassOf(c);
    }

    private Gpt2PreTokenizer() {}

    static byte classOf(int cp) {
        return cp < 128 ? ASCII[cp] : slowClassOf(cp);
    }

    private static byte slowClassOf(int cp) {
        if (isWhiteSpace(cp)) return SPACE;
        return switch (Character.getType(cp)) {
            case Character.UPPERCASE_LETTER, Character.LOWERCASE_LETTER, Character.TITLECASE_LETTER,
                 Character.MODIFIER_LETTER, Character.OTHER_LETTER -> LETTER;
            case Character.DECIMAL_DIGIT_NUMBER, Character.LETTER_NUMBER, Character.OTHER_NUMBER -> NUMBER;
            default -> OTHER;
        };
    }

    // The Unicode White_Space property (PropList.txt; unchanged since Unicode 6.3). Not
    // Character.isWhitespace, which leaves out the no-break spaces and adds U+001C..U+001F.
    static boolean isWhiteSpace(int cp) {
        return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680
                || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F
                || cp == 0x205F || cp == 0x3000;
    }

    // The code point at i, not reading past end: a high surrogate at end - 1 stands alone.
    static int codePointAt(String s, int i, int end) {
        char c = s.charAt(i);
        if (Character.isHighSurrogate(c) && i + 1 < end) {
            char d = s.charAt(i + 1);
            if (Character.isLowSurrogate(d)) return Character.toCodePoint(c, d);
        }
        return c;
    }

    /**
     * End (exclusive, in chars) of the piece that starts at {@code from}, for text limited to
     * [from, end). Each branch is the alternative of REGEX that matches first at this position.
     */
    static int next(String s, int from, int end) {
        char c = s.charAt(from);
        // 's|'t|'re|'ve|'m|'ll|'d : case-sensitive, and taken even when letters follow ("'sup").
        if (c == '\'' && from + 1 < end) {
            char d = s.charAt(from + 1);
            if (d == 's' || d == 't' || d == 'm' || d == 'd') return from + 2;
            if (from + 2 < end) {
                char f = s.charAt(from + 2);
                if ((d == 'r' && f == 'e') || (d == 'v' && f == 'e') || (d == 'l' && f == 'l')) return from + 3;
            }
        }
        int at = from;
        int cls;
        if (c < 128) {
            cls = ASCII[c];
            // ' ?' of the letter, number and other branches: a space joins the run after it.
            if (c == ' ' && from + 1 < end) {
                int cp2 = codePointAt(s, from + 1, end);
                int cls2 = classOf(cp2);
                if (cls2 != SPACE) {
                    at = from + 1;
                    cls = cls2;
                }
            }
        } else {
            cls = classOf(codePointAt(s, from, end));
        }
        if (cls == SPACE) {
            // \s+(?!\S) backtracks to leave the last white space for the piece after it, unless
            // the run reaches the end or is one character long; then \s+ takes the whole run.
            // Every White_Space character is in the BMP, so one char each.
            int j = from + 1;
            while (j < end && isWhiteSpace(s.charAt(j))) j++;
            return (j < end && j - from >= 2) ? j - 1 : j;
        }
        // \p{L}+, \p{N}+ or [^\s\p{L}\p{N}]+ : the longest run of one class.
        int j = at;
        while (j < end) {
            char ch = s.charAt(j);
            if (ch < 128) {
                if (ASCII[ch] != cls) break;
                j++;
            } else {
                int cp = codePointAt(s, j, end);
                if (classOf(cp) != cls) break;
                j += Character.charCount(cp);
            }
        }
        return j;
    }
}
