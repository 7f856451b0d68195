// TokenShard and ShardSet: round trips at both widths, mmap windows, sampler equality with
// TokenData.sample, and every kind of bad file named with its path and offset.
package org.llm4j.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.llm4j.tensor.Rng;
import org.llm4j.train.TokenData;

class TokenShardTest {
    @TempDir Path dir;

    private static int[] randomIds(int n, int vocab, long seed) {
        var r = new Random(seed);
        int[] a = new int[n];
        for (int i = 0; i < n; i++) a[i] = r.nextInt(vocab);
        return a;
    }

    @Test
    void roundTripsTwoByteIdsInChunks() throws IOException {
        int[] ids = randomIds(100_003, 65536, 1);
        ids[7] = 65535;
        Path f = dir.resolve("a.tok");
        try (var w = TokenShard.writer(f, 65536)) {
            for (int off = 0; off < ids.length; off += 4099) w.append(ids, off, Math.min(4099, ids.length - off));
            assertThat(Files.exists(f)).isFalse(); // nothing under the target name before commit
            w.commit();
        }
        assertThat(Files.size(f)).isEqualTo(32 + 2L * ids.length);
        try (var s = TokenShard.open(f).check()) {
            assertThat(s.width()).isEqualTo(2);
            assertThat(s.size()).isEqualTo(ids.length);
            assertThat(s.vocabSize()).isEqualTo(65536);
            assertThat(s.get(7)).isEqualTo(65535);
            int[] all = new int[ids.length];
            s.read(0, all, 0, ids.length);
            assertThat(all).isEqualTo(ids);
            int[] win = new int[12];
            s.read(5000, win, 2, 10);
            assertThat(Arrays.copyOfRange(win, 2, 12)).isEqualTo(Arrays.copyOfRange(ids, 5000, 5010));
        }
        // the header, byte by byte
        ByteBuffer h = ByteBuffer.wrap(Files.readAllBytes(f), 0, 32).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(new String(Arrays.copyOf(h.array(), 8), "US-ASCII")).isEqualTo("LLM4JTOK");
        assertThat(h.getInt(8)).isEqualTo(1);
        assertThat(h.getInt(12)).isEqualTo(2);
        assertThat(h.getLong(16)).isEqualTo(ids.length);
        assertThat(h.getInt(24)).isEqualTo(65536);
    }

    @Test
    void roundTripsFourByteIdsAboveTheSixteenBitRange() {
        int[] ids = randomIds(50_001, 100_277, 2);
        ids[0] = 100_276;
        ids[1] = 65536;
        Path f = dir.resolve("big.tok");
        TokenShard.write(f, ids, 100_277);
        try (var s = TokenShard.open(f).check()) {
            assertThat(s.width()).isEqualTo(4);
            assertThat(s.get(0)).isEqualTo(100_276);
            assertThat(s.get(1)).isEqualTo(65536);
            int[] all = new int[ids.length];
            s.read(0, all, 0, ids.length);
            assertThat(all).isEqualTo(ids);
        }
    }

    @Test
    void closeUnmapsAndAnAbortedWriterLeavesNothing() throws IOException {
        Path f = dir.resolve("c.tok");
        TokenShard.write(f, new int[] {1, 2, 3}, 10);
        var s = TokenShard.open(f);
        s.close();
        assertThatThrownBy(() -> s.get(0)).isInstanceOf(IllegalStateException.class);
        Path g = dir.resolve("d.tok");
        try (var w = TokenShard.writer(g, 10)) {
            w.append(new int[] {1, 2});
            assertThatThrownBy(() -> w.append(new int[] {3, 10})).hasMessageContaining("d.tok").hasMessageContaining("10");
            assertThat(w.count()).isEqualTo(2);
        } // no commit
        try (var list = Files.list(dir)) {
            assertThat(list.map(p -> p.getFileName().toString())).containsExactly("c.tok");
        }
    }

