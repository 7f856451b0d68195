// CorpusReader: every file type (gz too), inputs by folder and glob, normalization, filters,
// dedupe, a stable split, and bad input named with file and line.
package org.llm4j.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CorpusReaderTest {
    @TempDir Path dir;

    private Path write(String name, String text) throws IOException {
        Path f = dir.resolve(name);
        Files.createDirectories(f.getParent());
        Files.writeString(f, text);
        return f;
    }

    private Path writeGz(String name, String text) throws IOException {
        Path f = dir.resolve(name);
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(f))) {
            out.write(text.getBytes(StandardCharsets.UTF_8));
        }
        return f;
    }

    private static List<CorpusReader.Document> read(CorpusOptions o, Path... files) {
        var docs = new ArrayList<CorpusReader.Document>();
        new CorpusReader(o).read(List.of(files), docs::add);
        return docs;
    }

    private static List<String> texts(List<CorpusReader.Document> docs) {
        return docs.stream().map(CorpusReader.Document::text).toList();
    }

    @Test
    void readsGzippedJsonLinesByField() throws IOException {
        Path f = writeGz("a.jsonl.gz", "{\"id\":1,\"content\":\"caf\u00e9 \\\"q\\\"\"}\n\n{\"content\":\"line\\nbreak\",\"x\":[1]}\r\n");
        var docs = read(CorpusOptions.DEFAULTS.withJsonField("content"), f);
        assertThat(texts(docs)).containsExactly("caf\u00e9 \"q\"", "line\nbreak");
        assertThat(docs.get(1).line()).isEqualTo(3);
        assertThat(docs.get(1).file()).isEqualTo(f);
    }

    @Test
    void readsAQuotedCsvByNameAndATsvByIndex() throws IOException {
        Path csv = write("q.csv", "\uFEFFid,text,extra\r\n"
                + "1,plain,x\r\n"
                + "2,\"comma, inside\",y\r\n"
                + "3,\"two\r\nlines and \"\"quotes\"\"\",z\r\n"
                + "\r\n"
                + "4,\"\",w\r\n"
                + "5,bare \"quote\" kept,v\r\n");
        var docs = read(CorpusOptions.DEFAULTS.withMinChars(0), csv);
        assertThat(texts(docs)).containsExactly("plain", "comma, inside", "two\nlines and \"quotes\"", "bare \"quote\" kept");
        assertThat(docs.stream().map(CorpusReader.Document::line).toList()).containsExactly(2L, 3L, 4L, 8L);

        Path tsv = write("t.tsv", "a\tb one\n\"x\ty\"\tsecond\n");
        assertThat(texts(read(CorpusOptions.DEFAULTS.withColumn("1", false), tsv))).containsExactly("b one", "second");
        assertThat(texts(read(CorpusOptions.DEFAULTS.withColumn("0", false), tsv))).containsExactly("a", "x\ty");
    }

    @Test
    void readsTextWholeOrByParagraph() throws IOException {
        Path t = write("p.txt", "first para\nstill first\n\n\n  \nsecond\n");
        assertThat(texts(read(CorpusOptions.DEFAULTS, t))).containsExactly("first para\nstill first\n\n\n  \nsecond\n");
        var docs = read(CorpusOptions.DEFAULTS.withSplitParagraphs(true), t);
        assertThat(texts(docs)).containsExactly("first para\nstill first", "second");
        assertThat(docs.get(1).line()).isEqualTo(6);
    }

    @Test
    void expandsFoldersRecursivelyAndGlobsInSortedOrder() throws IOException {
        write("c/b.txt", "b");
        write("c/a/z.jsonl", "{\"text\":\"z\"}");
        write("c/.hidden/h.txt", "h");
        write("c/notes.md", "md");
        writeGz("c/y.csv.gz", "text\ny\n");
        var files = CorpusReader.expand(List.of(dir.resolve("c").toString()));
        assertThat(files).extracting(p -> dir.resolve("c").relativize(p).toString())
                .containsExactly("a/z.jsonl", "b.txt", "y.csv.gz");
        var globbed = CorpusReader.expand(List.of(dir + "/c/**.{txt,jsonl}"));
        assertThat(globbed).extracting(p -> p.getFileName().toString()).containsExactly("z.jsonl", "b.txt");
        assertThatThrownBy(() -> CorpusReader.expand(List.of(dir + "/c/*.nothing"))).hasMessageContaining("matched no");
        assertThatThrownBy(() -> CorpusReader.expand(List.of(dir.resolve("c/notes.md").toString())))
                .hasMessageContaining("notes.md").hasMessageContaining("unsupported");
        var stats = new CorpusReader(CorpusOptions.DEFAULTS).read(files, d -> {});
        assertThat(stats.files()).isEqualTo(3);
        assertThat(stats.keptDocuments()).isEqualTo(3);
    }

    @Test
    void normalizesDedupesAndFiltersWithStatistics() throws IOException {
        // "é" precomposed and decomposed, and the "ﬁ" ligature: NFKC makes the pairs identical
        Path f = write("d.jsonl", """
                {"text":"caf\u00e9"}
                {"text":"cafe\u0301"}
                {"text":"\ufb01ne"}
                {"text":"fine"}
                {"text":"ab"}
                {"text":"   "}
                """);
        var all = new ArrayList<CorpusReader.Document>();
        var stats = new CorpusReader(CorpusOptions.DEFAULTS.withNormalization(Normalizer.Form.NFKC).withMinChars(3))
                .read(List.of(f), all::add);
        assertThat(texts(all)).containsExactly("caf\u00e9", "fine");
        assertThat(stats.documentsRead()).isEqualTo(6);
        assertThat(stats.droppedDuplicate()).isEqualTo(2);
        assertThat(stats.droppedShort()).isEqualTo(2);
        assertThat(stats.keptChars()).isEqualTo(8);
        assertThat(stats.keptBytes()).isEqualTo(9);
        assertThat(stats.bytesRead()).isEqualTo(Files.size(f));
        // NFC keeps the ligature apart; no dedupe keeps everything long enough
        var nfc = read(CorpusOptions.DEFAULTS.withNormalization(Normalizer.Form.NFC).withDedupe(false).withMinChars(3), f);
        assertThat(texts(nfc)).containsExactly("caf\u00e9", "caf\u00e9", "\ufb01ne", "fine");
    }

    @Test
    void theSplitIsByDocumentAndStableWhenDocumentsAreAdded() throws IOException {
        var sb = new StringBuilder();
        for (int i = 0; i < 2000; i++) sb.append("document number ").append(i).append("\n\n");
        Path small = write("s.txt", sb.toString());
        for (int i = 2000; i < 3000; i++) sb.append("document number ").append(i).append("\n\n");
        Path large = write("l.txt", sb.toString());
        var o = CorpusOptions.DEFAULTS.withSplitParagraphs(true).withValFraction(0.1);
        var a = read(o, small);
        var b = read(o, large);
        long val = a.stream().filter(CorpusReader.Document::validation).count();
        assertThat(val).isBetween(140L, 260L); // ~200 of 2000
        for (int i = 0; i < a.size(); i++) {
            assertThat(b.get(i).text()).isEqualTo(a.get(i).text());
            assertThat(b.get(i).validation()).isEqualTo(a.get(i).validation());
            assertThat(CorpusReader.isValidation(a.get(i).text(), 0.1)).isEqualTo(a.get(i).validation());
        }
        assertThat(read(o.withValFraction(0), small)).noneMatch(CorpusReader.Document::validation);
    }

    // ---- bad input ----

    @Test
    void invalidUtf8NamesFileLineAndOffset() throws IOException {
        Path j = dir.resolve("bad.jsonl");
        Files.write(j, "{\"text\":\"ok\"}\n{\"text\":\"caf\u00e9\"}\n".getBytes(StandardCharsets.ISO_8859_1));
        assertThatThrownBy(() -> read(CorpusOptions.DEFAULTS, j)).isInstanceOf(DatasetException.class)
                .hasMessageContaining(j.toString()).hasMessageContaining("UTF-8").hasMessageContaining("line 2")
                .hasMessageContaining("offset 26").hasMessageContaining("0xE9");
        Path t = dir.resolve("bad.txt");
        Files.write(t, "x\ny\u00e9".getBytes(StandardCharsets.ISO_8859_1));
        assertThatThrownBy(() -> read(CorpusOptions.DEFAULTS, t)).hasMessageContaining(t.toString()).hasMessageContaining("line 2");
    }

    @Test
    void unreadableOrCorruptFilesAreNamed() throws IOException {
        Path missing = dir.resolve("gone.txt");
        assertThatThrownBy(() -> read(CorpusOptions.DEFAULTS, missing)).isInstanceOf(DatasetException.class)
                .hasMessageContaining("cannot read " + missing);
        Path notGz = write("fake.jsonl.gz", "{\"text\":\"plain\"}\n");
        assertThatThrownBy(() -> read(CorpusOptions.DEFAULTS, notGz)).hasMessageContaining("cannot read " + notGz);
        Path dirNamedTxt = Files.createDirectory(dir.resolve("folder.txt"));
        assertThatThrownBy(() -> read(CorpusOptions.DEFAULTS, dirNamedTxt)).hasMessageContaining(dirNamedTxt.toString());
    }

    @Test
    void badJsonLinesAreNamed() throws IOException {
        Path notJson = write("n.jsonl", "{\"text\":\"a\"}\n{text: b}\n");
        assertThatThrownBy(() -> read(CorpusOptions.DEFAULTS, notJson)).hasMessageContaining(notJson + " line 2")
                .hasMessageContaining("not valid JSON");
        Path trailing = write("tr.jsonl", "{\"text\":\"a\"} {\"text\":\"b\"}\n");
        assertThatThrownBy(() -> read(CorpusOptions.DEFAULTS, trailing)).hasMessageContaining(trailing + " line 1");
        Path array = write("arr.jsonl", "[1,2]\n");
        assertThatThrownBy(() -> read(CorpusOptions.DEFAULTS, array)).hasMessageContaining("expected a JSON object");
        Path noField = write("nf.jsonl", "{\"text\":\"a\"}\n{\"body\":\"b\",\"id\":2}\n");
        assertThatThrownBy(() -> read(CorpusOptions.DEFAULTS, noField)).hasMessageContaining(noField + " line 2")
                .hasMessageContaining("no field \"text\"").hasMessageContaining("body, id");
        Path number = write("num.jsonl", "{\"text\":5}\n");
        assertThatThrownBy(() -> read(CorpusOptions.DEFAULTS, number)).hasMessageContaining("not a string");
    }

    @Test
    void badCsvIsNamed() throws IOException {
        Path noCol = write("nc.csv", "id,body\n1,x\n");
        assertThatThrownBy(() -> read(CorpusOptions.DEFAULTS, noCol)).hasMessageContaining(noCol + " line 1")
                .hasMessageContaining("no column \"text\"").hasMessageContaining("id, body");
        Path shortRow = write("sr.csv", "id,text\n1,a\n2\n");
        assertThatThrownBy(() -> read(CorpusOptions.DEFAULTS, shortRow)).hasMessageContaining(shortRow + " line 3")
                .hasMessageContaining("row has 1 fields");
        Path open = write("open.csv", "text\n\"never\nclosed\n");
        assertThatThrownBy(() -> read(CorpusOptions.DEFAULTS, open)).hasMessageContaining(open + " line 2")
                .hasMessageContaining("never closed");
        Path after = write("after.csv", "text\n\"a\"b\n");
        assertThatThrownBy(() -> read(CorpusOptions.DEFAULTS, after)).hasMessageContaining(after + " line 2")
                .hasMessageContaining("after the closing quote");
        Path index = write("ix.tsv", "a\tb\n");
        assertThatThrownBy(() -> read(CorpusOptions.DEFAULTS.withColumn("5", false), index))
                .hasMessageContaining(index + " line 1").hasMessageContaining("no column 5");
    }

    @Test
    void documentsOverTheLimitAreRefusedNotBuffered() throws IOException {
        Path j = write("long.jsonl", "{\"text\":\"" + "x".repeat(5000) + "\"}\n");
        assertThatThrownBy(() -> read(CorpusOptions.DEFAULTS.withMaxDocumentBytes(1000), j))
                .hasMessageContaining(j + " line 1").hasMessageContaining("limit");
        Path t = write("long.txt", "y".repeat(5000));
        assertThatThrownBy(() -> read(CorpusOptions.DEFAULTS.withMaxDocumentBytes(1000), t)).hasMessageContaining(t.toString());
    }

    // readPieces (tokenizer training) sees the same documents and statistics as read, with whole
    // .txt files streamed in blocks: BOM, CRLF, normalization across block ends, duplicates,
    // blank files, .gz, and other file types passed through whole.
    @Test
    void readPiecesGivesTheDocumentsOfRead() throws IOException {
        var big = new StringBuilder("\uFEFF");
        var r = new java.util.Random(7);
        while (big.length() < 3_000_000) {
            big.append(r.nextInt(5) == 0 ? "ﬁne cafe\u0301 😀 " : "word ").append(r.nextInt(40) == 0 ? "\r\n" : "");
            if (r.nextInt(200) == 0) big.append('\n');
        }
        Path a = write("a.txt", big.toString());
        Path dup = write("dup.txt", big.toString());
        Path blank = write("blank.txt", " \n\t\n");
        Path gz = writeGz("c.txt.gz", "gzipped e\u0301 text\n" + big.substring(1, 50_000));
        Path jsonl = write("d.jsonl", "{\"text\":\"x\"}\n{\"text\":\"ﬁ\"}\n");
        for (CorpusOptions o : List.of(CorpusOptions.DEFAULTS, CorpusOptions.DEFAULTS.withNormalization(Normalizer.Form.NFKC).withMinChars(2))) {
            var docs = new ArrayList<String>();
            CorpusStats whole = new CorpusReader(o).read(List.of(a, dup, blank, gz, jsonl), d -> docs.add(d.text()));
            var streamed = new ArrayList<String>();
            var current = new StringBuilder();
            int[] pieces = {0};
            CorpusStats pieced = new CorpusReader(o).readPieces(List.of(a, dup, blank, gz, jsonl), (text, end) -> {
                pieces[0]++;
                current.append(text);
                if (end) {
                    streamed.add(current.toString());
                    current.setLength(0);
                }
            }, null);
            assertThat(streamed).isEqualTo(docs);
            assertThat(pieced).isEqualTo(whole);
            assertThat(pieces[0]).isGreaterThan(docs.size() + 2);
        }
    }

    @Test
    void readPiecesNamesTheFileOffsetAndLineOfInvalidUtf8() throws IOException {
        Path f = dir.resolve("bad.txt");
        byte[] head = "line\n".repeat(400_000).getBytes(StandardCharsets.UTF_8); // 2,000,000 bytes: past the first block
        byte[] bytes = java.util.Arrays.copyOf(head, head.length + 3);
        bytes[head.length] = 'a';
        bytes[head.length + 1] = (byte) 0xC3; // a lead byte followed by ASCII
        bytes[head.length + 2] = '(';
        Files.write(f, bytes);
        assertThatThrownBy(() -> new CorpusReader(CorpusOptions.DEFAULTS).readPieces(List.of(f), (t, e) -> {}, null))
                .isInstanceOf(DatasetException.class)
                .hasMessageContaining(f.toString()).hasMessageContaining("byte offset 2000001").hasMessageContaining("line 400001");
    }
}
