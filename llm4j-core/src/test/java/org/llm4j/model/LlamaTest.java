// Llama's decoding paths agree with each other, and the two RoPE pairings are the same model up to a permutation.
package org.llm4j.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.llm4j.tensor.Tensor;
import org.llm4j.tokenizer.SentencePieceBpeTokenizer;
import org.llm4j.tokenizer.SentencePieceBpeTokenizer.TokenType;

class LlamaTest {
    // Odd sizes, grouped-query attention (6 query heads over 2 key/value heads), a separate head.
    static LlamaConfig cfg(LlamaConfig.RopeStyle rope, boolean tied) {
        return new LlamaConfig(37, 24, 40, 2, 6, 2, 16, 1e-5f, 10000f, rope, tied);
    }

    static float[] steps(LanguageModel m, DecodeState s, int[] tokens) {
        float[] last = null;
        for (int t : tokens) last = m.step(s, t);
        return last;
    }

    @Test
    void prefillAndStepBatchMatchStep() {
        Llama m = new Llama(cfg(LlamaConfig.RopeStyle.INTERLEAVED, false), 7);
        int[] a = {1, 5, 9, 33, 2, 0, 17}, b = {3, 4};
        DecodeState sa = m.newState(), sb = m.newState();
        float[] la = steps(m, sa, a), lb = steps(m, sb, b);
        DecodeState pa = m.newState();
        Fixtures.assertClose("prefill", m.prefill(pa, a), la, 1e-5);
        assertThat(pa.position()).isEqualTo(a.length);
        // Two sequences at different positions, one token each, against each alone.
        DecodeState ca = sa.copy(), cb = sb.copy();
        List<float[]> batch = m.stepBatch(List.of(ca, cb), new int[] {8, 30});
        Fixtures.assertClose("batch row 0", batch.get(0), m.step(sa, 8), 1e-5);
        Fixtures.assertClose("batch row 1", batch.get(1), m.step(sb, 30), 1e-5);
        assertThat(ca.position()).isEqualTo(a.length + 1);
        assertThatThrownBy(() -> m.stepBatch(List.of(ca, ca), new int[] {1, 2})).hasMessageContaining("twice");
    }

    /**
     * A long prompt attends in blocks of query rows, each against only the keys it can see: after
     * a first prefill (so the second starts at t0 > 0), with and without a sliding window, the
     * logits and the cache it leaves (checked through the next step) match one step at a time.
     */
    @Test
    void longPrefillInBlocksMatchesSteps() {
        for (int window : new int[] {0, 50}) {
            LlamaConfig c = new LlamaConfig(37, 24, 40, 2, 6, 2, 200, 1e-5f, 10000f, LlamaConfig.RopeStyle.HALF_SPLIT, false,
                    false, window, RopeScaling.NONE);
            Llama m = new Llama(c, 5);
            int[] tokens = new int[170];
            for (int i = 0; i < tokens.length; i++) tokens[i] = (i * 7 + 3) % 37;
            DecodeState stepped = m.newState(), prefilled = m.newState();
            float[] want = steps(m, stepped, tokens);
            m.prefill(prefilled, java.util.Arrays.copyOf(tokens, 21));
            Fixtures.assertClose("prefill window " + window, m.prefill(prefilled, java.util.Arrays.copyOfRange(tokens, 21, 170)), want, 1e-5);
            Fixtures.assertClose("step after prefill, window " + window, m.step(prefilled, 11), m.step(stepped, 11), 1e-5);
        }
    }

    @Test
    void copiedStateIsIndependent() {
        Llama m = new Llama(cfg(LlamaConfig.RopeStyle.HALF_SPLIT, true), 3);
        DecodeState s = m.newState();
        steps(m, s, new int[] {1, 2, 3});
        DecodeState c = s.copy();
        float[] x = m.step(s, 4);
        steps(m, s, new int[] {5, 6});
        assertThat(m.step(c, 4)).containsExactly(x);
    }

    @Test
    void cacheAndVocabularyLimitsAreChecked() {
        Llama m = new Llama(cfg(LlamaConfig.RopeStyle.INTERLEAVED, true), 1);
        assertThatThrownBy(() -> m.step(m.newState(), 37)).hasMessageContaining("outside the vocabulary");
        assertThatThrownBy(() -> m.prefill(m.newState(), new int[17])).hasMessageContaining("KV cache is full");
        assertThatThrownBy(() -> m.forward(new int[] {1}, 1, 1)).isInstanceOf(UnsupportedOperationException.class);
    }

    /**
     * Hugging Face's conversion permutes each head's q and k rows so that pair (2j, 2j+1) of Meta's
     * layout lands on (j, j + hs/2): an interleaved model and the half-split model with permuted
     * rows compute the same function.
     */
    @Test
    void ropePairingsAgreeUnderHuggingFacePermutation() {
        LlamaConfig meta = cfg(LlamaConfig.RopeStyle.INTERLEAVED, false);
        Llama a = new Llama(meta, 11);
        Map<String, Tensor> w = new HashMap<>();
        int hs = meta.headSize(), half = hs / 2, c = meta.dim();
        for (var e : a.parameters().entrySet()) {
            Tensor t = e.getValue();
            float[] d = t.data.clone();
            if (e.getKey().endsWith("q_proj.weight") || e.getKey().endsWith("k_proj.weight")) {
                int heads = t.shape()[0] / hs;
                for (int h = 0; h < heads; h++) {
                    for (int j = 0; j < half; j++) {
                        System.arraycopy(t.data, (h * hs + 2 * j) * c, d, (h * hs + j) * c, c);
                        System.arraycopy(t.data, (h * hs + 2 * j + 1) * c, d, (h * hs + j + half) * c, c);
                    }
                }
            }
            w.put(e.getKey(), new Tensor(d, t.shape()));
        }
        Llama b = new Llama(new LlamaConfig(37, 24, 40, 2, 6, 2, 16, 1e-5f, 10000f, LlamaConfig.RopeStyle.HALF_SPLIT, false), w, "permuted");
        int[] toks = {1, 9, 14, 2, 36, 7};
        Fixtures.assertClose("half-split vs interleaved", steps(b, b.newState(), toks), steps(a, a.newState(), toks), 1e-5);
    }

    @Test
    void modelFolderRoundTripKeepsTheRopePairing(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        Llama m = new Llama(cfg(LlamaConfig.RopeStyle.INTERLEAVED, false), 5);
        var tok = new SentencePieceBpeTokenizer(List.of("<unk>", "<s>", "</s>", " ", "a", "b", " a", " ab"),
                new float[] {0, 0, 0, -1, -2, -3, -4, -5},
                new TokenType[] {TokenType.UNKNOWN, TokenType.CONTROL, TokenType.CONTROL, TokenType.NORMAL, TokenType.NORMAL, TokenType.NORMAL, TokenType.NORMAL, TokenType.NORMAL},
                1, 2, 0, true, true);
        assertThat(tok.encode("ab a")).containsExactly(1, 7, 6);
        assertThat(tok.decode(tok.encode("ab a"))).isEqualTo("ab a");
        org.llm4j.format.ModelFiles.save(dir, m, tok);
        var back = org.llm4j.format.ModelFiles.load(dir);
        assertThat(back.model().config()).isEqualTo(m.config());
        assertThat(back.tokenizer().encode("ab a")).containsExactly(1, 7, 6);
        int[] toks = {1, 7, 6, 3};
        assertThat(steps(back.model(), back.model().newState(), toks)).containsExactly(steps(m, m.newState(), toks));
    }
}
