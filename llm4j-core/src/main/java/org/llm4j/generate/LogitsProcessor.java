// Transformations of next-token logits applied in order before the sampler (Hugging Face's processors).
package org.llm4j.generate;

import java.util.Arrays;

@FunctionalInterface
public interface LogitsProcessor {
    /** Edits logits (V) in place; history holds the prompt and every generated token so far. */
    void process(int[] history, int length, float[] logits);

    /** CTRL (Keskar et al. 2019): divide positive logits of seen tokens by θ, multiply negative ones. */
    static LogitsProcessor repetitionPenalty(float theta) {
        return (history, length, logits) -> {
            boolean[] seen = new boolean[logits.length];
            for (int i = 0; i < length; i++) {
                int t = history[i];
                if (t < 0 || t >= logits.length || seen[t]) continue;
                seen[t] = true;
                logits[t] = logits[t] > 0 ? logits[t] / theta : logits[t] * theta;
            }
        };
    }

    static LogitsProcessor temperature(float temp) {
        return (history, length, logits) -> {
            for (int i = 0; i < logits.length; i++) logits[i] /= temp;
        };
    }

    /** Keeps the k largest logits (ties at the k-th value kept), the rest to −∞. */
    static LogitsProcessor topK(int k) {
        return (history, length, logits) -> {
            if (k >= logits.length) return;
            float[] sorted = logits.clone();
            Arrays.sort(sorted);
            float kth = sorted[sorted.length - k];
            for (int i = 0; i < logits.length; i++) if (logits[i] < kth) logits[i] = Float.NEGATIVE_INFINITY;
        };
    }

    /** Nucleus sampling (Holtzman et al. 2020): keep the most likely tokens until their mass reaches p. */
    static LogitsProcessor topP(float p) {
        return (history, length, logits) -> {
            float[] probs = softmax(logits);
            Integer[] order = new Integer[logits.length];
            for (int i = 0; i < order.length; i++) order[i] = i;
            Arrays.sort(order, (a, b) -> Float.compare(probs[b], probs[a]));
            double cum = 0;
            int keep = 0;
            while (keep < order.length) {
                cum += probs[order[keep]];
                keep++;
                if (cum >= p) break;
            }
            for (int r = keep; r < order.length; r++) logits[order[r]] = Float.NEGATIVE_INFINITY;
        };
    }

    /** min-p (Nguyen et al. 2024): drop tokens whose probability is below minP × the top probability. */
    static LogitsProcessor minP(float minP) {
        return (history, length, logits) -> {
            float[] probs = softmax(logits);
            float top = 0f;
            for (float q : probs) top = Math.max(top, q);
            float cut = minP * top;
            for (int i = 0; i < logits.length; i++) if (probs[i] < cut) logits[i] = Float.NEGATIVE_INFINITY;
        };
    }

    static float[] softmax(float[] logits) {
        float max = Float.NEGATIVE_INFINITY;
        for (float l : logits) max = Math.max(max, l);
        float[] p = new float[logits.length];
        double sum = 0;
        for (int i = 0; i < p.length; i++) {
            p[i] = (float) Math.exp(logits[i] - max);
            sum += p[i];
        }
        for (int i = 0; i < p.length; i++) p[i] /= (float) sum;
        return p;
    }
}
