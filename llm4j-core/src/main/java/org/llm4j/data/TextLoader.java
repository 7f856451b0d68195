// Reads a UTF-8 text file, or a folder of *.txt files, into one String for tokenisation;
// invalid UTF-8 is refused with the file and byte offset, and a size limit bounds memory.
package org.llm4j.data;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

public final class TextLoader {
    // A String holds the whole corpus, and decoding needs the bytes, a char[] and the String at
    // once (about 5x the file); larger corpora belong in token shards, which stream.
    public static final long DEFAULT_MAX_BYTES = 1L << 30;
    private static final long MAX_ARRAY_BYTES = Integer.MAX_VALUE - 16;

    private TextLoader() {}

    public static String read(Path fileOrFolder) {
        return read(fileOrFolder, DEFAULT_MAX_BYTES);
    }

    // A folder means its *.txt files (not subfolders, not hidden files) in file-name order,
    // joined with a newline where one file does not end with one, so two files never share a line.
    public static String read(Path fileOrFolder, long maxBytes) {
        if (maxBytes <= 0 || maxBytes > MAX_ARRAY_BYTES)
            throw new IllegalArgumentException("maxBytes must be in 1.." + MAX_ARRAY_BYTES + ": " + maxBytes);
        List<Path> files = files(fileOrFolder);
        long total = 0;
        for (Path f : files) total += size(f);
        if (total > maxBytes)
            throw new DatasetException(fileOrFolder + " holds " + total + " bytes of text, more than the limit of "
                    + maxBytes + " bytes; raise the limit or convert the corpus to token shards");
        var sb = new StringBuilder((int) Math.min(total, MAX_ARRAY_BYTES));
        for (Path f : files) {
            if (!sb.isEmpty() && sb.charAt(sb.length() - 1) != '\n') sb.append('\n');
            sb.append(decode(f, readBytes(f)));
        }
        return sb.toString();
    }

    // The files read(fileOrFolder) reads, in that order.
    public static List<Path> files(Path fileOrFolder) {
        if (Files.isRegularFile(fileOrFolder)) return List.of(fileOrFolder);
        if (!Files.isDirectory(fileOrFolder)) throw new DatasetException("no such file or folder: " + fileOrFolder);
        List<Path> files = new ArrayList<>();
        try (Stream<Path> s = Files.list(fileOrFolder)) {
            s.filter(p -> {
                String n = p.getFileName().toString();
                return n.endsWith(".txt") && !n.startsWith(".") && Files.isRegularFile(p);
            }).sorted(Comparator.comparing(p -> p.getFileName().toString())).forEach(files::add);
        } catch (IOException e) {
            throw new DatasetException("cannot list folder " + fileOrFolder + ": " + e.getMessage(), e);
        }
        if (files.isEmpty()) throw new DatasetException("folder " + fileOrFolder + " holds no *.txt files");
        return files;
    }

    // Strict UTF-8 decoding: the default String constructor would silently replace bad bytes
    // with U+FFFD, and a tokenizer would then learn the replacement character.
    static String decode(Path file, byte[] bytes) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length); // UTF-8 never yields more chars than bytes
        CoderResult r = decoder.decode(in, out, true);
        if (!r.isError()) r = decoder.flush(out);
        if (r.isError()) {
            int offset = in.position();
            throw new DatasetException(file + " is not valid UTF-8: " + describe(bytes, offset, r.length())
                    + " at byte offset " + offset + " (line " + lineAt(bytes, offset) + "); convert it to UTF-8,"
                    + " e.g. iconv -f LATIN1 -t UTF-8");
        }
        out.flip();
        // A UTF-8 byte-order mark (Windows editors write one) is not text.
        if (out.hasRemaining() && out.get(0) == '\uFEFF') out.position(1);
        return out.toString();
    }

    private static String describe(byte[] bytes, int offset, int length) {
        var sb = new StringBuilder("bad byte sequence");
        for (int i = offset; i < Math.min(bytes.length, offset + Math.max(length, 1)); i++)
            sb.append(String.format(" 0x%02X", bytes[i] & 0xFF));
        return sb.toString();
    }

    private static int lineAt(byte[] bytes, int offset) {
        int line = 1;
        for (int i = 0; i < offset; i++) if (bytes[i] == '\n') line++;
        return line;
    }

    private static long size(Path f) {
        try {
            return Files.size(f);
        } catch (IOException e) {
            throw new DatasetException("cannot read " + f + ": " + e.getMessage(), e);
        }
    }

    private static byte[] readBytes(Path f) {
        try {
            return Files.readAllBytes(f);
        } catch (IOException e) {
            throw new DatasetException("cannot read " + f + ": " + e, e);
        }
    }
}
