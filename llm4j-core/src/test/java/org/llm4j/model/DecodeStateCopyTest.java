// DecodeState.copy() is deep: a fork and its source step independently, each as if decoded from scratch.
package org.llm4j.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class DecodeStateCopyTest {

    static float[] replay(LanguageModel m, int... tokens) {
        DecodeState s = m.newState();
        float[] logits = null;
        for (int t : tokens) logits = m.step(s, t);
        return logits;
    }

    @Test
    void forksOfTheKvCacheAndTheHiddenStateAreIndependent() {
        LanguageModel gpt = new GPTConfig(17, 12, 2, 2, 8, 0f, 1e-5f).build(3);
        LanguageModel lstm = new LstmConfig(17, 6, 5, 2, 0f).build(3);
        for (LanguageModel m : List.of(gpt, lstm)) {
            m.setTraining(false);
            DecodeState a = m.newState();
            m.step(a, 1);
            m.step(a, 2);
            DecodeState b = a.copy();
            assertThat(b.position()).isEqualTo(2);
            float[] fromB = m.step(b, 7);          // the fork moves on first...
            float[] fromA = m.step(a, 4);          // ...and the source does not see it
            assertThat(fromA).containsExactly(replay(m, 1, 2, 4));
            assertThat(fromB).containsExactly(replay(m, 1, 2, 7));
            assertThat(m.step(b, 3)).containsExactly(replay(m, 1, 2, 7, 3));
            assertThat(a.position()).isEqualTo(3);
            assertThat(b.position()).isEqualTo(4);
            // stepBatch advances each state by its own token, as step would
            DecodeState c = a.copy(), d = b.copy();
            List<float[]> both = m.stepBatch(List.of(c, d), new int[]{5, 6});
            assertThat(both.get(0)).containsExactly(replay(m, 1, 2, 4, 5));
            assertThat(both.get(1)).containsExactly(replay(m, 1, 2, 7, 3, 6));
        }
    }

    @Test
    void theGptKvCacheGrowsPastItsFirstCapacityUpToTheContext() {
        // Context 200 > the cache's first capacity (64): growth happens inside a prefill, inside a
        // step, in a fork, and the cache refuses the token past the context.
        int block = 200;
        GPT gpt = (GPT) new GPTConfig(23, block, 2, 2, 16, 0f, 1e-5f).build(5);
        gpt.setTraining(false);
        int[] tokens = new int[block];
        for (int i = 0; i < block; i++) tokens[i] = (i * 7 + 3) % 23;
        DecodeState stepped = gpt.newState();
        float[] last = null;
        for (int i = 0; i < 150; i++) last = gpt.step(stepped, tokens[i]);
        DecodeState fork = stepped.copy();
        DecodeState prefilled = gpt.newState();
        float[] pre = gpt.prefill(prefilled, java.util.Arrays.copyOf(tokens, 150));
        float[] ref = gpt.forward(java.util.Arrays.copyOf(tokens, 150), 1, 150).data;
        int v = 23;
        float[] refLast = java.util.Arrays.copyOfRange(ref, 149 * v, 150 * v);
        for (float[] got : List.of(last, pre)) {
            for (int i = 0; i < v; i++) assertThat((double) got[i]).isCloseTo(refLast[i], org.assertj.core.data.Offset.offset(2e-4 * (1 + Math.abs(refLast[i]))));
        }
        for (int i = 150; i < block; i++) {
            float[] a = gpt.step(stepped, tokens[i]);
            float[] b = gpt.step(fork, tokens[i]);
            assertThat(b).containsExactly(a);
        }
        assertThat(stepped.position()).isEqualTo(block);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> gpt.step(fork, 1)).hasMessageContaining("KV cache is full");
    }
}
