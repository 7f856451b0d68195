// A binary copy of a parsed byte-level BPE tokenizer, keyed by the source file's content, so that a
// cold start reads ids instead of parsing a 2 MB tokenizer.json (the JSON parse is most of the
// tokenizer's share of the time to first token).
package org.llm4j.tokenizer;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32C;
import org.llm4j.io.AtomicFiles;
import org.llm4j.io.Settings;

/**
 * Files {@code <cache>/tokenizers/<size>-<crc32c>.bpe}, where size and CRC-32C are the source
 * bytes' (tokenizer.json, or vocab.json followed by merges.txt), so an edited source misses the
 * cache and is parsed again; the cache root is {@code -Dllm4j.cache}, {@code $LLM4J_CACHE} or
 * {@code ~/.cache/llm4j}, and {@code -Dllm4j.tokenizer.cache=false} (or
 * {@code LLM4J_TOKENIZER_CACHE=0}) turns it off. The cache only holds what the source parse has
 * already validated. A cache file that cannot be read back exactly (truncated, another version,
 * inconsistent counts) is ignored and rewritten; failing to write one is not an error.
 *
 * <p>Layout (big-endian): magic "LLM4JBPE", version, source size (long), CRC-32C (int), flags
 * (bit 0 add_prefix_space, bit 1 ignore_merges, bit 2 add BOS), the pre-tokenizer's enum name (as writeUTF), BOS
 * and EOS ids (-1: none), token count N; N × (special flag byte, token
 * string as UTF-8 with an int length, token bytes with an int length); merge count M; M × left,
 * M × right, M × result ids.
 */
final class TokenizerCache {
    private static final long MAGIC = 0x4C4C4D344A425045L;   // "LLM4JBPE"
    private static final int VERSION = 2;

    private final Path dir;

    TokenizerCache(Path dir) {
        this.dir = dir;
    }

    /** The cache the environment asks for, or null when it is turned off. */
    static TokenizerCache fromEnvironment() {
        String on = Settings.value("llm4j.tokenizer.cache", "LLM4J_TOKENIZER_CACHE");
        if (on != null && (on.equals("0") || on.equalsIgnoreCase("false"))) return null;
        return new TokenizerCache(Settings.cacheRoot().resolve("tokenizers"));
    }

    /** The key of some source bytes: their total size and CRC-32C. */
    record Key(long size, int crc) {
        static Key of(byte[]... sources) {
            CRC32C crc = new CRC32C();
            long size = 0;
            for (byte[] s : sources) {
                crc.update(s);
                size += s.length;
            }
            return new Key(size, (int) crc.getValue());
        }

        String fileName() {
            return size + "-" + String.format("%08x", crc) + ".bpe";
        }
    }

    /** The cached tokenizer for this key, or null when there is none (or it cannot be read back). */
    ByteLevelBpeTokenizer get(Key key) {
        Path f = dir.resolve(key.fileName());
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(f);
        } catch (IOException e) {
            return null;
        }
        try {
            return decode(ByteBuffer.wrap(bytes), key);
        } catch (BufferUnderflowException | IllegalArgumentException | IndexOutOfBoundsException | NegativeArraySizeException e) {
            return null;   // damaged or foreign: the caller parses the source and rewrites it
        }
    }

    /** Stores a tokenizer under the key; a cache that cannot be written is skipped silently. */
    void put(Key key, ByteLevelBpeTokenizer t) {
        try {
            Files.createDirectories(dir);
            AtomicFiles.writeBytes(dir.resolve(key.fileName()), encode(t, key));
        } catch (IOException | RuntimeException e) {
            // NOTE: a read-only home or a full disk only costs the next start its parse time.
        }
    }

    static byte[] encode(ByteLevelBpeTokenizer t, Key key) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream(1 << 20);
        DataOutputStream out = new DataOutputStream(buf);
        out.writeLong(MAGIC);
        out.writeInt(VERSION);
        out.writeLong(key.size());
        out.writeInt(key.crc());
        out.writeInt((t.addPrefixSpace() ? 1 : 0) | (t.ignoreMerges() ? 2 : 0) | (t.addsBos() ? 4 : 0));
        out.writeUTF(t.preTokenizer().name());
        out.writeInt(t.bosId());
        out.writeInt(t.eosId());
        int n = t.vocabSize();
        out.writeInt(n);
        for (int id = 0; id < n; id++) {
            out.writeByte(t.isSpecial(id) ? 1 : 0);
            byte[] s = t.token(id).getBytes(StandardCharsets.UTF_8);
            out.writeInt(s.length);
            out.write(s);
            byte[] b = t.rawTokenBytes(id);
            out.writeInt(b.length);
            out.write(b);
        }
        int m = t.mergeCount();
        out.writeInt(m);
        for (int r = 0; r < m; r++) out.writeInt(t.mergeLeft(r));
        for (int r = 0; r < m; r++) out.writeInt(t.mergeRight(r));
        for (int r = 0; r < m; r++) out.writeInt(t.mergeResult(r));
        out.flush();
        return buf.toByteArray();
    }

    static ByteLevelBpeTokenizer decode(ByteBuffer in, Key key) {
        if (in.getLong() != MAGIC || in.getInt() != VERSION || in.getLong() != key.size() || in.getInt() != key.crc()) {
            throw new IllegalArgumentException("not this source's cache");
        }
        int flags = in.getInt();
        byte[] preName = new byte[in.getShort() & 0xFFFF];
        in.get(preName);
        ByteLevelPreTokenizer pre = ByteLevelPreTokenizer.valueOf(new String(preName, StandardCharsets.US_ASCII));
        int bos = in.getInt(), eos = in.getInt();
        int n = in.getInt();
        if (n < 256 || n > in.remaining() / 9) throw new IllegalArgumentException("token count");
        String[] vocab = new String[n];
        byte[][] bytes = new byte[n][];
        boolean[] special = new boolean[n];
        byte[] raw = in.array();
        for (int id = 0; id < n; id++) {
            special[id] = in.get() != 0;
            int len = in.getInt();
            vocab[id] = new String(raw, in.position(), len, StandardCharsets.UTF_8);
            in.position(in.position() + len);
            byte[] b = new byte[in.getInt()];
            in.get(b);
            bytes[id] = b;
        }
        int m = in.getInt();
        if (m < 0 || (long) m * 12 != in.remaining()) throw new IllegalArgumentException("merge count");
        int[] left = new int[m], right = new int[m], result = new int[m];
        for (int[] a : new int[][] {left, right, result}) {
            for (int r = 0; r < m; r++) {
                int v = in.getInt();
                if (v < 0 || v >= n) throw new IllegalArgumentException("merge id");
                a[r] = v;
            }
        }
        ByteLevelBpeTokenizer t = new ByteLevelBpeTokenizer(vocab, bytes, special, left, right, result, (flags & 1) != 0, (flags & 2) != 0);
        boolean addBos = (flags & 4) != 0;
        if (pre != t.preTokenizer()) t = t.withPreTokenizer(pre);
        if (bos != t.bosId() || eos != t.eosId() || addBos != t.addsBos()) t = t.withSpecialIds(bos, eos, addBos);
        return t;
    }
}