    @Test
    void shardSetReadsAcrossBoundariesInNameOrder() {
        int[] ids = randomIds(1000, 300, 3);
        TokenShard.write(dir.resolve("part-001.tok"), Arrays.copyOfRange(ids, 400, 1000), 300);
        TokenShard.write(dir.resolve("part-000.tok"), Arrays.copyOfRange(ids, 0, 400), 300);
        TokenShard.write(dir.resolve("part-000b.tok"), new int[0], 300); // empty shards are skipped
        try (var set = ShardSet.open(dir)) {
            assertThat(set.size()).isEqualTo(1000);
            assertThat(set.shards()).hasSize(3);
            for (int i = 0; i < 1000; i += 37) assertThat(set.get(i)).isEqualTo(ids[i]);
            assertThat(set.get(400)).isEqualTo(ids[400]);
            int[] win = new int[50];
            set.read(380, win, 0, 50);
            assertThat(win).isEqualTo(Arrays.copyOfRange(ids, 380, 430));
        }
    }

    @Test
    void samplerMatchesTokenDataOnIntArrays() {
        int[] ids = randomIds(5000, 50_257, 4);
        TokenShard.write(dir.resolve("one.tok"), ids, 50_257);
        TokenShard.write(dir.resolve("x0.tok"), Arrays.copyOfRange(ids, 0, 1234), 50_257);
        TokenShard.write(dir.resolve("x1.tok"), Arrays.copyOfRange(ids, 1234, 5000), 50_257);
        int batch = 8, time = 64;
        try (var one = ShardSet.open(dir.resolve("one.tok"));
             var two = ShardSet.open(java.util.List.of(dir.resolve("x0.tok"), dir.resolve("x1.tok")))) {
            Rng r0 = new Rng(42), r1 = new Rng(42), r2 = new Rng(42);
            for (int step = 0; step < 20; step++) {
                int[] x0 = new int[batch * time], y0 = new int[batch * time];
                int[] x1 = new int[batch * time], y1 = new int[batch * time];
                int[] x2 = new int[batch * time], y2 = new int[batch * time];
                TokenData.sample(ids, batch, time, r0, x0, y0);
                ShardSet.sample(one, batch, time, r1, x1, y1);
                ShardSet.sample(two, batch, time, r2, x2, y2);
                assertThat(x1).isEqualTo(x0);
                assertThat(y1).isEqualTo(y0);
                assertThat(x2).isEqualTo(x0);
                assertThat(y2).isEqualTo(y0);
            }
            assertThat(r1.state()).isEqualTo(r0.state());
        }
    }

