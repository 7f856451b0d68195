// A read-only sequence of token ids: an int[] in memory or memory-mapped token shards on disk.
package org.llm4j.train;

import org.llm4j.data.ShardSet;

public interface TokenSource {
    long size();

    /** Copies ids [from, from + len) into dst[off..]. */
    void read(long from, int[] dst, int off, int len);

    static TokenSource of(int[] tokens) {
        return new TokenSource() {
            @Override public long size() { return tokens.length; }
            @Override public void read(long from, int[] dst, int off, int len) { System.arraycopy(tokens, (int) from, dst, off, len); }
        };
    }

    /** Shards are memory-mapped, so corpora larger than memory stream through training. */
    static TokenSource of(ShardSet shards) {
        return new TokenSource() {
            @Override public long size() { return shards.size(); }
            @Override public void read(long from, int[] dst, int off, int len) { shards.read(from, dst, off, len); }
        };
    }
}
