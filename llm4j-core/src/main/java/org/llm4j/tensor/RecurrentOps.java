// One direction of one recurrent layer (Elman RNN, LSTM or GRU) over a padded batch, with its BPTT backward.
package org.llm4j.tensor;

import java.util.Arrays;
import org.llm4j.kernels.Kernels;

/**
 * The shared design of the fused recurrent ops ({@link F#recurrent}). Legend: B batch, T time,
 * In input size, H hidden size, G = gates·H.
 *
 * <p>Forward: the input projection of every step is one matrix product (B·T, In)·W_ihᵀ; then, per
 * step, one (B, H)·W_hhᵀ product and the cell's pointwise maths through the sigmoid/tanh kernels.
 * Sequence bi covers steps [0, len[bi]): a padded step keeps the previous state and emits zeros,
 * as PyTorch's packed sequences do, so the final state is each sequence's state at its true end.
 * In reverse, sequence bi runs from its own last real step len[bi]−1 down to 0.
 *
 * <p>Backward runs the steps in the opposite order. The pre-activation gradients of all steps
 * are kept, so the weight gradients are three matrix products after the loop:
 * dW_ih = dXgᵀ·x, dW_hh = dRecᵀ·h_in, dx = dXg·W_ih. For RNN and LSTM the input-side and
 * hidden-side pre-activations coincide (dRec = dXg); the GRU's n gate differs by the factor r.
 *
 * <p>The op has three outputs (output, h_n, c_n). h_n and c_n are children of output on the
 * tape: their backward parks their gradient in a side buffer (and makes sure output's gradient
 * exists), so output's backward, which the topological order runs after theirs, sees all three.
 */
final class RecurrentOps {
    private static final Kernels K = F.kernels();

    private RecurrentOps() {}

