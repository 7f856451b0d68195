// Picks the next token from processed logits.
package org.llm4j.generate;

import org.llm4j.tensor.Rng;

@FunctionalInterface
public interface Sampler {
    int sample(float[] logits);

    /** Greedy decoding: the most likely token (the lowest id on ties, as torch.argmax). */
    Sampler ARGMAX = logits -> {
        int best = 0;
        for (int i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
        return best;
    };

    /**
     * Draws from softmax(logits) with the given generator by inverse CDF, without allocating:
     * u·Σ exp(l_i − max) is compared with the running sum of the same terms.
     */
    static Sampler random(Rng rng) {
        return logits -> {
            float max = Float.NEGATIVE_INFINITY;
            for (float l : logits) max = Math.max(max, l);
            if (max == Float.NEGATIVE_INFINITY) throw new IllegalStateException("every token has probability 0 (all logits are -inf)");
            double total = 0;
            for (float l : logits) total += Math.exp(l - max);
            double target = rng.nextDouble() * total, cum = 0;
            int last = 0;
            for (int i = 0; i < logits.length; i++) {
                if (logits[i] == Float.NEGATIVE_INFINITY) continue;
                cum += Math.exp(logits[i] - max);
                last = i;
                if (target < cum) return i;
            }
            return last; // rounding left the target above the final cumulative sum
        };
    }
}
