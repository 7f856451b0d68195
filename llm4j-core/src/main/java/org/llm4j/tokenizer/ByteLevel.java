// GPT-2's byte-to-unicode table: each byte is shown as one printable character, so byte-level
// tokens can be stored as strings in vocab.json, merges.txt and tokenizer.json.
package org.llm4j.tokenizer;

public final class ByteLevel {
    // bytes_to_unicode() in GPT-2's encoder.py: the printable Latin-1 bytes '!'..'~', '¡'..'¬',
    // '®'..'ÿ' stand for themselves; the other 68 bytes, in increasing order, become U+0100,
    // U+0101, ... (so the space 0x20 is 'Ġ' U+0120 and the newline 0x0A is 'Ċ' U+010A).
    private static final char[] BYTE_TO_CHAR = new char[256];
    private static final byte[] CHAR_TO_BYTE = new byte[324];   // indexed by char, 0..U+0143
    private static final boolean[] IS_BYTE_CHAR = new boolean[324];

    static {
        int next = 256;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = (char) (printable ? b : next++);
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = (byte) b;
            IS_BYTE_CHAR[c] = true;
        }
    }

    private ByteLevel() {}

    public static char charOf(int b) {
        return BYTE_TO_CHAR[b & 0xFF];
    }

    /** The byte-level string of raw bytes, as it appears in GPT-2's vocabulary files. */
    public static String toUnicode(byte[] bytes) {
        char[] out = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) out[i] = BYTE_TO_CHAR[bytes[i] & 0xFF];
        return new String(out);
    }

    /** The raw bytes of a byte-level string, or null when a character is not one of the 256. */
    public static byte[] toBytes(String s) {
        byte[] out = new byte[s.length()];
        for (int i = 0; i < out.length; i++) {
            char c = s.charAt(i);
            if (c >= IS_BYTE_CHAR.length || !IS_BYTE_CHAR[c]) return null;
            out[i] = CHAR_TO_BYTE[c];
        }
        return out;
    }
}
