// A stacked, optionally bidirectional recurrent layer (nn.RNN / nn.LSTM / nn.GRU) with PyTorch's parameter names.
package org.llm4j.nn;

import java.util.ArrayList;
import java.util.List;
import org.llm4j.tensor.Cell;
import org.llm4j.tensor.F;
import org.llm4j.tensor.Rng;
import org.llm4j.tensor.Tensor;

/**
 * PyTorch's nn.RNN, nn.LSTM and nn.GRU with {@code batch_first=True}, one class for the three,
 * the cell chosen by {@link Cell}. Parameters are named and shaped as PyTorch's state dict:
 * {@code weight_ih_l{k}} (gates·H, In or D·H), {@code weight_hh_l{k}} (gates·H, H),
 * {@code bias_ih_l{k}}, {@code bias_hh_l{k}} (gates·H), with {@code _reverse} appended for the
 * second direction, so a PyTorch checkpoint loads with {@link #loadParameters} (a copy loop).
 *
 * <p>Each layer and direction is one fused op ({@link F#recurrent}); layer k+1 reads layer k's
 * output, both directions concatenated, after dropout (training only; none after the last
 * layer, as PyTorch). Padded batches take per-sequence lengths, with the semantics of
 * pack_padded_sequence: padded steps emit zeros and h_n is the state at each true end.
 */
public final class Recurrent extends Module {

    /**
     * @param cell          which recurrence (RNN_TANH, RNN_RELU, LSTM, GRU)
     * @param inputSize     In, features per step
     * @param hiddenSize    H, state size per direction
     * @param numLayers     stacked layers (PyTorch num_layers), at least 1
     * @param bidirectional a second, reversed direction per layer; outputs are concatenated
     * @param dropout       dropout on each layer's output except the last, while training
     * @param bias          whether the layer has bias_ih and bias_hh (PyTorch's default: true)
     */
    public record Config(Cell cell, int inputSize, int hiddenSize, int numLayers, boolean bidirectional, float dropout, boolean bias) {
        public Config {
            if (cell == null) throw new IllegalArgumentException("recurrent: cell must be given");
            if (inputSize < 1 || hiddenSize < 1 || numLayers < 1) {
                throw new IllegalArgumentException("recurrent: inputSize, hiddenSize and numLayers must be positive, got " + inputSize + ", " + hiddenSize + ", " + numLayers);
            }
            if (!(dropout >= 0f && dropout < 1f)) throw new IllegalArgumentException("recurrent: dropout must be in [0, 1), got " + dropout);
        }

        /** One direction, one layer, no dropout, with biases. */
        public static Config of(Cell cell, int inputSize, int hiddenSize) {
            return new Config(cell, inputSize, hiddenSize, 1, false, 0f, true);
        }

        public int directions() {
            return bidirectional ? 2 : 1;
        }
    }

    /**
     * output (B, T, D·H): the last layer's sequence, directions concatenated, zero at padded
     * steps (Keras's return_sequences=True). hN and cN (L·D, B, H), PyTorch's h_n and c_n
     * (cN null unless LSTM), in the order layer 0 forward, layer 0 reverse, layer 1 forward, ...
     */
    public record Output(Tensor output, Tensor hN, Tensor cN, int numLayers, int directions) {
        /**
         * The last layer's final state (B, D·H), directions concatenated: the forward direction at
         * each sequence's last real step and the reverse direction after its first step (Keras's
         * return_sequences=False, and what a classifier head reads).
         */
        public Tensor last() {
            int b = hN.dim(1), h = hN.dim(2), d = directions;
            Tensor top = F.slice(hN, 0, (numLayers - 1) * d, numLayers * d); // (D, B, H)
            return d == 1 ? F.reshape(top, b, h) : F.reshape(F.transpose(top, 0, 1), b, d * h);
        }
    }

    private final Config cfg;
    // Indexed [layer * D + direction], the order of PyTorch's h_n.
    private final Tensor[] wih, whh, bih, bhh;

