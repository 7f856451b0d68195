// Transformations of next-token scores applied in order before the sampler (Hugging Face's processors and warpers).
package org.llm4j.generate;

import java.util.Arrays;

/**
 * Edits the scores (V) of the next token in place. Greedy decoding and sampling pass raw logits;
 * beam search passes log-probabilities (log-softmax of the logits), as Hugging Face does, which
 * changes what a multiplicative processor such as the repetition penalty does to them.
 *
 * <p>The built-in factories return a fresh processor holding vocabulary-sized scratch arrays,
 * reused from call to call: one instance serves one thread.
 */
@FunctionalInterface
public interface LogitsProcessor {
    /** Edits scores (V) in place; history[0, length) holds the prompt and every generated token so far. */
    void process(int[] history, int length, float[] scores);

    /**
     * CTRL (Keskar et al. 2019): each distinct token of the history has its score divided by θ when
     * positive and multiplied by θ when negative (HF RepetitionPenaltyLogitsProcessor).
     */
    static LogitsProcessor repetitionPenalty(float theta) {
        return new LogitsProcessor() {
            boolean[] seen = new boolean[0];

            @Override public void process(int[] history, int length, float[] scores) {
                if (seen.length != scores.length) seen = new boolean[scores.length];
                for (int i = 0; i < length; i++) {
                    int t = history[i];
                    if (t < 0 || t >= scores.length || seen[t]) continue;
                    seen[t] = true;
                    scores[t] = scores[t] < 0 ? scores[t] * theta : scores[t] / theta;
                }
                for (int i = 0; i < length; i++) if (history[i] >= 0 && history[i] < scores.length) seen[history[i]] = false;
            }
        };
    }

    /**
     * Bans every token that would complete an n-gram already present in the history, prompt
     * included (HF NoRepeatNGramLogitsProcessor): for each earlier i with history[i, i+n−1) equal to
     * the last n−1 tokens, history[i+n−1] gets −∞. With n = 1 every token seen so far is banned.
     */
    static LogitsProcessor noRepeatNgram(int n) {
        if (n < 1) throw new IllegalArgumentException("no_repeat_ngram_size must be >= 1, got " + n);
        return (history, length, scores) -> {
            int prefix = length - (n - 1);              // start of the last n−1 tokens
            if (prefix < 0) return;
            for (int i = 0; i + n - 1 < length; i++) { // every complete n-gram history[i, i+n)
                boolean same = true;
                for (int j = 0; j < n - 1 && same; j++) same = history[i + j] == history[prefix + j];
                int banned = history[i + n - 1];
                if (same && banned >= 0 && banned < scores.length) scores[banned] = Float.NEGATIVE_INFINITY;
            }
        };
    }

    /** Bans the EOS ids until minNewTokens tokens follow the prompt (HF MinNewTokensLengthLogitsProcessor). */
    static LogitsProcessor minNewTokens(int promptLength, int minNewTokens, int[] eosTokenIds) {
        int[] eos = eosTokenIds.clone();
        return (history, length, scores) -> {
            if (length - promptLength >= minNewTokens) return;
            for (int e : eos) if (e < scores.length) scores[e] = Float.NEGATIVE_INFINITY;
        };
    }

    /**
     * OpenAI's presence and frequency penalties, as their API reference defines them:
     * mu[j] −= c[j]·frequency + (c[j] > 0)·presence, where c[j] counts how often token j was
     * generated so far (the prompt, history[0, promptLength), does not count). Additive, unlike
     * CTRL's multiplicative repetition penalty; negative values encourage repetition.
     */
    static LogitsProcessor presenceFrequencyPenalty(int promptLength, float presence, float frequency) {
        if (!Float.isFinite(presence) || !Float.isFinite(frequency))
            throw new IllegalArgumentException("presence_penalty and frequency_penalty must be finite, got " + presence + ", " + frequency);
        return new LogitsProcessor() {
            int[] counts = new int[0];

            @Override public void process(int[] history, int length, float[] scores) {
                if (counts.length != scores.length) counts = new int[scores.length];
                for (int i = promptLength; i < length; i++) if (history[i] >= 0 && history[i] < scores.length) counts[history[i]]++;
                for (int i = promptLength; i < length; i++) {
                    int t = history[i];
                    if (t < 0 || t >= scores.length || counts[t] == 0) continue;
                    scores[t] -= counts[t] * frequency + presence;
                    counts[t] = 0;                      // each distinct token once; leaves counts zeroed
                }
            }
        };
    }

