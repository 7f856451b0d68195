// Several token shards read as one logical sequence (e.g. a folder of *.tok files in name
// order), and the random-window batch sampler that training draws from it.
package org.llm4j.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.llm4j.tensor.Rng;

public final class ShardSet implements AutoCloseable {
    private final List<TokenShard> shards;
    private final long[] starts; // starts[k] = index of shard k's first token; starts[n] = size()
    private final int vocabSize;

    private ShardSet(List<TokenShard> shards) {
        if (shards.isEmpty()) throw new DatasetException("no token shards given");
        this.shards = List.copyOf(shards);
        this.starts = new long[shards.size() + 1];
        this.vocabSize = shards.get(0).vocabSize();
        for (int k = 0; k < shards.size(); k++) {
            TokenShard s = shards.get(k);
            // Shards from different tokenizers would mix meanings of the same id.
            if (s.vocabSize() != vocabSize)
                throw new DatasetException(s.file() + " has vocabulary size " + s.vocabSize() + ", but "
                        + shards.get(0).file() + " has " + vocabSize + "; all shards of a set must share a tokenizer");
            starts[k + 1] = starts[k] + s.size();
        }
    }

    public static ShardSet of(TokenShard... shards) {
        return new ShardSet(List.of(shards));
    }

    // A *.tok file, or a folder's *.tok files (not hidden, not in subfolders) in file-name order.
    public static ShardSet open(Path fileOrFolder) {
        return open(files(fileOrFolder));
    }

    public static ShardSet open(List<Path> files) {
        List<TokenShard> opened = new ArrayList<>();
        try {
            for (Path f : files) opened.add(TokenShard.open(f));
            return new ShardSet(opened);
        } catch (RuntimeException e) {
            opened.forEach(TokenShard::close);
            throw e;
        }
    }

    public static List<Path> files(Path fileOrFolder) {
        if (Files.isRegularFile(fileOrFolder)) return List.of(fileOrFolder);
        if (!Files.isDirectory(fileOrFolder)) throw new DatasetException("no such token shard file or folder: " + fileOrFolder);
        try (Stream<Path> s = Files.list(fileOrFolder)) {
            List<Path> files = s.filter(p -> {
                String n = p.getFileName().toString();
                return n.endsWith(".tok") && !n.startsWith(".") && Files.isRegularFile(p);
            }).sorted(Comparator.comparing(p -> p.getFileName().toString())).toList();
            if (files.isEmpty()) throw new DatasetException("folder " + fileOrFolder + " holds no *.tok shards");
            return files;
        } catch (IOException e) {
            throw new DatasetException("cannot list folder " + fileOrFolder + ": " + e.getMessage(), e);
        }
    }

    public List<TokenShard> shards() { return shards; }

    public long size() { return starts[starts.length - 1]; }

    public int vocabSize() { return vocabSize; }

    public int get(long i) {
        if (i < 0 || i >= size()) throw new IndexOutOfBoundsException("token " + i + " of " + size());
        int k = shardOf(i);
        return shards.get(k).get(i - starts[k]);
    }

    // dst[off .. off+len) = tokens [from, from+len); a window may span shard boundaries.
    public void read(long from, int[] dst, int off, int len) {
        if (from < 0 || len < 0 || from > size() - len)
            throw new IndexOutOfBoundsException("tokens " + from + ".." + (from + len) + " of " + size());
        int k = shardOf(from);
        while (len > 0) {
            TokenShard s = shards.get(k);
            long at = from - starts[k];
            int n = (int) Math.min(len, s.size() - at);
            s.read(at, dst, off, n);
            from += n;
            off += n;
            len -= n;
            k++;
        }
    }

    public ShardSet check() {
        shards.forEach(TokenShard::check);
        return this;
    }

    // B random windows of T+1 tokens: inputs x (B·T) and next-token targets y (B·T). The same RNG
    // calls as TokenData.sample, so int[] tokens and a shard set holding them give identical
    // batches. Past 2^31 windows a 64-bit multiply-shift (Lemire) replaces Rng.nextInt; it too
    // draws one nextLong per window.
    public static void sample(ShardSet data, int batch, int time, Rng rng, int[] x, int[] y) {
        long n = data.size();
        if (n < time + 2L)
            throw new IllegalArgumentException("split has " + n + " tokens, too few for windows of " + (time + 1));
        long bound = n - time - 1;
        for (int b = 0; b < batch; b++) {
            long start = bound <= Integer.MAX_VALUE ? rng.nextInt((int) bound) : Math.unsignedMultiplyHigh(rng.nextLong(), bound);
            data.read(start, x, b * time, time);
            data.read(start + 1, y, b * time, time);
        }
    }

    @Override
    public void close() {
        shards.forEach(TokenShard::close);
    }

    // The shard holding token i (i < size()): the last k with starts[k] <= i, skipping empty shards.
    private int shardOf(long i) {
        int k = Arrays.binarySearch(starts, 0, shards.size(), i);
        if (k < 0) return -k - 2;
        while (shards.get(k).size() == 0) k++; // equal starts: empty shards precede the one holding i
        return k;
    }
}
