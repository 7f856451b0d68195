// Semantics of the recurrent layers: PyTorch names, padding, both directions, state in and out, dropout.
package org.llm4j.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.llm4j.tensor.Cell;
import org.llm4j.tensor.F;
import org.llm4j.tensor.Grad;
import org.llm4j.tensor.Rng;
import org.llm4j.tensor.Tensor;

class RecurrentTest {
    static final int IN = 3, H = 4;

    static Tensor randn(long seed, int... shape) {
        Tensor t = Tensor.zeros(shape);
        new Rng(seed).fillNormal(t.data, 1f);
        return t;
    }

    /** Rows [0, len) of sequence bi of x (B, T, C), as a batch of one. */
    static Tensor sequence(Tensor x, int bi, int len) {
        int t = x.dim(1), c = x.dim(2);
        return Tensor.of(Arrays.copyOfRange(x.data, bi * t * c, (bi * t + len) * c), 1, len, c);
    }

    static void assertNear(String what, float[] actual, int aOff, float[] expected, int eOff, int n) {
        for (int i = 0; i < n; i++) {
            assertThat(actual[aOff + i]).as("%s [%d]", what, i).isCloseTo(expected[eOff + i], org.assertj.core.data.Offset.offset(1e-6f));
        }
    }

    @Test
    void parameterNamesAndShapesAreTorchs() {
        Recurrent gru = new Recurrent(new Recurrent.Config(Cell.GRU, IN, H, 2, true, 0f, true), 1);
        var p = gru.parameters();
        assertThat(p.keySet()).containsExactly(
                "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
                "weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_ih_l0_reverse", "bias_hh_l0_reverse",
                "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1",
                "weight_ih_l1_reverse", "weight_hh_l1_reverse", "bias_ih_l1_reverse", "bias_hh_l1_reverse");
        assertThat(p.get("weight_ih_l0").shape()).containsExactly(3 * H, IN);
        assertThat(p.get("weight_ih_l1_reverse").shape()).containsExactly(3 * H, 2 * H);
        assertThat(p.get("weight_hh_l1").shape()).containsExactly(3 * H, H);
        assertThat(p.get("bias_hh_l0_reverse").shape()).containsExactly(3 * H);
        float bound = (float) (1 / Math.sqrt(H));
        for (Tensor t : p.values()) {
            for (float v : t.data) assertThat(Math.abs(v)).isLessThanOrEqualTo(bound);
            assertThat(t.data).as("initialised").isNotEqualTo(new float[t.size()]);
        }
        Recurrent lstm = new Recurrent(new Recurrent.Config(Cell.LSTM, IN, H, 1, false, 0f, false), 1);
        assertThat(lstm.parameters().keySet()).containsExactly("weight_ih_l0", "weight_hh_l0");
        assertThat(lstm.parameters().get("weight_hh_l0").shape()).containsExactly(4 * H, H);
    }

    // Each sequence of a padded batch gives what it gives alone, unpadded: the same outputs at
    // its real steps, zeros after them, and h_n (c_n) at its true end, in both directions.
    @ParameterizedTest
    @EnumSource(Cell.class)
    void paddedStepsKeepTheStateAndEmitZeros(Cell cell) {
        try (var g = Grad.off()) {
            Recurrent rnn = new Recurrent(new Recurrent.Config(cell, IN, H, 2, true, 0f, true), 5);
            int b = 3, t = 5, d = 2 * H;
            int[] lengths = {5, 2, 4};
            Tensor x = randn(11, b, t, IN);
            Recurrent.Output all = rnn.forward(x, lengths, null, null, null);
            for (int bi = 0; bi < b; bi++) {
                int len = lengths[bi];
                Recurrent.Output one = rnn.forward(sequence(x, bi, len));
                assertNear("output of sequence " + bi, all.output().data, bi * t * d, one.output().data, 0, len * d);
                for (int i = (bi * t + len) * d; i < (bi + 1) * t * d; i++) assertThat(all.output().data[i]).as("padding").isZero();
                for (int k = 0; k < 4; k++) {
                    assertNear("h_n " + k + " of sequence " + bi, all.hN().data, (k * b + bi) * H, one.hN().data, k * H, H);
                    if (cell.hasCellState()) assertNear("c_n " + k + " of sequence " + bi, all.cN().data, (k * b + bi) * H, one.cN().data, k * H, H);
                }
            }
        }
    }