    /** Divides every score by the temperature (HF TemperatureLogitsWarper). */
    /**
     * Never chooses ids at or above n: a model whose embedding has more rows than its tokenizer has
     * tokens (padded vocabularies) must not emit ids that the tokenizer cannot turn into text.
     */
    static LogitsProcessor suppressIdsFrom(int n) {
        return (history, length, logits) -> {
            for (int i = n; i < logits.length; i++) logits[i] = Float.NEGATIVE_INFINITY;
        };
    }

    static LogitsProcessor temperature(float temp) {
        if (!(temp > 0)) throw new IllegalArgumentException("temperature must be > 0, got " + temp);
        return (history, length, scores) -> {
            for (int i = 0; i < scores.length; i++) scores[i] /= temp;
        };
    }

    /** Keeps the k largest scores (ties with the k-th kept), the rest to −∞ (HF TopKLogitsWarper). */
    static LogitsProcessor topK(int k) {
        return topK(k, 1);
    }

    /**
     * As {@link #topK(int)} keeping at least minKeep tokens. HF's min_tokens_to_keep: beam sampling
     * keeps max(2, #eos + 1) so that every beam has a continuation that is not EOS.
     */
    static LogitsProcessor topK(int topK, int minKeep) {
        if (topK < 1) throw new IllegalArgumentException("top_k must be >= 1, got " + topK);
        int k = Math.max(topK, minKeep);
        return new LogitsProcessor() {
            float[] copy = new float[0];

            @Override public void process(int[] history, int length, float[] scores) {
                if (k >= scores.length) return;
                if (copy.length != scores.length) copy = new float[scores.length];
                System.arraycopy(scores, 0, copy, 0, scores.length);
                float kth = Sorting.kthLargest(copy, k);
                for (int i = 0; i < scores.length; i++) if (scores[i] < kth) scores[i] = Float.NEGATIVE_INFINITY;
            }
        };
    }

    /**
     * Nucleus sampling (Holtzman et al. 2020), exactly as HF TopPLogitsWarper: sort the
     * probabilities ascending, and drop each token whose cumulative sum (itself included) is at
     * most 1 − p; the most likely token always stays. Equivalently: keep the most likely tokens
     * until their mass reaches p.
     */
    static LogitsProcessor topP(float p) {
        return topP(p, 1);
    }

    /** As {@link #topP(float)} keeping at least the minKeep most likely tokens. */
    static LogitsProcessor topP(float p, int minKeep) {
        if (!(p > 0 && p <= 1)) throw new IllegalArgumentException("top_p must be in (0, 1], got " + p);
        return new LogitsProcessor() {
            float[] probs = new float[0];
            long[] order = new long[0];

            @Override public void process(int[] history, int length, float[] scores) {
                int v = scores.length;
                if (probs.length != v) { probs = new float[v]; order = new long[v]; }
                softmax(scores, probs);
                Sorting.argsortAscending(probs, order);
                float cum = 0f;
                for (int r = 0; r < v - minKeep; r++) {   // the last minKeep are the most likely: kept
                    int i = Sorting.index(order[r]);
                    cum += probs[i];
                    if (cum > 1f - p) break;
                    scores[i] = Float.NEGATIVE_INFINITY;
                }
            }
        };
    }

    /** min-p (Nguyen et al. 2024): drop tokens whose probability is below minP × the top probability (HF MinPLogitsWarper). */
    static LogitsProcessor minP(float minP) {
        return minP(minP, 1);
    }

    /** As {@link #minP(float)} keeping at least the minKeep most likely tokens (ties with the last one kept). */
    static LogitsProcessor minP(float minP, int minKeep) {
        if (!(minP >= 0 && minP <= 1)) throw new IllegalArgumentException("min_p must be in [0, 1], got " + minP);
        return new LogitsProcessor() {
            float[] probs = new float[0], copy = new float[0];

            @Override public void process(int[] history, int length, float[] scores) {
                int v = scores.length;
                if (probs.length != v) { probs = new float[v]; copy = new float[v]; }
                softmax(scores, probs);
                float top = 0f;
                for (float q : probs) top = Math.max(top, q);
                float cut = minP * top;
                if (minKeep > 1 && minKeep <= v) {   // never cut into the minKeep most likely
                    System.arraycopy(probs, 0, copy, 0, v);
                    cut = Math.min(cut, Sorting.kthLargest(copy, minKeep));
                }
                for (int i = 0; i < v; i++) if (probs[i] < cut) scores[i] = Float.NEGATIVE_INFINITY;
            }
        };
    }

