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

    /** Draws from softmax(logits) with the given generator (inverse CDF). */
    static Sampler random(Rng rng) {
        return logits -> {
            float[] p = LogitsProcessor.softmax(logits);
            double u = rng.nextDouble(), cum = 0;
            int last = 0;
            for (int i = 0; i < p.length; i++) {
                if (p[i] == 0f) continue;
                cum += p[i];
                last = i;
                if (u < cum) return i;
            }
            return last; // rounding left u above the final cumulative sum
        };
    }
}
