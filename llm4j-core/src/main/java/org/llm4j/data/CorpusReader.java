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
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
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
        return pass.stats();
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
            documentsRead++;
            if (options.normalization() != null) text = Normalizer.normalize(text, options.normalization());
            int chars = text.codePointCount(0, text.length());
            if (chars < options.minChars() || text.isBlank()) {
                droppedShort++;
                return;
            }
            byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
            byte[] digest = sha256(utf8);
            if (options.dedupe()) {
                ByteBuffer d = ByteBuffer.wrap(digest);
                if (!seen.add(new Key(d.getLong(0), d.getLong(8)))) {
                    droppedDuplicate++;
                    return;
                }
            }
            boolean val = isValidation(digest, options.valFraction());
            if (val) validation++; else train++;
            keptChars += chars;
            keptBytes += utf8.length;
            sink.accept(new Document(text, file, line, val));
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
