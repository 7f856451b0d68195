// Crash-safe file writes: write a temporary sibling, fsync it, rename it over the target, fsync
// the folder. A reader sees the old file or the new one, never half of one (DESIGN.md, Files).
package org.llm4j.io;

import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;

public final class AtomicFiles {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int BUFFER_BYTES = 1 << 16;

    private AtomicFiles() {}

    // Runs body on a buffered stream into a temporary file beside target, then replaces target
    // with it. If body (or anything after it) fails, target is untouched and the temporary file
    // is gone. body may close the stream it is given; that only flushes it.
    public static void write(Path target, IOConsumer<? super OutputStream> body) throws IOException {
        Path dir = parentOf(target);
        Files.createDirectories(dir);
        Path tmp = null;
        try {
            tmp = createTemp(dir, target.getFileName().toString());
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                var buffered = new BufferedOutputStream(Channels.newOutputStream(ch), BUFFER_BYTES);
                body.accept(new FilterOutputStream(buffered) {
                    // NOTE: FilterOutputStream.write(byte[],int,int) writes byte by byte; delegate.
                    @Override public void write(byte[] b, int off, int len) throws IOException {
                        buffered.write(b, off, len);
                    }
                    // A body that wraps the stream in a Writer and closes it must not close the
                    // channel before we force it to disk.
                    @Override public void close() throws IOException {
                        buffered.flush();
                    }
                });
                buffered.flush();
                ch.force(true);
            }
            move(tmp, target);
        } catch (Throwable e) {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
    }

    public static void writeString(Path target, String text) throws IOException {
        writeBytes(target, text.getBytes(StandardCharsets.UTF_8));
    }

    public static void writeBytes(Path target, byte[] bytes) throws IOException {
        write(target, out -> out.write(bytes));
    }

    // Renames source over target atomically where the file system can (same folder or at least
    // the same file system), then fsyncs target's folder so the rename itself survives a crash.
    // source should already be fsynced; see fsync.
    public static void move(Path source, Path target) throws IOException {
        try {
            Files.move(source, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            // E.g. source and target on different file systems: a copy, not crash-safe, but the
            // best the platform offers.
            Files.move(source, target, StandardCopyOption.REPLACE_EXISTING);
        }
        fsyncDirectory(parentOf(target));
    }

    // Forces a file's contents to disk.
    public static void fsync(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
    }

    private static void fsyncDirectory(Path dir) {
        // On Linux and macOS a folder opened for reading can be forced, which persists the rename.
        // Windows refuses to open a folder as a channel; its NTFS journal covers the rename.
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // best effort, see above
        }
    }

    // NOTE: not Files.createTempFile: that creates the file with mode 0600 on POSIX, which the
    // rename would then carry over to the target (a checkpoint only its owner could read).
    private static Path createTemp(Path dir, String targetName) throws IOException {
        for (int attempt = 0; ; attempt++) {
            Path tmp = dir.resolve("." + targetName + ".tmp-" + Long.toUnsignedString(RANDOM.nextLong(), 36));
            try {
                return Files.createFile(tmp);
            } catch (FileAlreadyExistsException e) {
                if (attempt >= 10) throw e;
            }
        }
    }

    private static Path parentOf(Path file) {
        Path parent = file.toAbsolutePath().getParent();
        if (parent == null) throw new IllegalArgumentException("not a file path: " + file);
        return parent;
    }
}
