// One file of token ids (a "shard"): streamed out by a Writer, read back memory-mapped through
// the FFM API so corpora larger than memory, and files over 2 GiB, are read in place.
package org.llm4j.data;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.Arrays;
import org.llm4j.io.AtomicFiles;

// Format, version 1 (all integers little-endian, unsigned):
//
//   offset  size  field
//   0       8     magic, the ASCII bytes "LLM4JTOK"
//   8       4     version = 1
//   12      4     token width in bytes: 2 when vocabSize <= 65536 (every id < 65536), else 4
//   16      8     token count N
//   24      4     vocabulary size V (every id is in 0..V-1)
//   28      4     reserved, 0
//   32      N*w   the ids, each a u16 or u32
//
// The file is exactly 32 + N*w bytes; anything shorter is truncated, anything longer is refused.
public final class TokenShard implements AutoCloseable {
    public static final int HEADER_BYTES = 32;
    public static final int VERSION = 1;
    static final byte[] MAGIC = "LLM4JTOK".getBytes(StandardCharsets.US_ASCII);
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path file;
    private final Arena arena;
    private final MemorySegment ids; // (N*w) bytes, the body after the header
    private final long size;
    private final int width;
    private final int vocabSize;

    private TokenShard(Path file, Arena arena, MemorySegment ids, long size, int width, int vocabSize) {
        this.file = file;
        this.arena = arena;
        this.ids = ids;
        this.size = size;
        this.width = width;
        this.vocabSize = vocabSize;
    }

    // ---- reading ----

