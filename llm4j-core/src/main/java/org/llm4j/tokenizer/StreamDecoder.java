// Turns a stream of token ids into text pieces that never split a multi-byte UTF-8 character.
package org.llm4j.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One per stream (not thread-safe). Every tokenizer's tokens are turned into UTF-8 bytes and kept
 * until they end on a character boundary: byte-level BPE tokens may hold part of a character
 * (GPT-2 splits most emoji over two or three tokens); a character or word token is always whole,
 * so for those each piece comes out at once.
 */
public final class StreamDecoder {
    private final Tokenizer tokenizer;
    private byte[] pending = new byte[16];
    private int size;
    private int prev = -1; // the previous id: SentencePiece drops the dummy-prefix space after BOS

    public StreamDecoder(Tokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    /**
     * Says which token precedes the stream (a prompt's last), without output: a SentencePiece
     * piece after BOS drops its dummy-prefix space. Returns this decoder.
     */
    public StreamDecoder after(int id) {
        prev = id;
        return this;
    }

    /** The text that is complete after this token; possibly empty. */
    public String next(int id) {
        byte[] b = switch (tokenizer) {
            case ByteLevelBpeTokenizer bpe -> bpe.rawTokenBytes(id);
            case CharTokenizer c -> c.decodeToken(id).getBytes(StandardCharsets.UTF_8);
            case WordTokenizer w -> w.decodeToken(id).getBytes(StandardCharsets.UTF_8);
            case SentencePieceBpeTokenizer sp -> sp.tokenBytes(prev, id);
        };
        prev = id;
        if (size + b.length > pending.length) pending = Arrays.copyOf(pending, Math.max(pending.length * 2, size + b.length));
        System.arraycopy(b, 0, pending, size, b.length);
        size += b.length;
        int complete = size - ByteLevelBpeTokenizer.incompleteTail(pending, size);
        String s = new String(pending, 0, complete, StandardCharsets.UTF_8);
        System.arraycopy(pending, complete, pending, 0, size - complete);
        size -= complete;
        return s;
    }

    /** Whatever is left, with U+FFFD for an unfinished character. */
    public String finish() {
        String s = new String(pending, 0, size, StandardCharsets.UTF_8);
        size = 0;
        return s;
    }
}
