// Every differentiable op against finite differences.
package org.llm4j.tensor;

import static org.llm4j.tensor.GradCheck.check;
import static org.llm4j.tensor.GradCheck.randn;

import java.util.List;
import org.junit.jupiter.api.Test;

class GradCheckTest {
    final Rng rng = new Rng(7);

    @Test void embedding() {
        Tensor w = randn(rng, 7, 3);
        int[] ids = {0, 3, 3, 6, 1, 0};
        check("embedding", in -> F.embedding(in[0], ids, 2, 3), w);
    }

    @Test void addmm() {
        check("addmm", in -> F.addmm(in[0], in[1], in[2]), randn(rng, 2, 3, 5), randn(rng, 5, 4), randn(rng, 4));
    }

    @Test void linear() {
        check("linear", in -> F.linear(in[0], in[1], in[2]), randn(rng, 3, 5), randn(rng, 6, 5), randn(rng, 6));
    }

    @Test void matmul() {
        check("matmul", in -> F.matmul(in[0], in[1]), randn(rng, 4, 3), randn(rng, 3, 5));
    }

    @Test void broadcastingArithmetic() {
        check("add same", in -> F.add(in[0], in[1]), randn(rng, 2, 3), randn(rng, 2, 3));
        check("add bias", in -> F.add(in[0], in[1]), randn(rng, 2, 3, 4), randn(rng, 4));
        check("sub broadcast both", in -> F.sub(in[0], in[1]), randn(rng, 3, 1), randn(rng, 1, 4));
        check("mul same", in -> F.mul(in[0], in[1]), randn(rng, 5), randn(rng, 5));
        check("mul broadcast", in -> F.mul(in[0], in[1]), randn(rng, 2, 3, 4), randn(rng, 3, 1));
        check("scale", in -> F.scale(in[0], -1.7f), randn(rng, 6));
    }

    @Test void pointwise() {
        check("tanh", in -> F.tanh(in[0]), randn(rng, 10));
        check("sigmoid", in -> F.sigmoid(in[0]), randn(rng, 10));
        check("gelu", in -> F.gelu(in[0]), randn(rng, 17));
        Tensor away = randn(rng, 10);
        for (int i = 0; i < away.size(); i++) away.data[i] += Math.signum(away.data[i]) * 0.1f; // stay off the kink
        check("relu", in -> F.relu(in[0]), away);
    }

    @Test void clampedLogAbsAndPick() {
        Tensor pos = randn(rng, 12);
        for (int i = 0; i < pos.size(); i++) pos.data[i] = 0.2f + Math.abs(pos.data[i]); // above the floor
        check("log", in -> F.log(in[0], 1e-7f), 1e-3, 3e-2, pos);
        Tensor away = randn(rng, 10);
        for (int i = 0; i < away.size(); i++) away.data[i] += Math.signum(away.data[i]) * 0.1f; // off the kink
        check("abs", in -> F.abs(in[0]), away);
        check("pick", in -> F.pick(in[0], new int[]{2, 0, 3}), randn(rng, 3, 4));
    }

    @Test void dropoutWithAFixedMask() {
        check("dropout", in -> F.dropout(in[0], 0.3f, new Rng(5), true), randn(rng, 20));
    }

    @Test void shapes() {
        check("reshape", in -> F.mul(F.reshape(in[0], 3, -1), in[1]), randn(rng, 2, 6), randn(rng, 3, 4));
        check("transpose", in -> F.transpose(in[0], 0, 2), randn(rng, 2, 3, 4));
        check("permute", in -> F.permute(in[0], 1, 2, 0), randn(rng, 2, 3, 4));
        check("slice", in -> F.slice(in[0], 1, 1, 3), randn(rng, 2, 4, 3));
        check("concat", in -> F.concat(List.of(in[0], in[1]), 1), randn(rng, 2, 2, 3), randn(rng, 2, 1, 3));
    }

    @Test void layerNorm() {
        check("layerNorm", in -> F.layerNorm(in[0], in[1], in[2], 1e-5f), randn(rng, 3, 8), randn(rng, 8), randn(rng, 8));
    }

    @Test void softmax() {
        check("softmax", in -> F.softmax(in[0]), randn(rng, 3, 7));
    }

    @Test void crossEntropyWithIgnoreIndex() {
        int[] targets = {2, -100, 0, 4};
        check("crossEntropy", in -> F.crossEntropy(in[0], targets, -100), randn(rng, 4, 5));
    }

    @Test void causalSelfAttention() {
        check("attention", in -> F.causalSelfAttention(in[0], 2), randn(rng, 2, 5, 3 * 4));
    }

    @Test void lstmLayer() {
        Tensor x = randn(rng, 2, 4, 3);
        Tensor wih = randn(rng, 4 * 5, 3), whh = randn(rng, 4 * 5, 5), bih = randn(rng, 20), bhh = randn(rng, 20);
        for (Tensor t : new Tensor[]{wih, whh}) F.kernels().scale(t.data, 0, t.size(), 0.5f);
        float[] h0 = new float[10], c0 = new float[10];
        new Rng(3).fillNormal(h0, 0.5f);
        new Rng(4).fillNormal(c0, 0.5f);
        check("lstm", in -> F.lstm(in[0], in[1], in[2], in[3], in[4], h0, c0).output(), x, wih, whh, bih, bhh);
    }