    @Test
    void mapsASparseShardLargerThanTwoGigabytes() throws IOException {
        // 2^31 + 100 two-byte ids (4 GiB + 200 bytes), all zero except two set by hand; the file is
        // sparse, so it costs no disk, and offsets past 2^31 exercise the long addressing.
        long n = (1L << 31) + 100;
        Path f = shardWithHeader("sparse.tok", TokenShard.MAGIC, 1, 2, n, 65536, 0);
        try (var ch = java.nio.channels.FileChannel.open(f, java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[] {(byte) 0xE9, (byte) 0xFD}), 32 + 2 * (n - 1)); // 65001
            ch.write(ByteBuffer.wrap(new byte[] {7, 0}), 32 + 2 * (1L << 31));
        }
        try (var set = ShardSet.open(f)) {
            assertThat(set.size()).isEqualTo(n);
            assertThat(set.get(n - 1)).isEqualTo(65001);
            int[] win = new int[3];
            set.read(1L << 31, win, 0, 3);
            assertThat(win).containsExactly(7, 0, 0);
            int[] x = new int[4 * 8], y = new int[4 * 8];
            ShardSet.sample(set, 4, 8, new Rng(1), x, y); // the 64-bit start path
        }
    }

    // ---- bad files ----

    private Path shardWithHeader(String name, byte[] magic, int version, int width, long count, int vocab, int bodyBytes)
            throws IOException {
        ByteBuffer b = ByteBuffer.allocate(32 + bodyBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.put(magic).putInt(version).putInt(width).putLong(count).putInt(vocab).putInt(0);
        Path f = dir.resolve(name);
        Files.write(f, b.array());
        return f;
    }

    @Test
    void refusesAForeignFile() throws IOException {
        Path f = dir.resolve("model.safetensors");
        Files.writeString(f, "{\"__metadata__\":{}} and then some more bytes to pass 32");
        assertThatThrownBy(() -> TokenShard.open(f)).isInstanceOf(DatasetException.class)
                .hasMessageContaining(f.toString()).hasMessageContaining("magic").hasMessageContaining("offset 0");
        Path tiny = dir.resolve("tiny.tok");
        Files.writeString(tiny, "LLM4J");
        assertThatThrownBy(() -> TokenShard.open(tiny)).hasMessageContaining(tiny.toString()).hasMessageContaining("header");
    }

    @Test
    void refusesAnUnsupportedVersionOrWidth() throws IOException {
        Path v = shardWithHeader("v2.tok", TokenShard.MAGIC, 2, 2, 0, 10, 0);
        assertThatThrownBy(() -> TokenShard.open(v)).hasMessageContaining(v.toString()).hasMessageContaining("version 2")
                .hasMessageContaining("offset 8");
        Path w = shardWithHeader("w3.tok", TokenShard.MAGIC, 1, 3, 0, 10, 0);
        assertThatThrownBy(() -> TokenShard.open(w)).hasMessageContaining(w.toString()).hasMessageContaining("width 3")
                .hasMessageContaining("offset 12");
    }

    @Test
    void refusesATruncatedFile() throws IOException {
        Path f = dir.resolve("t.tok");
        TokenShard.write(f, randomIds(100, 1000, 5), 1000);
        byte[] all = Files.readAllBytes(f);
        Files.write(f, Arrays.copyOf(all, all.length - 3));
        assertThatThrownBy(() -> TokenShard.open(f)).isInstanceOf(DatasetException.class)
                .hasMessageContaining(f.toString()).hasMessageContaining("truncated").hasMessageContaining("says 100 tokens")
                .hasMessageContaining("holds 98");
        // a count so large that count*width overflows must not wrap around
        Path huge = shardWithHeader("huge.tok", TokenShard.MAGIC, 1, 4, Long.MAX_VALUE / 2, 10, 8);
        assertThatThrownBy(() -> TokenShard.open(huge)).hasMessageContaining("truncated");
        Path extra = shardWithHeader("extra.tok", TokenShard.MAGIC, 1, 2, 1, 10, 5);
        assertThatThrownBy(() -> TokenShard.open(extra)).hasMessageContaining(extra.toString()).hasMessageContaining("offset 34");
    }

    @Test
    void checkFindsAnIdOutsideTheVocabulary() throws IOException {
        Path f = dir.resolve("bad-id.tok");
        TokenShard.write(f, new int[] {1, 2, 3, 4}, 10);
        byte[] b = Files.readAllBytes(f);
        b[32 + 2 * 2] = 42; // token 2 := 42 >= 10
        Files.write(f, b);
        try (var s = TokenShard.open(f)) {
            assertThatThrownBy(s::check).isInstanceOf(DatasetException.class).hasMessageContaining(f.toString())
                    .hasMessageContaining("token 2 at offset 36").hasMessageContaining("id 42");
        }
        Path g = shardWithHeader("neg.tok", TokenShard.MAGIC, 1, 4, 1, 100_000, 4);
        byte[] gb = Files.readAllBytes(g);
        Arrays.fill(gb, 32, 36, (byte) 0xFF); // u32 4294967295, not a negative int
        Files.write(g, gb);
        try (var s = TokenShard.open(g)) {
            assertThatThrownBy(s::check).hasMessageContaining("id 4294967295");
        }
    }

    @Test
    void aShardSetRefusesMixedVocabularies() {
        TokenShard.write(dir.resolve("a.tok"), new int[] {1}, 10);
        TokenShard.write(dir.resolve("b.tok"), new int[] {1}, 11);
        assertThatThrownBy(() -> ShardSet.open(dir)).hasMessageContaining("b.tok").hasMessageContaining("vocabulary size 11");
    }
}