    // The _reverse direction is the forward recurrence on the time-reversed sequence, and the
    // layer's output holds forward then reverse along the last dimension.
    @ParameterizedTest
    @EnumSource(Cell.class)
    void bidirectionalConcatenatesTheForwardAndTheReversedRecurrence(Cell cell) {
        try (var g = Grad.off()) {
            Recurrent bi = new Recurrent(new Recurrent.Config(cell, IN, H, 1, true, 0f, true), 9);
            var p = bi.parameters();
            int t = 6;
            Tensor x = randn(3, 1, t, IN);
            Tensor flipped = Tensor.zeros(1, t, IN);
            for (int s = 0; s < t; s++) System.arraycopy(x.data, s * IN, flipped.data, (t - 1 - s) * IN, IN);
            Recurrent.Output out = bi.forward(x);
            F.RecurrentOutput fwd = F.recurrent(cell, x, p.get("weight_ih_l0"), p.get("weight_hh_l0"), p.get("bias_ih_l0"), p.get("bias_hh_l0"), null, null, null, false);
            F.RecurrentOutput rev = F.recurrent(cell, flipped, p.get("weight_ih_l0_reverse"), p.get("weight_hh_l0_reverse"),
                    p.get("bias_ih_l0_reverse"), p.get("bias_hh_l0_reverse"), null, null, null, false);
            for (int s = 0; s < t; s++) {
                assertNear("forward half at " + s, out.output().data, s * 2 * H, fwd.output().data, s * H, H);
                assertNear("reverse half at " + s, out.output().data, s * 2 * H + H, rev.output().data, (t - 1 - s) * H, H);
            }
            assertNear("h_n forward", out.hN().data, 0, fwd.hN().data, 0, H);
            assertNear("h_n reverse", out.hN().data, H, rev.hN().data, 0, H);
            // last(): the forward state after the last step beside the reverse state after the first
            Tensor last = out.last();
            assertThat(last.shape()).containsExactly(1, 2 * H);
            assertNear("last forward", last.data, 0, out.output().data, (t - 1) * 2 * H, H);
            assertNear("last reverse", last.data, H, out.output().data, H, H);
        }
    }

    // h_n (and c_n) of one call fed as h0 (c0) of the next equals one call over both chunks.
    @ParameterizedTest
    @EnumSource(Cell.class)
    void stateCarriesAcrossCalls(Cell cell) {
        try (var g = Grad.off()) {
            Recurrent rnn = new Recurrent(new Recurrent.Config(cell, IN, H, 2, false, 0f, true), 2);
            int b = 2, t = 7, split = 3;
            Tensor x = randn(4, b, t, IN);
            Recurrent.Output whole = rnn.forward(x);
            Tensor first = F.slice(x, 1, 0, split), second = F.slice(x, 1, split, t);
            Recurrent.Output a = rnn.forward(first);
            Recurrent.Output c = rnn.forward(second, null, a.hN(), a.cN(), null);
            Tensor tail = F.slice(whole.output(), 1, split, t);
            assertNear("output after the split", c.output().data, 0, tail.data, 0, tail.size());
            assertNear("h_n", c.hN().data, 0, whole.hN().data, 0, whole.hN().size());
            if (cell.hasCellState()) assertNear("c_n", c.cN().data, 0, whole.cN().data, 0, whole.cN().size());
        }
    }

    @Test
    void dropoutActsBetweenLayersOnlyWhileTraining() {
        Recurrent rnn = new Recurrent(new Recurrent.Config(Cell.GRU, IN, H, 2, false, 0.5f, true), 2);
        Tensor x = randn(6, 2, 5, IN);
        assertThatThrownBy(() -> rnn.forward(x)).hasMessageContaining("random generator");
        float[] trained = rnn.forward(x, null, null, null, new Rng(1)).output().data;
        rnn.setTraining(false);
        float[] eval = rnn.forward(x).output().data;
        assertThat(trained).isNotEqualTo(eval);
        Recurrent one = new Recurrent(new Recurrent.Config(Cell.GRU, IN, H, 1, false, 0.5f, true), 2);
        assertThat(one.forward(x, null, null, null, new Rng(1)).output().data).as("no dropout after the last layer")
                .isEqualTo(withTraining(one, false).forward(x).output().data);
    }

    static Recurrent withTraining(Recurrent r, boolean on) {
        r.setTraining(on);
        return r;
    }

    @Test
    void badShapesAreRefusedWithTheirNames() {
        Recurrent rnn = new Recurrent(new Recurrent.Config(Cell.RNN_TANH, IN, H, 2, true, 0f, true), 2);
        assertThatThrownBy(() -> rnn.forward(Tensor.zeros(2, 5, IN + 1))).hasMessageContaining("(B, T, 3)");
        assertThatThrownBy(() -> rnn.forward(Tensor.zeros(2, 5, IN), null, Tensor.zeros(2, 2, H), null, null)).hasMessageContaining("h0 must be (4, 2, 4)");
        assertThatThrownBy(() -> rnn.forward(Tensor.zeros(2, 5, IN), new int[]{5, 6}, null, null, null)).hasMessageContaining("length 6 of sequence 1");
        assertThatThrownBy(() -> rnn.forward(Tensor.zeros(2, 5, IN), null, null, Tensor.zeros(4, 2, H), null)).hasMessageContaining("LSTM only");
        assertThatThrownBy(() -> new Recurrent.Config(Cell.GRU, IN, 0, 1, false, 0f, true)).hasMessageContaining("positive");
        assertThat(List.of(Cell.values())).hasSize(4);
    }
}