    // The recurrent ops through every output (sequence, h_n, c_n), with the initial state, a
    // padded batch (lengths 4, 2, 0 of T = 4) and both directions.
    static Tensor flatOutputs(F.RecurrentOutput r) {
        List<Tensor> parts = new java.util.ArrayList<>(List.of(F.reshape(r.output(), -1), F.reshape(r.hN(), -1)));
        if (r.cN() != null) parts.add(F.reshape(r.cN(), -1));
        return F.concat(parts, 0);
    }

    void checkRecurrent(Cell cell, int[] lengths, boolean reverse) {
        int b = 3, t = 4, in = 3, h = 5, g = cell.gates * h;
        Tensor x = randn(rng, b, t, in), wih = randn(rng, g, in), whh = randn(rng, g, h), bih = randn(rng, g), bhh = randn(rng, g);
        Tensor h0 = randn(rng, b, h), c0 = cell.hasCellState() ? randn(rng, b, h) : null;
        for (Tensor w : new Tensor[]{wih, whh}) F.kernels().scale(w.data, 0, w.size(), 0.5f);
        if (cell == Cell.RNN_RELU) {
            // Keep every pre-activation far from the kink at 0, where finite differences lie:
            // small weights and biases of ±3 make units 0, 2, 4 always on and 1, 3 always off.
            for (Tensor w : new Tensor[]{wih, whh}) F.kernels().scale(w.data, 0, w.size(), 0.2f);
            for (int i = 0; i < g; i++) { bih.data[i] = i % 2 == 0 ? 3f : -3f; bhh.data[i] *= 0.1f; }
        }
        String name = cell + (reverse ? " reverse" : "") + (lengths != null ? " padded" : "");
        Tensor[] inputs = c0 != null ? new Tensor[]{x, wih, whh, bih, bhh, h0, c0} : new Tensor[]{x, wih, whh, bih, bhh, h0};
        check(name, in2 -> flatOutputs(F.recurrent(cell, in2[0], in2[1], in2[2], in2[3], in2[4], in2[5],
                in2.length > 6 ? in2[6] : null, lengths, reverse)), inputs);
    }

    @Test void recurrentCells() {
        int[] lengths = {4, 2, 0};
        for (Cell cell : Cell.values()) {
            checkRecurrent(cell, null, false);
            checkRecurrent(cell, lengths, false);
            checkRecurrent(cell, lengths, true);
        }
    }

    @Test void recurrentHiddenStateAloneCarriesTheGradient() {
        // A classifier reads only h_n: output's backward must still run.
        Tensor x = randn(rng, 2, 3, 4), wih = randn(rng, 9, 4), whh = randn(rng, 9, 3);
        check("gru h_n only", in -> F.recurrent(Cell.GRU, in[0], in[1], in[2], null, null, null, null, new int[]{3, 1}, false).hN(), x, wih, whh);
    }

    @Test void exp() {
        check("exp", in -> F.exp(in[0]), randn(rng, 9));
    }

    @Test void batchedMatmul() {
        check("bmm", in -> F.bmm(in[0], in[1]), randn(rng, 3, 2, 4), randn(rng, 3, 4, 5));
    }

    @Test void maskedSoftmax() {
        int[] lengths = {5, 2, 0};
        check("maskedSoftmax (B, T)", in -> F.maskedSoftmax(in[0], lengths), randn(rng, 3, 5));
        check("maskedSoftmax (B, nh, T, T)", in -> F.maskedSoftmax(in[0], new int[]{3, 1}), randn(rng, 2, 2, 3, 3));
        check("maskedSoftmax unmasked", in -> F.maskedSoftmax(in[0], null), randn(rng, 2, 4));
    }

    @Test void gaussianKl() {
        Tensor logvar = randn(rng, 3, 4);
        F.kernels().scale(logvar.data, 0, logvar.size(), 0.5f);
        check("gaussianKl", in -> F.gaussianKl(in[0], in[1]), randn(rng, 3, 4), logvar);
    }

    @Test void reparameterisation() {
        // z = mu + e^(logvar/2)·eps with eps fixed: the sampling path of a VAE, through exp and the broadcasting ops
        Tensor eps = Tensor.of(new float[8], 2, 4);
        new Rng(11).fillNormal(eps.data, 1f);
        check("reparameterise", in -> F.add(in[0], F.mul(F.exp(F.scale(in[1], 0.5f)), eps)), randn(rng, 2, 4), randn(rng, 2, 4));
    }

    @Test void reductions() {
        check("sum", in -> F.sum(in[0]), randn(rng, 2, 3));
        check("mean", in -> F.mean(in[0]), randn(rng, 2, 3));
    }
}
