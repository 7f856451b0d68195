// Token ids of a training and a validation split, and the random-window batch sampler over them.
package org.llm4j.train;

import org.llm4j.data.ShardSet;
import org.llm4j.tensor.Rng;

public record TokenData(TokenSource train, TokenSource val) {

    /** The first (1 − valFraction) of the tokens for training, the rest for validation (nanoGPT's split). */
    public static TokenData split(int[] tokens, double valFraction) {
        if (valFraction <= 0 || valFraction >= 1) throw new IllegalArgumentException("validation fraction must be in (0, 1), got " + valFraction);
        int n = (int) (tokens.length * (1 - valFraction));
        return new TokenData(TokenSource.of(java.util.Arrays.copyOfRange(tokens, 0, n)),
                TokenSource.of(java.util.Arrays.copyOfRange(tokens, n, tokens.length)));
    }

    /** Prepared shards (see `llm4j data prepare`), read memory-mapped. */
    public static TokenData of(ShardSet train, ShardSet val) {
        return new TokenData(TokenSource.of(train), TokenSource.of(val));
    }

    /** B random windows of T+1 tokens from data: inputs x (B·T) and next-token targets y (B·T). */
    public static void sample(int[] data, int batch, int time, Rng rng, int[] x, int[] y) {
        sample(TokenSource.of(data), batch, time, rng, x, y);
    }

    /**
     * As above for any source; one draw per window (nextInt below 2^31 windows, a 64-bit
     * multiply-shift beyond), the same draws as ShardSet.sample, so a corpus held as int[] or as
     * shards gives the same batches.
     */
    public static void sample(TokenSource data, int batch, int time, Rng rng, int[] x, int[] y) {
        long n = data.size();
        if (n < time + 2L) {
            throw new IllegalArgumentException("split has " + n + " tokens, too few for windows of " + (time + 1));
        }
        long bound = n - time - 1;
        for (int b = 0; b < batch; b++) {
            long start = bound <= Integer.MAX_VALUE ? rng.nextInt((int) bound) : Math.unsignedMultiplyHigh(rng.nextLong(), bound);
            data.read(start, x, b * time, time);
            data.read(start + 1, y, b * time, time);
        }
    }
}
