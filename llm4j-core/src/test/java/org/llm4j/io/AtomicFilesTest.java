// AtomicFiles: a finished write replaces the target; a failed one leaves it and no temp file.
package org.llm4j.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
    @TempDir Path dir;

    @Test
    void writesNewFileCreatingParentFolders() throws IOException {
        Path target = dir.resolve("a/b/model.safetensors");
        AtomicFiles.writeBytes(target, new byte[] {1, 2, 3});
        assertThat(Files.readAllBytes(target)).containsExactly(1, 2, 3);
        assertThat(siblings(target.getParent())).containsExactly("model.safetensors");
    }

    @Test
    void replacesAnExistingFile() throws IOException {
        Path target = dir.resolve("config.json");
        AtomicFiles.writeString(target, "old");
        AtomicFiles.writeString(target, "new \u00e9");
        assertThat(Files.readString(target)).isEqualTo("new \u00e9");
        assertThat(siblings(dir)).containsExactly("config.json");
    }

    @Test
    void bodyThatThrowsHalfwayLeavesThePreviousFileAndNoTempFile() throws IOException {
        Path target = dir.resolve("checkpoint.bin");
        AtomicFiles.writeString(target, "previous");
        assertThatThrownBy(() -> AtomicFiles.write(target, out -> {
            out.write(new byte[100_000]); // past the buffer, so bytes did reach the temp file
            throw new IOException("disk full");
        })).isInstanceOf(IOException.class).hasMessage("disk full");
        assertThatThrownBy(() -> AtomicFiles.write(target, out -> {
            out.write(42);
            throw new IllegalStateException("bug in the writer");
        })).isInstanceOf(IllegalStateException.class);
        assertThat(Files.readString(target)).isEqualTo("previous");
        assertThat(siblings(dir)).containsExactly("checkpoint.bin");
    }

    @Test
    void bodyMayCloseTheStreamItIsGiven() throws IOException {
        Path target = dir.resolve("notes.txt");
        AtomicFiles.write(target, out -> {
            try (Writer w = new OutputStreamWriter(out, StandardCharsets.UTF_8)) {
                w.write("hello");
            }
        });
        assertThat(Files.readString(target)).isEqualTo("hello");
    }

    @Test
    void moveReplacesTarget() throws IOException {
        Path src = dir.resolve("x.part");
        Path target = dir.resolve("x");
        Files.writeString(src, "fresh");
        Files.writeString(target, "stale");
        AtomicFiles.fsync(src);
        AtomicFiles.move(src, target);
        assertThat(Files.readString(target)).isEqualTo("fresh");
        assertThat(src).doesNotExist();
    }

    private static List<String> siblings(Path folder) throws IOException {
        try (Stream<Path> s = Files.list(folder)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
