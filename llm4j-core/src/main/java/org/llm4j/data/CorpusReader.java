// Corpus ingestion: documents from .txt, .jsonl, .csv and .tsv files (each optionally .gz) in
// files, folders and globs, normalized, filtered, deduplicated and split train/validation.
package org.llm4j.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.LongConsumer;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.llm4j.util.Progress;

public final class CorpusReader {
    // One kept document. line: 1-based line where it starts (0 for a whole .txt file).
    public record Document(String text, Path file, long line, boolean validation) {}

    private enum Kind { TXT, JSONL, CSV, TSV }

    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    private static final String SUFFIXES = ".txt, .jsonl, .csv or .tsv, optionally followed by .gz";

    private final CorpusOptions options;

    public CorpusReader(CorpusOptions options) {
        this.options = options;
    }

    public CorpusOptions options() { return options; }

    // ---- inputs ----

    // Files as given; folders walked recursively (hidden entries and other file types skipped);
    // globs (java.nio PathMatcher syntax: *, **, ?, [..], {a,b}) matched under their fixed prefix.
    // Each folder or glob contributes its files sorted by path; duplicates are listed once.
    public static List<Path> expand(List<String> inputs) {
        var out = new LinkedHashSet<Path>();
        for (String spec : inputs) {
            int glob = firstGlobChar(spec);
            if (glob >= 0) {
                int slash = Math.max(spec.lastIndexOf('/', glob), spec.lastIndexOf(java.io.File.separatorChar, glob));
                Path base = slash < 0 ? Path.of("") : Path.of(slash == 0 ? "/" : spec.substring(0, slash));
                PathMatcher m = FileSystems.getDefault().getPathMatcher("glob:" + spec);
                List<Path> hits = walk(base, spec).stream().filter(m::matches).toList();
                if (hits.isEmpty()) throw new DatasetException("glob " + spec + " matched no corpus files (" + SUFFIXES + ")");
                out.addAll(hits);
                continue;
            }
            Path p = Path.of(spec);
            if (Files.isRegularFile(p)) {
                if (kindOf(p) == null) throw new DatasetException(p + ": unsupported corpus file type; expected " + SUFFIXES);
                out.add(p);
            } else if (Files.isDirectory(p)) {
                List<Path> files = walk(p, spec);
                if (files.isEmpty()) throw new DatasetException("folder " + p + " holds no corpus files (" + SUFFIXES + ")");
                out.addAll(files);
            } else {
                throw new DatasetException("no such corpus file or folder: " + p);
            }
        }
        return List.copyOf(out);
    }

    public static long totalBytes(List<Path> files) {
        long total = 0;
        for (Path f : files) {
            try {
                total += Files.size(f);
            } catch (IOException e) {
                throw new DatasetException("cannot read " + f + ": " + e, e);
            }
        }
        return total;
    }

    private static int firstGlobChar(String s) {
        for (int i = 0; i < s.length(); i++) if ("*?[{".indexOf(s.charAt(i)) >= 0) return i;
        return -1;
    }

    private static List<Path> walk(Path base, String spec) {
        try (Stream<Path> s = Files.walk(base)) {
            return s.filter(p -> !hidden(base, p) && Files.isRegularFile(p) && kindOf(p) != null)
                    .sorted().toList();
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new DatasetException("cannot list " + spec + ": " + e.getMessage(), e);
        }
    }

    private static boolean hidden(Path base, Path p) {
        for (Path part : base.relativize(p)) if (part.toString().startsWith(".")) return true;
        return false;
    }

    private static Kind kindOf(Path p) {
        String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
        if (n.endsWith(".gz")) n = n.substring(0, n.length() - 3);
        if (n.endsWith(".txt")) return Kind.TXT;
        if (n.endsWith(".jsonl")) return Kind.JSONL;
        if (n.endsWith(".csv")) return Kind.CSV;
        if (n.endsWith(".tsv")) return Kind.TSV;
        return null;
    }

    // ---- the split ----

    // Validation iff the first 53 bits of SHA-256(UTF-8 text), as a fraction in [0, 1), fall below
    // valFraction. Depends on the text alone, so adding documents never moves an old one.
    public static boolean isValidation(String text, double valFraction) {
        return isValidation(sha256(text.getBytes(StandardCharsets.UTF_8)), valFraction);
    }

