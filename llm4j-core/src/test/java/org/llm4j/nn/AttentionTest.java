// Attention on top of an RNN: padding masks (padded steps get zero weight) and a task only attention pooling makes easy.
package org.llm4j.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.llm4j.optim.AdamW;
import org.llm4j.tensor.Cell;
import org.llm4j.tensor.F;
import org.llm4j.tensor.Grad;
import org.llm4j.tensor.Rng;
import org.llm4j.tensor.Tensor;

class AttentionTest {
    static final org.assertj.core.data.Offset<Float> CLOSE = org.assertj.core.data.Offset.offset(1e-5f);

    static Tensor randn(long seed, int... shape) {
        Tensor t = Tensor.zeros(shape);
        new Rng(seed).fillNormal(t.data, 1f);
        return t;
    }

    // Equal values (0.0 and -0.0 count as equal: a masked step is y·0).
    static void assertSame(float[] actual, float[] expected) {
        assertThat(actual).hasSameSizeAs(expected);
        for (int i = 0; i < actual.length; i++) assertThat(actual[i] == expected[i]).as("[%d] %s vs %s", i, actual[i], expected[i]).isTrue();
    }

    /** x with every padded step (t >= lengths[b]) overwritten by large random values. */
    static Tensor scrambledPadding(Tensor x, int[] lengths, long seed) {
        int t = x.dim(1), c = x.dim(2);
        float[] d = x.data.clone();
        Rng rng = new Rng(seed);
        for (int b = 0; b < lengths.length; b++) for (int i = lengths[b] * c; i < t * c; i++) d[b * t * c + i] = (float) rng.nextGaussian() * 50f;
        return Tensor.of(d, x.shape());
    }

    @Test
    void poolingGivesPaddedStepsZeroWeight() {
        AttentionPooling pool = new AttentionPooling(6, 5, 1);
        int[] lengths = {7, 3, 1, 0};
        Tensor h = randn(2, 4, 7, 6);
        AttentionPooling.Output o = pool.forward(h, lengths);
        assertThat(o.weights().shape()).containsExactly(4, 7);
        assertThat(o.pooled().shape()).containsExactly(4, 6);
        for (int b = 0; b < 4; b++) {
            float sum = 0;
            for (int t = 0; t < 7; t++) {
                float w = o.weights().data[b * 7 + t];
                if (t >= lengths[b]) assertThat(w).as("weight of padded step %d of sequence %d", t, b).isZero();
                else assertThat(w).isPositive();
                sum += w;
            }
            assertThat(sum).isCloseTo(lengths[b] == 0 ? 0f : 1f, CLOSE); // an empty sequence pools to zeros
        }
        // What sits in the padding cannot change the result, and a sequence alone pools as in the batch.
        AttentionPooling.Output scrambled = pool.forward(scrambledPadding(h, lengths, 9), lengths);
        assertSame(scrambled.pooled().data, o.pooled().data);
        Tensor alone = Tensor.of(Arrays.copyOfRange(h.data, 7 * 6, 7 * 6 + 3 * 6), 1, 3, 6);
        float[] single = pool.forward(alone, null).pooled().data;
        for (int c = 0; c < 6; c++) assertThat(single[c]).isCloseTo(o.pooled().data[6 + c], CLOSE);
        assertThatThrownBy(() -> pool.forward(h, new int[]{8, 1, 1, 1})).hasMessageContaining("length 8");
        assertThatThrownBy(() -> pool.forward(randn(1, 2, 3, 5), null)).hasMessageContaining("(B, T, 6)");
    }

    @Test
    void selfAttentionMasksPaddedKeysAndQueries() {
        SelfAttention att = new SelfAttention(8, 2, 3);
        assertThat(att.parameters().keySet()).containsExactly("in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias");
        int b = 3, t = 5, c = 8;
        int[] lengths = {5, 2, 4};
        Tensor x = randn(4, b, t, c);
        SelfAttention.Output o = att.forward(x, lengths);
        assertThat(o.weights().shape()).containsExactly(b, 2, t, t);
        float[] p = o.weights().data;
        for (int bi = 0; bi < b; bi++) {
            for (int h = 0; h < 2; h++) {
                for (int i = 0; i < t; i++) {
                    float sum = 0;
                    for (int j = 0; j < t; j++) {
                        float w = p[((bi * 2 + h) * t + i) * t + j];
                        if (j >= lengths[bi]) assertThat(w).as("key %d of sequence %d", j, bi).isZero();
                        sum += w;
                    }
                    assertThat(sum).isCloseTo(1f, CLOSE);
                }
            }
            for (int i = lengths[bi]; i < t; i++) {
                for (int k = 0; k < c; k++) assertThat(o.output().data[(bi * t + i) * c + k]).as("padded query %d of sequence %d", i, bi).isZero();
            }
        }
        assertSame(att.forward(scrambledPadding(x, lengths, 5), lengths).output().data, o.output().data);
        // Sequence 1 alone, unpadded, gives the same outputs at its real steps.
        Tensor alone = Tensor.of(Arrays.copyOfRange(x.data, t * c, t * c + 2 * c), 1, 2, c);
        float[] single = att.forward(alone, null).output().data;
        for (int i = 0; i < 2 * c; i++) assertThat(single[i]).isCloseTo(o.output().data[t * c + i], CLOSE);
        assertThatThrownBy(() -> new SelfAttention(6, 4, 1)).hasMessageContaining("do not split");
    }