    /** Initialised as PyTorch: every weight and bias U(−1/√H, 1/√H). */
    public Recurrent(Config cfg, long seed) {
        this.cfg = cfg;
        int d = cfg.directions(), n = cfg.numLayers() * d, h = cfg.hiddenSize(), g = cfg.cell().gates * h;
        wih = new Tensor[n];
        whh = new Tensor[n];
        bih = new Tensor[n];
        bhh = new Tensor[n];
        for (int l = 0; l < cfg.numLayers(); l++) {
            int in = l == 0 ? cfg.inputSize() : d * h;
            for (int dir = 0; dir < d; dir++) {
                int k = l * d + dir;
                String suffix = "_l" + l + (dir == 1 ? "_reverse" : "");
                wih[k] = param("weight_ih" + suffix, g, in);
                whh[k] = param("weight_hh" + suffix, g, h);
                if (cfg.bias()) {
                    bih[k] = param("bias_ih" + suffix, g);
                    bhh[k] = param("bias_hh" + suffix, g);
                }
            }
        }
        Rng rng = new Rng(seed);
        float bound = (float) (1.0 / Math.sqrt(h));
        for (Tensor t : parameters().values()) {
            for (int i = 0; i < t.size(); i++) t.data[i] = (rng.nextFloat() * 2f - 1f) * bound;
        }
    }

    public Config config() {
        return cfg;
    }

    /** A full batch from a zero state: x (B, T, In). */
    public Output forward(Tensor x) {
        return forward(x, null, null, null, null);
    }

    /**
     * x (B, T, In); lengths (B) or null when no step is padded; h0 and c0 (L·D, B, H) or null for
     * zeros (c0 for the LSTM only); dropoutRng may be null when dropout is 0 or not training.
     */
    public Output forward(Tensor x, int[] lengths, Tensor h0, Tensor c0, Rng dropoutRng) {
        if (x.rank() != 3 || x.dim(2) != cfg.inputSize()) {
            throw new IllegalArgumentException("recurrent: input must be (B, T, " + cfg.inputSize() + "), got " + java.util.Arrays.toString(x.shape()));
        }
        int b = x.dim(0), h = cfg.hiddenSize(), d = cfg.directions(), n = cfg.numLayers() * d;
        checkState("h0", h0, n, b, h);
        checkState("c0", c0, n, b, h);
        if (c0 != null && !cfg.cell().hasCellState()) throw new IllegalArgumentException("recurrent: c0 is for the LSTM only");
        boolean drop = training && cfg.dropout() > 0f;
        if (drop && dropoutRng == null) throw new IllegalArgumentException("recurrent: dropout " + cfg.dropout() + " while training needs a random generator");
        List<Tensor> hs = new ArrayList<>(), cs = new ArrayList<>();
        Tensor in = x;
        for (int l = 0; l < cfg.numLayers(); l++) {
            if (l > 0 && drop) in = F.dropout(in, cfg.dropout(), dropoutRng, true);
            List<Tensor> outs = new ArrayList<>(d);
            for (int dir = 0; dir < d; dir++) {
                int k = l * d + dir;
                F.RecurrentOutput r = F.recurrent(cfg.cell(), in, wih[k], whh[k], bih[k], bhh[k],
                        stateSlice(h0, k), stateSlice(c0, k), lengths, dir == 1);
                outs.add(r.output());
                hs.add(F.reshape(r.hN(), 1, b, h));
                if (r.cN() != null) cs.add(F.reshape(r.cN(), 1, b, h));
            }
            in = d == 1 ? outs.get(0) : F.concat(outs, 2); // (B, T, D·H)
        }
        Tensor hN = n == 1 ? hs.get(0) : F.concat(hs, 0);
        Tensor cN = cs.isEmpty() ? null : n == 1 ? cs.get(0) : F.concat(cs, 0);
        return new Output(in, hN, cN, cfg.numLayers(), d);
    }

    private static void checkState(String name, Tensor s, int n, int b, int h) {
        if (s == null) return;
        int[] shape = s.shape();
        if (shape.length != 3 || shape[0] != n || shape[1] != b || shape[2] != h) {
            throw new IllegalArgumentException("recurrent: " + name + " must be (" + n + ", " + b + ", " + h + "), got " + java.util.Arrays.toString(shape));
        }
    }

    private static Tensor stateSlice(Tensor s, int k) {
        return s == null ? null : s.dim(0) == 1 ? s : F.slice(s, 0, k, k + 1);
    }
}