    private static boolean isValidation(byte[] digest, double valFraction) {
        long h = 0;
        for (int i = 0; i < 8; i++) h = h << 8 | (digest[i] & 0xFF);
        return (h >>> 11) * 0x1.0p-53 < valFraction;
    }

    private static byte[] sha256(byte[] bytes) {
        return newSha256().digest(bytes);
    }

    private static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    // ---- reading ----

    public CorpusStats read(List<Path> files, Consumer<Document> sink) {
        return read(files, sink, null);
    }

    // progress (may be null) is stepped by compressed bytes of input, against totalBytes(files).
    public CorpusStats read(List<Path> files, Consumer<Document> sink, Progress progress) {
        var pass = new Pass(sink);
        read(files, pass, progress);
        return pass.stats();
    }

    private void read(List<Path> files, Pass pass, Progress progress) {
        for (Path f : files) {
            Kind kind = kindOf(f);
            if (kind == null) throw new DatasetException(f + ": unsupported corpus file type; expected " + SUFFIXES);
            pass.files++;
            try (InputStream raw = Files.newInputStream(f);
                 InputStream counted = new Counting(raw, progress == null ? n -> {} : progress::step);
                 InputStream plain = f.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".gz")
                         ? new GZIPInputStream(counted, 1 << 16) : counted;
                 InputStream in = new BufferedInputStream(new Counting(plain, n -> pass.bytesRead += n), 1 << 16)) {
                switch (kind) {
                    case TXT -> readText(f, in, pass);
                    case JSONL -> readJsonl(f, in, pass);
                    case CSV -> readDelimited(f, in, ',', pass);
                    case TSV -> readDelimited(f, in, '\t', pass);
                }
            } catch (IOException e) {
                throw new DatasetException("cannot read " + f + ": " + e, e);
            }
        }
    }

    /** Where readPieces sends text: the pieces of one document in order, the last with endOfDocument. */
    public interface Pieces {
        void accept(String text, boolean endOfDocument);
    }

    /**
     * As read, for consumers that need only the text (tokenizer training): the same documents,
     * filters and statistics, but a whole-file .txt document is never held in memory. It is
     * decoded and normalized in blocks of about a MiB cut at line ends, first to decide whether
     * it is kept (length, duplicate: a SHA-256 of its normalized text, as read computes), then to
     * send the blocks. Other documents arrive as one piece. progress steps by input bytes.
     */
    public CorpusStats readPieces(List<Path> files, Pieces sink, Progress progress) {
        var pass = new Pass(d -> sink.accept(d.text(), true));
        for (Path f : files) {
            Kind kind = kindOf(f);
            if (kind == null) throw new DatasetException(f + ": unsupported corpus file type; expected " + SUFFIXES);
            if (kind != Kind.TXT || options.splitParagraphs()) {
                read(List.of(f), pass, progress);
                continue;
            }
            pass.files++;
            var doc = new StreamedDocument();
            blocks(f, null, doc::add, pass);
            if (pass.admit(doc.digest.digest(), doc.chars, doc.blank, doc.bytes)) {
                blocks(f, progress, text -> sink.accept(text, false), null);
                sink.accept("", true);
            } else if (progress != null) {
                progress.step(fileSize(f));
            }
        }
        return pass.stats();
    }

    // Length, blankness and hash of a document seen block by block.
    private static final class StreamedDocument {
        final MessageDigest digest = newSha256();
        long chars, bytes;
        boolean blank = true;

        void add(String text) {
            byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
            digest.update(utf8);
            bytes += utf8.length;
            chars += text.codePointCount(0, text.length());
            if (blank && !text.isBlank()) blank = false;
        }
    }

    // Decodes f strictly as UTF-8 in blocks, drops a leading BOM, normalizes, and sends text cut
    // after a '\n' (a boundary that no normalization form moves) to out. counter (may be null)
    // counts the plain bytes into the pass statistics.
    private void blocks(Path f, Progress progress, Consumer<String> out, Pass counter) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        int block = 1 << 20;
        ByteBuffer bytes = ByteBuffer.allocate(block);
        CharBuffer chars = CharBuffer.allocate(block);   // UTF-8 never gives more chars than bytes
        var carry = new StringBuilder();
        long decoded = 0, lines = 1;
        boolean first = true;
        try (InputStream raw = Files.newInputStream(f);
             InputStream counted = new Counting(raw, progress == null ? n -> {} : progress::step);
             InputStream in = f.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".gz")
                     ? new GZIPInputStream(counted, 1 << 16) : counted) {
            boolean eof = false;
            while (!eof) {
                int n = in.read(bytes.array(), bytes.position(), bytes.remaining());
                if (n < 0) eof = true;
                else bytes.position(bytes.position() + n);
                if (counter != null && n > 0) counter.bytesRead += n;
                bytes.flip();
                CoderResult r = decoder.decode(bytes, chars, eof);
                if (!r.isError() && eof) r = decoder.flush(chars);
                chars.flip();
                String text = chars.toString();
                chars.clear();
                if (r.isError()) {
                    for (int i = 0; i < text.length(); i++) if (text.charAt(i) == '\n') lines++;
                    var sb = new StringBuilder();
                    for (int i = bytes.position(); i < Math.min(bytes.limit(), bytes.position() + Math.max(1, r.length())); i++)
                        sb.append(String.format(" 0x%02X", bytes.get(i) & 0xFF));
                    throw new DatasetException(f + " is not valid UTF-8: bad byte sequence" + sb + " at byte offset "
                            + (decoded + bytes.position()) + " (line " + lines + "); convert it to UTF-8, e.g. iconv -f LATIN1 -t UTF-8");
                }
                decoded += bytes.position();
                bytes.compact();
                if (first && !text.isEmpty()) {
                    if (text.charAt(0) == '\uFEFF') text = text.substring(1);
                    first = false;
                }
                for (int i = 0; i < text.length(); i++) if (text.charAt(i) == '\n') lines++;
                carry.append(text);
                int cut = eof ? carry.length() : carry.lastIndexOf("\n") + 1;
                if (cut == 0 && options.normalization() == null) cut = carry.length(); // no line end yet: nothing to normalize across
                if (cut == 0 && carry.length() > options.maxDocumentBytes())
                    throw new DatasetException(f + " line " + lines + ": longer than the limit of " + options.maxDocumentBytes() + " bytes");
                if (cut > 0) {
                    String piece = carry.substring(0, cut);
                    carry.delete(0, cut);
                    if (options.normalization() != null) piece = Normalizer.normalize(piece, options.normalization());
                    if (!piece.isEmpty()) out.accept(piece);
                }
            }
        } catch (IOException e) {
            throw new DatasetException("cannot read " + f + ": " + e, e);
        }
    }

    private static long fileSize(Path f) {
        try {
            return Files.size(f);
        } catch (IOException e) {
            throw new DatasetException("cannot read " + f + ": " + e, e);
        }
    }

    private void readText(Path f, InputStream in, Pass pass) throws IOException {
        if (!options.splitParagraphs()) {
            byte[] bytes = in.readNBytes((int) options.maxDocumentBytes() + 1);
            if (bytes.length > options.maxDocumentBytes())
                throw new DatasetException(f + " is larger than the " + options.maxDocumentBytes()
                        + "-byte document limit; split it into paragraphs or raise the limit");
            pass.offer(TextLoader.decode(f, bytes), f, 0);
            return;
        }
        // Paragraphs: runs of non-blank lines; one or more blank lines end a document.
        var lines = new Lines(f, in, options.maxDocumentBytes());
        var doc = new StringBuilder();
        long start = 0;
        for (String line; (line = lines.next()) != null; ) {
            if (line.isBlank()) {
                if (!doc.isEmpty()) pass.offer(doc.toString(), f, start);
                doc.setLength(0);
                continue;
            }
            if (doc.isEmpty()) start = lines.number();
            else doc.append('\n');
            doc.append(line);
            if (doc.length() > options.maxDocumentBytes())
                throw new DatasetException(f + " line " + start + ": paragraph longer than the document limit of "
                        + options.maxDocumentBytes() + " bytes");
        }
        if (!doc.isEmpty()) pass.offer(doc.toString(), f, start);
    }

    // JSON Lines (jsonlines.org): one JSON object per line; blank lines are skipped.
    private void readJsonl(Path f, InputStream in, Pass pass) {
        var lines = new Lines(f, in, options.maxDocumentBytes());
        String field = options.jsonField();
        for (String line; (line = lines.next()) != null; ) {
            if (line.isBlank()) continue;
            JsonNode node;
            try {
                node = JSON.readTree(line);
            } catch (JsonProcessingException e) {
                throw new DatasetException(f + " line " + lines.number() + ": not valid JSON: " + e.getOriginalMessage());
            }
            if (!node.isObject())
                throw new DatasetException(f + " line " + lines.number() + ": expected a JSON object, found " + node.getNodeType());
            JsonNode v = node.get(field);
            if (v == null)
                throw new DatasetException(f + " line " + lines.number() + ": no field \"" + field + "\" (fields: "
                        + String.join(", ", (Iterable<String>) node::fieldNames) + ")");
            if (!v.isTextual())
                throw new DatasetException(f + " line " + lines.number() + ": field \"" + field + "\" is "
                        + v.getNodeType() + ", not a string");
            pass.offer(v.textValue(), f, lines.number());
        }
    }

    // RFC 4180: fields separated by the delimiter; a field in double quotes may hold delimiters,
    // line breaks and "" (one quote). A quote inside an unquoted field is kept as text, as most
    // writers and readers do; text after a closing quote is an error. Blank lines are skipped.
    private void readDelimited(Path f, InputStream in, char delim, Pass pass) {
        var lines = new Lines(f, in, options.maxDocumentBytes());
        int col = -1;
        String column = options.column();
        boolean isIndex = column.chars().allMatch(Character::isDigit);
        if (!options.header()) col = Integer.parseInt(column);
        for (List<String> row; (row = nextRecord(f, lines, delim)) != null; ) {
            if (col < 0) {
                col = row.indexOf(column);
                if (col < 0 && isIndex && Integer.parseInt(column) < row.size()) col = Integer.parseInt(column);
                if (col < 0)
                    throw new DatasetException(f + " line " + lines.recordStart() + ": no column \"" + column
                            + "\" in the header (" + String.join(", ", row) + ")");
                continue;
            }
            if (row.size() <= col)
                throw new DatasetException(f + " line " + lines.recordStart() + ": row has " + row.size()
                        + " fields, no column " + (isIndex ? column : "\"" + column + "\" (index " + col + ")"));
            pass.offer(row.get(col), f, lines.recordStart());
        }
    }

    private List<String> nextRecord(Path f, Lines lines, char delim) {
        String line;
        do {
            line = lines.next();
            if (line == null) return null;
        } while (line.isEmpty());
        lines.markRecordStart();
        var fields = new ArrayList<String>();
        var field = new StringBuilder();
        long recordChars = 0;
        boolean inQuotes = false, fieldStart = true, afterQuote = false;
        while (true) {
            for (int i = 0; i < line.length(); i++) {
                char c = line.charAt(i);
                if (inQuotes) {
                    if (c != '"') field.append(c);
                    else if (i + 1 < line.length() && line.charAt(i + 1) == '"') { field.append('"'); i++; }
                    else { inQuotes = false; afterQuote = true; }
                } else if (c == delim) {
                    fields.add(field.toString());
                    field.setLength(0);
                    fieldStart = true;
                    afterQuote = false;
                } else if (afterQuote) {
                    throw new DatasetException(f + " line " + lines.number() + ": character '" + c
                            + "' after the closing quote of field " + (fields.size() + 1) + " (RFC 4180 allows only a "
                            + (delim == '\t' ? "tab" : "'" + delim + "'") + " or the line end)");
                } else if (c == '"' && fieldStart) {
                    inQuotes = true;
                    fieldStart = false;
                } else {
                    field.append(c);
                    fieldStart = false;
                }
            }
            if (!inQuotes) break;
            recordChars += line.length() + 1;
            if (recordChars > options.maxDocumentBytes())
                throw new DatasetException(f + " line " + lines.recordStart() + ": record longer than the limit of "
                        + options.maxDocumentBytes() + " bytes (an unbalanced quote?)");
            line = lines.next();
            if (line == null)
                throw new DatasetException(f + " line " + lines.recordStart() + ": quoted field never closed before the end of the file");
            field.append('\n'); // a line break inside quotes is part of the field (CRLF read as \n)
        }
        fields.add(field.toString());
        return fields;
    }

    // Normalization, filters, dedupe, split and statistics of one read() call.
    private final class Pass {
        private final Consumer<Document> sink;
        private final Set<Key> seen = new HashSet<>();
        long files, bytesRead, documentsRead, droppedShort, droppedDuplicate, train, validation, keptChars, keptBytes;

        Pass(Consumer<Document> sink) {
            this.sink = sink;
        }

        // 128 bits of SHA-256: a collision among even 10^12 documents is vanishingly unlikely.
        private record Key(long hi, long lo) {}

        void offer(String text, Path file, long line) {
            if (options.normalization() != null) text = Normalizer.normalize(text, options.normalization());
            byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
            byte[] digest = sha256(utf8);
            if (admit(digest, text.codePointCount(0, text.length()), text.isBlank(), utf8.length))
                sink.accept(new Document(text, file, line, isValidation(digest, options.valFraction())));
        }

        // The filters, dedupe and counts for one document, from its normalized text's SHA-256,
        // code points, blankness and UTF-8 length. True when it is kept.
        boolean admit(byte[] digest, long chars, boolean blank, long utf8Bytes) {
            documentsRead++;
            if (chars < options.minChars() || blank) {
                droppedShort++;
                return false;
            }
            if (options.dedupe()) {
                ByteBuffer d = ByteBuffer.wrap(digest);
                if (!seen.add(new Key(d.getLong(0), d.getLong(8)))) {
                    droppedDuplicate++;
                    return false;
                }
            }
            if (isValidation(digest, options.valFraction())) validation++; else train++;
            keptChars += chars;
            keptBytes += utf8Bytes;
            return true;
        }

        CorpusStats stats() {
            return new CorpusStats(files, bytesRead, documentsRead, droppedShort, droppedDuplicate, train, validation,
                    keptChars, keptBytes);
        }
    }

    // Lines of a byte stream, decoded strictly as UTF-8 one at a time, so an error names the line
    // and the byte offset. "\n" ends a line; a "\r" before it is dropped; a leading BOM is skipped.
    private static final class Lines {
        private final Path file;
        private final InputStream in;
        private final long max;
        private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        private byte[] buf = new byte[256];
        private long number;      // of the line last returned, 1-based
        private long offset;      // byte offset of the next line
        private long recordStart;

        Lines(Path file, InputStream in, long max) {
            this.file = file;
            this.in = in;
            this.max = max;
        }

        long number() { return number; }

        void markRecordStart() { recordStart = number; }

        long recordStart() { return recordStart; }

        String next() {
            int len = 0;
            int b;
            try {
                while ((b = in.read()) >= 0 && b != '\n') {
                    if (len == buf.length) {
                        if (len >= max)
                            throw new DatasetException(file + " line " + (number + 1) + ": longer than the limit of " + max + " bytes");
                        buf = Arrays.copyOf(buf, (int) Math.min(max + 1, 2L * len));
                    }
                    buf[len++] = (byte) b;
                }
                if (b < 0 && len == 0) return null;
            } catch (IOException e) {
                throw new DatasetException("cannot read " + file + " at line " + (number + 1) + ": " + e, e);
            }
            long start = offset;
            offset += len + (b < 0 ? 0 : 1);
            number++;
            int n = len > 0 && buf[len - 1] == '\r' ? len - 1 : len;
            ByteBuffer bytes = ByteBuffer.wrap(buf, 0, n);
            CharBuffer chars = CharBuffer.allocate(n);
            decoder.reset();
            CoderResult r = decoder.decode(bytes, chars, true);
            if (!r.isError()) r = decoder.flush(chars);
            if (r.isError()) {
                int at = bytes.position();
                var sb = new StringBuilder();
                for (int i = at; i < Math.min(n, at + Math.max(1, r.length())); i++) sb.append(String.format(" 0x%02X", buf[i] & 0xFF));
                throw new DatasetException(file + " is not valid UTF-8: bad byte sequence" + sb + " at byte offset "
                        + (start + at) + " (line " + number + "); convert it to UTF-8, e.g. iconv -f LATIN1 -t UTF-8");
            }
            chars.flip();
            if (number == 1 && chars.hasRemaining() && chars.get(0) == '\uFEFF') chars.position(1);
            return chars.toString();
        }
    }

    // Counts bytes that pass through, e.g. to step a progress bar by compressed input.
    private static final class Counting extends FilterInputStream {
        private final LongConsumer counter;

        Counting(InputStream in, LongConsumer counter) {
            super(in);
            this.counter = counter;
        }

        @Override public int read() throws IOException {
            int b = super.read();
            if (b >= 0) counter.accept(1);
            return b;
        }

        @Override public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) counter.accept(n);
            return n;
        }
    }
}