    public static TokenShard open(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long fileBytes = ch.size();
            if (fileBytes < HEADER_BYTES)
                throw new DatasetException(file + " is not a token shard: " + fileBytes
                        + " bytes, shorter than the " + HEADER_BYTES + "-byte header (truncated or foreign file)");
            ByteBuffer h = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            while (h.hasRemaining()) if (ch.read(h, h.position()) < 0) throw new IOException("unexpected end of file");
            h.flip();
            byte[] magic = new byte[MAGIC.length];
            h.get(magic);
            if (!Arrays.equals(magic, MAGIC))
                throw new DatasetException(file + " is not a token shard: bytes at offset 0 are " + hex(magic)
                        + ", expected the magic \"LLM4JTOK\"");
            long version = Integer.toUnsignedLong(h.getInt(8));
            if (version != VERSION)
                throw new DatasetException(file + ": unsupported token shard version " + version
                        + " at offset 8; this llm4j reads version " + VERSION);
            long width = Integer.toUnsignedLong(h.getInt(12));
            if (width != 2 && width != 4)
                throw new DatasetException(file + ": token width " + width + " at offset 12 is not 2 or 4 bytes");
            long count = h.getLong(16);
            long vocab = Integer.toUnsignedLong(h.getInt(24));
            if (vocab == 0 || vocab > Integer.MAX_VALUE)
                throw new DatasetException(file + ": vocabulary size " + vocab + " at offset 24 is not in 1.." + Integer.MAX_VALUE);
            if (width == 2 && vocab > 65536)
                throw new DatasetException(file + ": vocabulary size " + vocab + " at offset 24 does not fit 2-byte ids");
            long body = fileBytes - HEADER_BYTES;
            if (count < 0 || count > body / width)
                throw new DatasetException(file + " is truncated: the header (offset 16) says "
                        + Long.toUnsignedString(count) + " tokens of " + width + " bytes, but the file holds "
                        + body / width + " (" + fileBytes + " bytes); it ends at offset " + fileBytes);
            if (body != count * width)
                throw new DatasetException(file + ": " + (body - count * width) + " bytes after the last of "
                        + count + " tokens, from offset " + (HEADER_BYTES + count * width) + " (corrupt file)");
            Arena arena = Arena.ofShared(); // shared: sampler threads may read one shard together
            try {
                MemorySegment seg = count == 0 ? MemorySegment.ofArray(new byte[0])
                        : ch.map(FileChannel.MapMode.READ_ONLY, HEADER_BYTES, body, arena);
                return new TokenShard(file, arena, seg, count, (int) width, (int) vocab);
            } catch (IOException | RuntimeException e) {
                arena.close();
                throw e;
            }
        } catch (IOException e) {
            throw new DatasetException("cannot read token shard " + file + ": " + e, e);
        }
    }

    public Path file() { return file; }

    public long size() { return size; }

    public int width() { return width; }

    public int vocabSize() { return vocabSize; }

    public int get(long i) {
        if (i < 0 || i >= size) throw new IndexOutOfBoundsException("token " + i + " of " + size + " in " + file);
        return width == 2 ? Short.toUnsignedInt(ids.get(U16, i * 2)) : ids.get(U32, i * 4);
    }

    // dst[off .. off+len) = tokens [from, from+len)
    public void read(long from, int[] dst, int off, int len) {
        if (from < 0 || len < 0 || from > size - len)
            throw new IndexOutOfBoundsException("tokens " + from + ".." + (from + len) + " of " + size + " in " + file);
        java.util.Objects.checkFromIndexSize(off, len, dst.length);
        if (width == 4) {
            MemorySegment.copy(ids, U32, from * 4, dst, off, len);
        } else {
            long at = from * 2;
            for (int k = 0; k < len; k++, at += 2) dst[off + k] = Short.toUnsignedInt(ids.get(U16, at));
        }
    }

    // Scans every id against the vocabulary size (a shard written by another tool, or damaged).
    public TokenShard check() {
        for (long i = 0; i < size; i++) {
            long id = width == 2 ? Short.toUnsignedInt(ids.get(U16, i * 2)) : Integer.toUnsignedLong(ids.get(U32, i * 4));
            if (id >= vocabSize)
                throw new DatasetException(file + ": token " + i + " at offset " + (HEADER_BYTES + i * width)
                        + " is id " + id + ", not below the vocabulary size " + vocabSize);
        }
        return this;
    }

    // Unmaps the file; later reads fail with IllegalStateException.
    @Override
    public void close() {
        if (arena.scope().isAlive()) arena.close();
    }

    private static String hex(byte[] b) {
        var sb = new StringBuilder();
        for (byte x : b) sb.append(String.format("%02X ", x & 0xFF));
        return sb.toString().strip();
    }

    // ---- writing ----

    public static Writer writer(Path file, int vocabSize) {
        return new Writer(file, vocabSize);
    }

    public static void write(Path file, int[] tokens, int vocabSize) {
        try (Writer w = writer(file, vocabSize)) {
            w.append(tokens);
            w.commit();
        }
    }

    public static int widthFor(int vocabSize) {
        return vocabSize <= 65536 ? 2 : 4;
    }

    // Streams ids into a temporary sibling of the target; commit() fills in the count, fsyncs and
    // renames it over the target. close() without commit() deletes the temporary file, so a crash
    // or an exception never leaves a half-written shard under the target's name.
    public static final class Writer implements AutoCloseable {
        private static final SecureRandom RANDOM = new SecureRandom();
        private static final int BUFFER_BYTES = 1 << 16;

        private final Path target;
        private final Path tmp;
        private final FileChannel ch;
        private final int vocabSize;
        private final int width;
        private final ByteBuffer buf = ByteBuffer.allocate(BUFFER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        private long count;
        private boolean done;

        private Writer(Path target, int vocabSize) {
            if (vocabSize <= 0) throw new IllegalArgumentException("vocabulary size must be positive: " + vocabSize);
            this.target = target;
            this.vocabSize = vocabSize;
            this.width = widthFor(vocabSize);
            Path dir = target.toAbsolutePath().getParent();
            try {
                Files.createDirectories(dir);
                this.tmp = createTemp(dir, target.getFileName().toString());
                this.ch = FileChannel.open(tmp, StandardOpenOption.WRITE);
                buf.put(MAGIC).putInt(VERSION).putInt(width).putLong(0).putInt(vocabSize).putInt(0);
            } catch (IOException e) {
                throw new DatasetException("cannot write token shard " + target + ": " + e, e);
            }
        }

        public Writer append(int[] tokens) {
            return append(tokens, 0, tokens.length);
        }

        public Writer append(int[] tokens, int off, int len) {
            if (done) throw new IllegalStateException("token shard writer for " + target + " is closed");
            java.util.Objects.checkFromIndexSize(off, len, tokens.length);
            // validate the whole chunk first, so a refused chunk leaves the writer as it was
            for (int k = off; k < off + len; k++) {
                int id = tokens[k];
                if (id < 0 || id >= vocabSize)
                    throw new IllegalArgumentException("token id " + id + " (token " + (count + k - off) + " of "
                            + target + ") is outside the vocabulary 0.." + (vocabSize - 1));
            }
            for (int k = off; k < off + len; k++) {
                int id = tokens[k];
                if (buf.remaining() < width) {
                    try {
                        flush();
                    } catch (IOException e) {
                        close();
                        throw new DatasetException("cannot write token shard " + target + ": " + e, e);
                    }
                }
                if (width == 2) buf.putShort((short) id); else buf.putInt(id);
            }
            count += len;
            return this;
        }

        public long count() { return count; }

        public Path target() { return target; }

        public void commit() {
            if (done) throw new IllegalStateException("token shard writer for " + target + " is closed");
            try {
                flush();
                ByteBuffer n = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, count);
                while (n.hasRemaining()) ch.write(n, 16 + n.position());
                ch.force(true);
                ch.close();
                AtomicFiles.move(tmp, target);
                done = true;
            } catch (IOException e) {
                throw new DatasetException("cannot write token shard " + target + ": " + e, e);
            } finally {
                if (!done) close();
            }
        }

        @Override
        public void close() {
            if (done) return;
            done = true;
            try {
                ch.close();
            } catch (IOException ignored) {
                // the file is deleted next
            }
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException e) {
                System.err.println("llm4j: cannot delete " + tmp + ": " + e.getMessage());
            }
        }

        private void flush() throws IOException {
            buf.flip();
            while (buf.hasRemaining()) ch.write(buf);
            buf.clear();
        }

        // The AtomicFiles technique: a hidden sibling with a random suffix, created with default
        // permissions (not Files.createTempFile's 0600, which the rename would carry over).
        private static Path createTemp(Path dir, String name) throws IOException {
            for (int attempt = 0; ; attempt++) {
                Path t = dir.resolve("." + name + ".tmp-" + Long.toUnsignedString(RANDOM.nextLong(), 36));
                try {
                    return Files.createFile(t);
                } catch (FileAlreadyExistsException e) {
                    if (attempt >= 10) throw e;
                }
            }
        }
    }
}
