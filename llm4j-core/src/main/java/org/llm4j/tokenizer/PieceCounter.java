// Counts pieces of text given as (string, from, to) without making a String per occurrence: an
// open-addressing table that hashes and compares the chars in place. BPE training counts every
// pre-token of the corpus here; a HashMap<String, ...> spent 80% of that time on substrings.
package org.llm4j.tokenizer;

import java.util.Map;

final class PieceCounter {
    private String[] keys = new String[1 << 12];
    private int[] hashes = new int[1 << 12];
    private long[] counts = new long[1 << 12];
    private int size;

    int size() { return size; }

    void add(String s, int from, int to) {
        add(s, from, to, 1);
    }

    void add(String s, int from, int to, long n) {
        int h = 0;
        for (int i = from; i < to; i++) h = 31 * h + s.charAt(i);
        h ^= h >>> 16;
        int mask = keys.length - 1;
        int len = to - from;
        for (int slot = h & mask; ; slot = (slot + 1) & mask) {
            String k = keys[slot];
            if (k == null) {
                keys[slot] = s.substring(from, to);
                hashes[slot] = h;
                counts[slot] = n;
                if (++size * 2 > keys.length) grow();
                return;
            }
            if (hashes[slot] == h && k.length() == len && s.regionMatches(from, k, 0, len)) {
                counts[slot] += n;
                return;
            }
        }
    }

    // Adds every count of other into this one.
    void addAll(PieceCounter other) {
        for (int i = 0; i < other.keys.length; i++) if (other.keys[i] != null) add(other.keys[i], 0, other.keys[i].length(), other.counts[i]);
    }

    void putAllInto(Map<String, Long> out) {
        for (int i = 0; i < keys.length; i++) if (keys[i] != null) out.merge(keys[i], counts[i], Long::sum);
    }

    private void grow() {
        String[] k = keys;
        int[] h = hashes;
        long[] c = counts;
        keys = new String[k.length * 2];
        hashes = new int[k.length * 2];
        counts = new long[k.length * 2];
        int mask = keys.length - 1;
        for (int i = 0; i < k.length; i++) {
            if (k[i] == null) continue;
            int slot = h[i] & mask;
            while (keys[slot] != null) slot = (slot + 1) & mask;
            keys[slot] = k[i];
            hashes[slot] = h[i];
            counts[slot] = c[i];
        }
    }
}