    /** Embedding → LSTM → attention pooling → linear: a sequence classifier with attention. */
    static final class MarkerClassifier extends Module {
        final Tensor emb, headW, headB;
        final Recurrent rnn;
        final AttentionPooling pool;

        MarkerClassifier(int vocab, int dim, int hidden, long seed) {
            emb = param("embedding.weight", vocab, dim);
            new Rng(seed).fillNormal(emb.data, 1f);
            rnn = register("rnn", new Recurrent(Recurrent.Config.of(Cell.LSTM, dim, hidden), seed + 1));
            pool = register("pool", new AttentionPooling(hidden, hidden, seed + 2));
            headW = param("head.weight", 2, hidden);
            headB = param("head.bias", 2);
            AttentionPooling.uniform(new Rng(seed + 3), headW.data, 1 / Math.sqrt(hidden));
        }

        Tensor logits(int[] ids, int b, int t, int[] lengths) {
            Tensor x = F.embedding(emb, ids, b, t);
            Tensor h = rnn.forward(x, lengths, null, null, null).output();
            return F.linear(pool.forward(h, lengths).pooled(), headW, headB); // (B, 2)
        }
    }

    static final int VOCAB = 12, MARKER = 3, T = 40, B = 32;

    /** Random sequences of 20–40 tokens from {2, 4, ..., 11}; half carry one marker token somewhere. */
    static int[][] batch(Rng rng, int[] ids, int[] lengths) {
        int[] labels = new int[B];
        Arrays.fill(ids, 0);
        for (int b = 0; b < B; b++) {
            lengths[b] = 20 + rng.nextInt(T - 20 + 1);
            for (int i = 0; i < lengths[b]; i++) {
                int tok = 2 + rng.nextInt(VOCAB - 3);
                ids[b * T + i] = tok >= MARKER ? tok + 1 : tok;
            }
            labels[b] = rng.nextInt(2);
            if (labels[b] == 1) ids[b * T + rng.nextInt(lengths[b])] = MARKER;
        }
        return new int[][]{labels};
    }

    @Test
    void attentionPoolingLearnsToFindAMarkerAnywhereInALongSequence() {
        MarkerClassifier m = new MarkerClassifier(VOCAB, 8, 16, 42);
        assertThat(m.parameters().keySet()).contains("rnn.weight_ih_l0", "pool.proj.weight", "pool.score.weight");
        Map<String, Boolean> decays = new java.util.LinkedHashMap<>();
        m.parameters().keySet().forEach(k -> decays.put(k, false));
        AdamW opt = new AdamW(m.parameters(), decays, 0.9f, 0.999f, 1e-8f, 0f);
        Rng rng = new Rng(7);
        int[] ids = new int[B * T], lengths = new int[B];
        double first = 0, last = 0;
        int steps = 120;
        for (int s = 0; s < steps; s++) {
            int[] labels = batch(rng, ids, lengths)[0];
            m.zeroGrad();
            Tensor loss = F.crossEntropy(m.logits(ids, B, T, lengths), labels, -100);
            loss.backward();
            opt.step(0.02f);
            if (s < 10) first += loss.item() / 10;
            if (s >= steps - 10) last += loss.item() / 10;
        }
        int correct = 0;
        try (var g = Grad.off()) {
            int[] labels = batch(new Rng(1234), ids, lengths)[0];
            float[] logits = m.logits(ids, B, T, lengths).data;
            for (int b = 0; b < B; b++) if ((logits[2 * b + 1] > logits[2 * b] ? 1 : 0) == labels[b]) correct++;
        }
        System.out.printf("marker task: loss %.3f -> %.3f, held-out %d/%d%n", first, last, correct, B);
        assertThat(first).as("loss over the first 10 steps").isGreaterThan(0.6);
        assertThat(last).as("loss over the last 10 steps (first 10: %.3f)", first).isLessThan(0.25);
        assertThat(correct).as("held-out accuracy out of %d", B).isGreaterThanOrEqualTo(29);
    }
}