    static F.RecurrentOutput run(Cell cell, Tensor x, Tensor wih, Tensor whh, Tensor bih, Tensor bhh,
                                 Tensor h0, Tensor c0, int[] lengths, boolean reverse) {
        String op = cell.name().toLowerCase();
        if (x.rank() != 3) throw new IllegalArgumentException(op + ": input must be (B, T, In), got " + Arrays.toString(x.shape));
        int b = x.dim(0), t = x.dim(1), in = x.dim(2);
        int g = wih.dim(0), hs = g / cell.gates;
        if (wih.rank() != 2 || g % cell.gates != 0 || wih.dim(1) != in) {
            throw new IllegalArgumentException(op + ": weight_ih must be (" + cell.gates + "·H, " + in + "), got " + Arrays.toString(wih.shape));
        }
        if (whh.rank() != 2 || whh.dim(0) != g || whh.dim(1) != hs) {
            throw new IllegalArgumentException(op + ": weight_hh must be (" + g + ", " + hs + "), got " + Arrays.toString(whh.shape));
        }
        if (bih != null && bih.size() != g) throw new IllegalArgumentException(op + ": bias_ih must have " + g + " values, got " + bih.size());
        if (bhh != null && bhh.size() != g) throw new IllegalArgumentException(op + ": bias_hh must have " + g + " values, got " + bhh.size());
        if (h0 != null && h0.size() != b * hs) throw new IllegalArgumentException(op + ": initial h must hold B·H = " + b * hs + " values, got " + h0.size());
        boolean lstm = cell == Cell.LSTM, gru = cell == Cell.GRU;
        if (c0 != null && (!lstm || c0.size() != b * hs)) {
            throw new IllegalArgumentException(op + ": initial c is for the LSTM only and must hold B·H = " + b * hs + " values");
        }
        int[] len = new int[b];
        if (lengths == null) Arrays.fill(len, t);
        else {
            if (lengths.length != b) throw new IllegalArgumentException(op + ": " + lengths.length + " lengths for a batch of " + b);
            for (int i = 0; i < b; i++) {
                if (lengths[i] < 0 || lengths[i] > t) throw new IllegalArgumentException(op + ": length " + lengths[i] + " of sequence " + i + " is outside [0, " + t + "]");
                len[i] = lengths[i];
            }
        }
        int steps = 0;
        for (int l : len) steps = Math.max(steps, l);
        int bt = b * t;

        // (B, T, G): x·W_ihᵀ + b_ih (+ b_hh where it is a plain sum; the GRU keeps b_hn apart).
        float[] gx = new float[bt * g];
        K.matmulNT(x.data, 0, wih.data, 0, gx, 0, bt, in, g, false);
        for (int r = 0; r < bt; r++) {
            if (bih != null) K.axpy(1f, bih.data, 0, gx, r * g, g);
            if (bhh != null) K.axpy(1f, bhh.data, 0, gx, r * g, gru ? 2 * hs : g);
        }
        float[] hAll = new float[bt * hs];               // (B, T, H) outputs; zeros at padded steps
        float[] hIn = new float[bt * hs];                // (B, T, H) state entering each step
        float[] cIn = lstm ? new float[bt * hs] : null;  // (B, T, H) LSTM cell state entering each step
        float[] tcAll = lstm ? new float[bt * hs] : null; // (B, T, H) tanh(c) after each step
        float[] hnAll = gru ? new float[bt * hs] : null;  // (B, T, H) GRU W_hn·h + b_hn
        float[] h = h0 != null ? h0.data.clone() : new float[b * hs]; // (B, H) running state
        float[] c = lstm ? (c0 != null ? c0.data.clone() : new float[b * hs]) : null;
        float[] rec = new float[b * g];                  // (B, G) h·W_hhᵀ of this step
        // W_hhᵀ (H, G) once, so each step is an NN product, whose packing of B is a vector copy
        // (an NT product packed W_hh with a scalar transposing loop at every step).
        float[] whhT = new float[hs * g];
        for (int r = 0; r < g; r++) for (int q = 0; q < hs; q++) whhT[q * g + r] = whh.data[r * hs + q];
        for (int s = 0; s < steps; s++) {
            K.matmulNN(h, 0, whhT, 0, rec, 0, b, hs, g, false);
            for (int bi = 0; bi < b; bi++) {
                if (s >= len[bi]) continue; // padded: the state carries over
                int p = bi * t + (reverse ? len[bi] - 1 - s : s);
                int go = p * g, ho = p * hs, ro = bi * g, so = bi * hs;
                System.arraycopy(h, so, hIn, ho, hs);
                switch (cell) {
                    case RNN_TANH, RNN_RELU -> {
                        K.axpy(1f, rec, ro, gx, go, hs);
                        if (cell == Cell.RNN_TANH) K.tanh(gx, go, hs);
                        else for (int j = 0; j < hs; j++) gx[go + j] = Math.max(0f, gx[go + j]);
                        System.arraycopy(gx, go, hAll, ho, hs);
                    }
                    case LSTM -> {
                        K.axpy(1f, rec, ro, gx, go, g);
                        K.sigmoid(gx, go, 2 * hs);          // i, f
                        K.tanh(gx, go + 2 * hs, hs);        // g
                        K.sigmoid(gx, go + 3 * hs, hs);     // o
                        System.arraycopy(c, so, cIn, ho, hs);
                        for (int j = 0; j < hs; j++) {
                            float cv = gx[go + hs + j] * c[so + j] + gx[go + j] * gx[go + 2 * hs + j];
                            c[so + j] = cv;
                            tcAll[ho + j] = cv;
                        }
                        K.tanh(tcAll, ho, hs);
                        for (int j = 0; j < hs; j++) hAll[ho + j] = gx[go + 3 * hs + j] * tcAll[ho + j];
                    }
                    case GRU -> {
                        K.axpy(1f, rec, ro, gx, go, 2 * hs);
                        K.sigmoid(gx, go, 2 * hs);          // r, z
                        for (int j = 0; j < hs; j++) {
                            float hn = rec[ro + 2 * hs + j] + (bhh != null ? bhh.data[2 * hs + j] : 0f);
                            hnAll[ho + j] = hn;
                            gx[go + 2 * hs + j] += gx[go + j] * hn;
                        }
                        K.tanh(gx, go + 2 * hs, hs);        // n
                        for (int j = 0; j < hs; j++) {
                            float z = gx[go + hs + j], n = gx[go + 2 * hs + j];
                            hAll[ho + j] = n + z * (h[so + j] - n); // (1 − z)·n + z·h
                        }
                    }
                }
                System.arraycopy(hAll, ho, h, so, hs);
            }
        }

        float[] dhN = new float[b * hs], dcN = lstm ? new float[b * hs] : null;
        final int fSteps = steps;
        Tensor out = new Tensor(hAll, b, t, hs).record(o -> {
            float[] dout = o.grad();
            float[] dgx = new float[bt * g];                  // (B, T, G) input-side pre-activation gradients
            float[] drec = gru ? new float[bt * g] : dgx;     // (B, T, G) hidden-side ones
            float[] dh = dhN.clone(), dc = lstm ? dcN.clone() : null; // (B, H) gradient of the running state
            float[] dstep = new float[b * g], dhPrev = new float[b * hs];
            for (int s = fSteps - 1; s >= 0; s--) {
                // Rows become active at s = len−1 and stay active down to 0, so an inactive row's
                // dstep is still zero and its dh passes through untouched.
                for (int bi = 0; bi < b; bi++) {
                    if (s >= len[bi]) continue;
                    int p = bi * t + (reverse ? len[bi] - 1 - s : s);
                    int go = p * g, ho = p * hs, ro = bi * g, so = bi * hs;
                    switch (cell) {
                        case RNN_TANH, RNN_RELU -> {
                            for (int j = 0; j < hs; j++) {
                                float hv = hAll[ho + j], dhv = dout[ho + j] + dh[so + j];
                                float d = cell == Cell.RNN_TANH ? dhv * (1f - hv * hv) : (hv > 0f ? dhv : 0f);
                                dgx[go + j] = d;
                                dstep[ro + j] = d;
                                dh[so + j] = 0f;
                            }
                        }
                        case LSTM -> {
                            for (int j = 0; j < hs; j++) {
                                float ig = gx[go + j], fg = gx[go + hs + j], gg = gx[go + 2 * hs + j], og = gx[go + 3 * hs + j];
                                float tc = tcAll[ho + j], dhv = dout[ho + j] + dh[so + j];
                                float dcv = dc[so + j] + dhv * og * (1f - tc * tc);
                                float di = dcv * gg * ig * (1f - ig);
                                float df = dcv * cIn[ho + j] * fg * (1f - fg);
                                float dg = dcv * ig * (1f - gg * gg);
                                float dO = dhv * tc * og * (1f - og);
                                dgx[go + j] = dstep[ro + j] = di;
                                dgx[go + hs + j] = dstep[ro + hs + j] = df;
                                dgx[go + 2 * hs + j] = dstep[ro + 2 * hs + j] = dg;
                                dgx[go + 3 * hs + j] = dstep[ro + 3 * hs + j] = dO;
                                dc[so + j] = dcv * fg;
                                dh[so + j] = 0f;
                            }
                        }
                        case GRU -> {
                            for (int j = 0; j < hs; j++) {
                                float r = gx[go + j], z = gx[go + hs + j], n = gx[go + 2 * hs + j];
                                float dhv = dout[ho + j] + dh[so + j];
                                float dpn = dhv * (1f - z) * (1f - n * n);
                                float dpr = dpn * hnAll[ho + j] * r * (1f - r);
                                float dpz = dhv * (hIn[ho + j] - n) * z * (1f - z);
                                dgx[go + j] = drec[go + j] = dstep[ro + j] = dpr;
                                dgx[go + hs + j] = drec[go + hs + j] = dstep[ro + hs + j] = dpz;
                                dgx[go + 2 * hs + j] = dpn;
                                drec[go + 2 * hs + j] = dstep[ro + 2 * hs + j] = dpn * r;
                                dh[so + j] = dhv * z; // the direct path h → h'
                            }
                        }
                    }
                }
                K.matmulNN(dstep, 0, whh.data, 0, dhPrev, 0, b, g, hs, false); // dh_{t−1} += dRec·W_hh
                for (int bi = 0; bi < b; bi++) if (s < len[bi]) K.axpy(1f, dhPrev, bi * hs, dh, bi * hs, hs);
            }
            if (h0 != null && h0.requiresGrad()) K.axpy(1f, dh, 0, h0.gradBuffer(), 0, b * hs);
            if (c0 != null && c0.requiresGrad()) K.axpy(1f, dc, 0, c0.gradBuffer(), 0, b * hs);
            if (whh.requiresGrad()) K.matmulTN(drec, 0, hIn, 0, whh.gradBuffer(), 0, g, bt, hs, true);
            if (wih.requiresGrad()) K.matmulTN(dgx, 0, x.data, 0, wih.gradBuffer(), 0, g, bt, in, true);
            if (x.requiresGrad()) K.matmulNN(dgx, 0, wih.data, 0, x.gradBuffer(), 0, bt, g, in, true);
            if (bih != null && bih.requiresGrad()) columnSums(dgx, bih.gradBuffer(), bt, g);
            if (bhh != null && bhh.requiresGrad()) columnSums(drec, bhh.gradBuffer(), bt, g);
        }, x, wih, whh, bih, bhh, h0, c0);
        Tensor hN = new Tensor(h, b, hs).record(o -> {
            K.axpy(1f, o.grad(), 0, dhN, 0, b * hs);
            out.gradBuffer(); // output's backward must run even when only h_n is used
        }, out);
        Tensor cN = !lstm ? null : new Tensor(c, b, hs).record(o -> {
            K.axpy(1f, o.grad(), 0, dcN, 0, b * hs);
            out.gradBuffer();
        }, out);
        return new F.RecurrentOutput(out, hN, cN);
    }

    private static void columnSums(float[] x, float[] acc, int m, int n) {
        for (int i = 0; i < m; i++) K.axpy(1f, x, i * n, acc, 0, n);
    }
}
