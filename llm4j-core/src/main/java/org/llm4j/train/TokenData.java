// Token ids of a training and a validation split, and the random-window batch sampler over them.
package org.llm4j.train;

import org.llm4j.tensor.Rng;

public record TokenData(int[] train, int[] val) {

    /** The first (1 − valFraction) of the tokens for training, the rest for validation (nanoGPT's split). */
    public static TokenData split(int[] tokens, double valFraction) {
        if (valFraction <= 0 || valFraction >= 1) throw new IllegalArgumentException("validation fraction must be in (0, 1), got " + valFraction);
        int n = (int) (tokens.length * (1 - valFraction));
        return new TokenData(java.util.Arrays.copyOfRange(tokens, 0, n), java.util.Arrays.copyOfRange(tokens, n, tokens.length));
    }

    /** B random windows of T+1 tokens from data: inputs x (B·T) and next-token targets y (B·T). */
    public static void sample(int[] data, int batch, int time, Rng rng, int[] x, int[] y) {
        if (data.length < time + 2) {
            throw new IllegalArgumentException("split has " + data.length + " tokens, too few for windows of " + (time + 1));
        }
        for (int b = 0; b < batch; b++) {
            int start = rng.nextInt(data.length - time - 1);
            System.arraycopy(data, start, x, b * time, time);
            System.arraycopy(data, start + 1, y, b * time, time);
        }
    }
}