    /**
     * Locally typical sampling (Meister et al. 2022), as HF TypicalLogitsWarper. With log-probs
     * ℓ = log_softmax(scores) and entropy H = −Σ p·ℓ, rank tokens by how far their surprisal is
     * from H, |−ℓ_i − H|, closest first; walk that order summing probabilities and stop at the first
     * token whose cumulative sum reaches the mass; drop every token farther from H than that one.
     */
    static LogitsProcessor typicalP(float mass) {
        return typicalP(mass, 1);
    }

    /** As {@link #typicalP(float)} keeping at least the minKeep most typical tokens. */
    static LogitsProcessor typicalP(float mass, int minKeep) {
        if (!(mass > 0 && mass <= 1)) throw new IllegalArgumentException("typical_p must be in (0, 1], got " + mass);
        return new LogitsProcessor() {
            float[] probs = new float[0], shifted = new float[0];
            long[] order = new long[0];

            @Override public void process(int[] history, int length, float[] scores) {
                int v = scores.length;
                if (probs.length != v) { probs = new float[v]; shifted = new float[v]; order = new long[v]; }
                double lse = logSumExp(scores);
                double entropy = 0;
                for (int i = 0; i < v; i++) {
                    double logp = scores[i] - lse;
                    probs[i] = (float) Math.exp(logp);
                    if (probs[i] > 0) entropy -= logp * probs[i];  // HF's nansum: 0·(−∞) counts as 0
                }
                for (int i = 0; i < v; i++) shifted[i] = (float) Math.abs(-(scores[i] - lse) - entropy);
                Sorting.argsortAscending(shifted, order);
                float cum = 0f;
                int last = 0;                                     // HF: (cumulative < mass).sum(), clamped to v − 1
                while (last < v - 1) {
                    cum += probs[Sorting.index(order[last])];
                    if (!(cum < mass)) break;
                    last++;
                }
                last = Math.max(last, Math.min(minKeep, v) - 1);
                float threshold = shifted[Sorting.index(order[last])];
                for (int i = 0; i < v; i++) if (shifted[i] > threshold) scores[i] = Float.NEGATIVE_INFINITY;
            }
        };
    }

    /** probs (V) = softmax(scores), computed in double and rounded to float. */
    static void softmax(float[] scores, float[] probs) {
        double lse = logSumExp(scores);
        for (int i = 0; i < scores.length; i++) probs[i] = (float) Math.exp(scores[i] - lse);
    }

    /** A fresh softmax(scores) array. */
    static float[] softmax(float[] scores) {
        float[] p = new float[scores.length];
        softmax(scores, p);
        return p;
    }

    /** log Σ exp(x_i), shifted by the maximum so that no term overflows; −∞ when every x_i is −∞. */
    static double logSumExp(float[] x) {
        float max = Float.NEGATIVE_INFINITY;
        for (float f : x) max = Math.max(max, f);
        if (max == Float.NEGATIVE_INFINITY) return max;
        double sum = 0;
        for (float f : x) sum += Math.exp(f - max);
        return max + Math.log(sum);
    }
}

/** Primitive index sorts for the warpers: no boxed Integer[], no comparator. */
final class Sorting {
    private Sorting() {}

    /**
     * Fills order (V) with the indices of key sorted ascending, each entry packing the key's
     * order-preserving int bits above the index, so one Arrays.sort(long[]) does the work; equal
     * keys keep index order. Read an index back with {@link #index}.
     */
    static void argsortAscending(float[] key, long[] order) {
        for (int i = 0; i < key.length; i++) order[i] = ((long) sortableBits(key[i]) << 32) | i;
        Arrays.sort(order, 0, key.length);
    }

    static int index(long packed) {
        return (int) packed;
    }

    // IEEE-754 bits compare like the floats once the negative ones have their magnitude bits flipped.
    static int sortableBits(float f) {
        int b = Float.floatToIntBits(f == 0f ? 0f : f); // −0 sorts as +0
        return b ^ ((b >> 31) & 0x7FFFFFFF);
    }

    /** The k-th largest value of a (1 ≤ k ≤ length) by quickselect; a is reordered. */
    static float kthLargest(float[] a, int k) {
        int lo = 0, hi = a.length - 1, target = a.length - k; // k-th largest = (n−k)-th smallest
        while (lo < hi) {
            float pivot = a[(lo + hi) >>> 1];
            int i = lo, j = hi;
            while (i <= j) {
                while (a[i] < pivot) i++;
                while (a[j] > pivot) j--;
                if (i <= j) { float t = a[i]; a[i] = a[j]; a[j] = t; i++; j--; }
            }
            if (target <= j) hi = j;
            else if (target >= i) lo = i;
            else return a[target];
        }
        return a[target];
    }
}
