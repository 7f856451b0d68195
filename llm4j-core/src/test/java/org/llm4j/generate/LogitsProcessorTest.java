// Each logits processor and warper against expectations worked out by hand (Hugging Face's rules).
package org.llm4j.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LogitsProcessorTest {
    static final float NEG = Float.NEGATIVE_INFINITY;
    static final int[] NONE = new int[0];

    static float[] ln(double... p) {
        return TableModel.logOf(p);
    }

    static boolean[] kept(float[] scores) {
        boolean[] k = new boolean[scores.length];
        for (int i = 0; i < k.length; i++) k[i] = scores[i] != NEG;
        return k;
    }

    @Test
    void presenceAndFrequencyPenaltiesFollowOpenAisDefinition() {
        // prompt [0, 0] does not count; generated [1, 1, 2]: c = (0, 2, 1, 0).
        // mu[j] −= c[j]·0.5 + (c[j] > 0)·0.25 → token 1: 1 − 1.25, token 2: 1 − 0.75.
        int[] history = {0, 0, 1, 1, 2};
        float[] s = {1, 1, 1, 1};
        LogitsProcessor p = LogitsProcessor.presenceFrequencyPenalty(2, 0.25f, 0.5f);
        p.process(history, 5, s);
        assertThat(s).containsExactly(1f, -0.25f, 0.25f, 1f);
        float[] again = {1, 1, 1, 1};                            // the scratch counts are left at zero
        p.process(history, 5, again);
        assertThat(again).containsExactly(s);
        assertThatThrownBy(() -> LogitsProcessor.presenceFrequencyPenalty(0, Float.NaN, 0)).hasMessageContaining("presence_penalty");
    }

    @Test
    void typicalPKeepsTokensWhoseSurprisalIsNearTheEntropy() {
        // p = (0.5, 0.3, 0.15, 0.05): H = −Σ p ln p = 1.14212; |−ln p − H| = (0.4490, 0.0619, 0.7550, 1.8536).
        // Closest first: token 1 (cum 0.3), token 0 (0.8), token 2 (0.95), token 3 (1.0).
        float[] a = ln(0.5, 0.3, 0.15, 0.05);
        LogitsProcessor.typicalP(0.5f).process(NONE, 0, a);      // one token below 0.5 → cut at the 2nd
        assertThat(kept(a)).containsExactly(true, true, false, false);
        float[] b = ln(0.5, 0.3, 0.15, 0.05);
        LogitsProcessor.typicalP(0.85f).process(NONE, 0, b);     // two below 0.85 → cut at the 3rd
        assertThat(kept(b)).containsExactly(true, true, true, false);
        float[] c = ln(0.5, 0.3, 0.15, 0.05);
        LogitsProcessor.typicalP(0.2f).process(NONE, 0, c);      // the most typical token alone, not the most likely
        assertThat(kept(c)).containsExactly(false, true, false, false);
        float[] unchanged = ln(0.5, 0.3, 0.15, 0.05);
        assertThat(c[1]).isEqualTo(unchanged[1]);
    }

    @Test
    void minPDropsTokensBelowAFractionOfTheTop() {
        float[] a = ln(0.6, 0.3, 0.1);
        LogitsProcessor.minP(0.2f).process(NONE, 0, a);          // cut 0.12
        assertThat(kept(a)).containsExactly(true, true, false);
        float[] b = ln(0.6, 0.3, 0.1);
        LogitsProcessor.minP(0.55f).process(NONE, 0, b);         // cut 0.33
        assertThat(kept(b)).containsExactly(true, false, false);
        float[] c = ln(0.6, 0.3, 0.1);
        LogitsProcessor.minP(1f).process(NONE, 0, c);            // only the top survives, never nothing
        assertThat(kept(c)).containsExactly(true, false, false);
    }

    @Test
    void noRepeatNgramBansExactlyTheCompletingTokens() {
        float[] a = new float[8];
        LogitsProcessor.noRepeatNgram(3).process(new int[]{1, 2, 3, 1, 2, 4, 1, 2}, 8, a);   // (1,2,·) seen with 3 and 4
        assertThat(kept(a)).containsExactly(true, true, true, false, false, true, true, true);
        float[] b = new float[8];
        LogitsProcessor.noRepeatNgram(2).process(new int[]{5, 6, 5, 7, 5}, 5, b);            // after 5: 6 and 7
        assertThat(kept(b)).containsExactly(true, true, true, true, true, true, false, false);
        float[] c = new float[8];
        LogitsProcessor.noRepeatNgram(1).process(new int[]{4, 1, 4}, 3, c);                  // unigrams: every seen token
        assertThat(kept(c)).containsExactly(true, false, true, true, false, true, true, true);
        float[] d = new float[8];
        LogitsProcessor.noRepeatNgram(3).process(new int[]{1, 2, 9, 9}, 2, d);               // only the first 2 count: no 3-gram yet
        assertThat(kept(d)).containsOnly(true);
        float[] e = new float[8];
        LogitsProcessor.noRepeatNgram(2).process(new int[]{1, 2, 3, 4}, 4, e);               // 4 never came before
        assertThat(kept(e)).containsOnly(true);
    }

    @Test
    void topPFollowsHuggingFaceCumulativeRule() {
        // ascending cumulative sums 0.05, 0.2, 0.5, 1.0; HF drops those ≤ 1 − p
        float[] a = ln(0.5, 0.3, 0.15, 0.05);
        LogitsProcessor.topP(0.75f).process(NONE, 0, a);
        assertThat(kept(a)).containsExactly(true, true, false, false);
        float[] b = ln(0.5, 0.3, 0.15, 0.05);
        LogitsProcessor.topP(0.85f).process(NONE, 0, b);
        assertThat(kept(b)).containsExactly(true, true, true, false);
        float[] c = ln(0.5, 0.3, 0.15, 0.05);
        LogitsProcessor.topP(0.01f).process(NONE, 0, c);          // the most likely token always stays
        assertThat(kept(c)).containsExactly(true, false, false, false);
    }

    @Test
    void topKRepetitionTemperatureAndMinNewTokens() {
        float[] k = {1, 5, 3, 5, 2};
        LogitsProcessor.topK(1).process(NONE, 0, k);              // ties with the k-th value stay
        assertThat(k).containsExactly(NEG, 5, NEG, 5, NEG);
        float[] r = {2f, -2f, 1f, 0f};
        LogitsProcessor.repetitionPenalty(2f).process(new int[]{0, 1, 0, 3}, 4, r);   // each distinct token once
        assertThat(r).containsExactly(1f, -4f, 1f, 0f);
        float[] t = {2f, -1f};
        LogitsProcessor.temperature(0.5f).process(NONE, 0, t);
        assertThat(t).containsExactly(4f, -2f);
        LogitsProcessor min = LogitsProcessor.minNewTokens(2, 2, new int[]{3, 1});
        float[] m = {1, 1, 1, 1};
        min.process(new int[]{7, 7, 0}, 3, m);                    // 1 new token < 2: both EOS ids banned
        assertThat(m).containsExactly(1, NEG, 1, NEG);
        float[] m2 = {1, 1, 1, 1};
        min.process(new int[]{7, 7, 0, 0}, 4, m2);
        assertThat(m2).containsExactly(1, 1, 1, 1);
        assertThatThrownBy(() -> LogitsProcessor.topK(0)).hasMessageContaining("top_k");
        assertThatThrownBy(() -> LogitsProcessor.typicalP(0f)).hasMessageContaining("typical_p");
    }

    @Test
    void minTokensToKeepHoldsTheBestFewBack() {
        // HF's min_tokens_to_keep, which beam sampling sets to max(2, #eos + 1)
        float[] k = {1, 5, 3, 4, 2};
        LogitsProcessor.topK(1, 3).process(NONE, 0, k);
        assertThat(kept(k)).containsExactly(false, true, true, true, false);
        float[] p = ln(0.5, 0.3, 0.15, 0.05);
        LogitsProcessor.topP(0.01f, 2).process(NONE, 0, p);
        assertThat(kept(p)).containsExactly(true, true, false, false);
        float[] m = ln(0.6, 0.3, 0.1);
        LogitsProcessor.minP(0.9f, 2).process(NONE, 0, m);
        assertThat(kept(m)).containsExactly(true, true, false);
        float[] t = ln(0.5, 0.3, 0.15, 0.05);
        LogitsProcessor.typicalP(0.2f, 3).process(NONE, 0, t);             // the three most typical: 1, 0, 2
        assertThat(kept(t)).containsExactly(true, true, true, false);
    }

    @Test
    void primitiveSortsAgreeWithBoxedSorting() {
        Random rnd = new Random(7);
        for (int trial = 0; trial < 200; trial++) {
            int n = 1 + rnd.nextInt(40);
            float[] x = new float[n];
            for (int i = 0; i < n; i++) x[i] = rnd.nextInt(5) == 0 ? NEG : (rnd.nextInt(7) - 3) * (rnd.nextBoolean() ? 0.5f : 1.25f);
            long[] order = new long[n];
            Sorting.argsortAscending(x, order);
            Integer[] boxed = new Integer[n];
            for (int i = 0; i < n; i++) boxed[i] = i;
            Arrays.sort(boxed, (p, q) -> Float.compare(x[p] == 0f ? 0f : x[p], x[q] == 0f ? 0f : x[q])); // stable: ties by index
            for (int i = 0; i < n; i++) assertThat(Sorting.index(order[i])).isEqualTo(boxed[i]);
            float[] sorted = x.clone();
            Arrays.sort(sorted);
            int k = 1 + rnd.nextInt(n);
            assertThat(Sorting.kthLargest(x.clone(), k)).isEqualTo(sorted[n - k]);
        }
    }
}
