// TextLoader: files and folders of UTF-8 text, strict decoding, size limit.
package org.llm4j.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TextLoaderTest {
    @TempDir Path dir;

    @Test
    void readsAFileAndDropsAByteOrderMark() throws IOException {
        Path f = dir.resolve("a.txt");
        Files.write(f, ("\uFEFFh\u00e9llo \uD83D\uDE00\n").getBytes(StandardCharsets.UTF_8));
        assertThat(TextLoader.read(f)).isEqualTo("h\u00e9llo \uD83D\uDE00\n");
    }

    @Test
    void readsAFolderOfTxtFilesInNameOrder() throws IOException {
        Files.writeString(dir.resolve("b.txt"), "second\n");
        Files.writeString(dir.resolve("a.txt"), "first"); // no final newline: one is added
        Files.writeString(dir.resolve("c.md"), "not text corpus");
        Files.writeString(dir.resolve(".hidden.txt"), "temp file");
        Files.createDirectory(dir.resolve("sub.txt"));
        assertThat(TextLoader.files(dir)).extracting(p -> p.getFileName().toString()).containsExactly("a.txt", "b.txt");
        assertThat(TextLoader.read(dir)).isEqualTo("first\nsecond\n");
    }

    @Test
    void invalidUtf8NamesTheFileOffsetAndLine() throws IOException {
        Path f = dir.resolve("latin1.txt");
        byte[] bytes = "ok\ncaf\u00e9!".getBytes(StandardCharsets.ISO_8859_1); // 0xE9 alone is not UTF-8
        Files.write(f, bytes);
        assertThatThrownBy(() -> TextLoader.read(f))
                .isInstanceOf(DatasetException.class)
                .hasMessageContaining(f.toString())
                .hasMessageContaining("byte offset 6")
                .hasMessageContaining("line 2")
                .hasMessageContaining("0xE9");
    }

    @Test
    void truncatedSequenceAtTheEndIsRefused() throws IOException {
        Path f = dir.resolve("cut.txt");
        Files.write(f, new byte[] {'a', (byte) 0xE2, (byte) 0x82}); // first two bytes of the euro sign
        assertThatThrownBy(() -> TextLoader.read(f)).isInstanceOf(DatasetException.class)
                .hasMessageContaining("byte offset 1");
    }

    @Test
    void sizeLimitIsChecked() throws IOException {
        Path f = dir.resolve("big.txt");
        Files.writeString(f, "x".repeat(1000));
        assertThat(TextLoader.read(f, 1000)).hasSize(1000);
        assertThatThrownBy(() -> TextLoader.read(f, 999)).isInstanceOf(DatasetException.class)
                .hasMessageContaining("1000 bytes").hasMessageContaining("999");
    }

    @Test
    void missingPathAndEmptyFolderAreClearErrors() throws IOException {
        assertThatThrownBy(() -> TextLoader.read(dir.resolve("nope.txt")))
                .isInstanceOf(DatasetException.class).hasMessageContaining("no such file or folder");
        Path empty = Files.createDirectory(dir.resolve("empty"));
        assertThatThrownBy(() -> TextLoader.read(empty))
                .isInstanceOf(DatasetException.class).hasMessageContaining("no *.txt files");
    }
}
