// A stacked-LSTM language model: embedding → nn.LSTM layers → linear head, PyTorch parameter names.
package org.llm4j.model;

import org.llm4j.nn.Module;
import org.llm4j.tensor.F;
import org.llm4j.tensor.Grad;
import org.llm4j.tensor.Rng;
import org.llm4j.tensor.Tensor;

/**
 * Names follow PyTorch's word_language_model with an nn.LSTM called {@code lstm}:
 * {@code embedding.weight} (V, E), {@code lstm.weight_ih_l{k}} (4H, in), {@code lstm.weight_hh_l{k}}
 * (4H, H), {@code lstm.bias_ih_l{k}}, {@code lstm.bias_hh_l{k}} (4H), {@code head.weight} (V, H),
 * {@code head.bias} (V); gate order i, f, g, o.
 */
public final class LstmLM extends Module implements LanguageModel {
    private final LstmConfig cfg;
    private final Tensor emb, headW, headB;
    private final Tensor[] wih, whh, bih, bhh;
    private final Rng dropoutRng;

    public LstmLM(LstmConfig cfg, long seed) {
        this.cfg = cfg;
        int l = cfg.numLayers(), h = cfg.hiddenSize();
        emb = param("embedding.weight", cfg.vocabSize(), cfg.embeddingDim());
        wih = new Tensor[l];
        whh = new Tensor[l];
        bih = new Tensor[l];
        bhh = new Tensor[l];
        for (int i = 0; i < l; i++) {
            int in = i == 0 ? cfg.embeddingDim() : h;
            wih[i] = param("lstm.weight_ih_l" + i, 4 * h, in);
            whh[i] = param("lstm.weight_hh_l" + i, 4 * h, h);
            bih[i] = param("lstm.bias_ih_l" + i, 4 * h);
            bhh[i] = param("lstm.bias_hh_l" + i, 4 * h);
        }
        headW = param("head.weight", cfg.vocabSize(), h);
        headB = param("head.bias", cfg.vocabSize());
        // PyTorch's defaults: embedding N(0, 1); LSTM and Linear U(−1/√fan, 1/√fan).
        Rng rng = new Rng(seed);
        rng.fillNormal(emb.data, 1f);
        float bound = (float) (1.0 / Math.sqrt(h));
        for (int i = 0; i < l; i++) {
            for (Tensor t : new Tensor[]{wih[i], whh[i], bih[i], bhh[i]}) uniform(rng, t.data, bound);
        }
        uniform(rng, headW.data, bound);
        uniform(rng, headB.data, bound);
        dropoutRng = new Rng(seed ^ 0x5DEECE66DL);
    }

    private static void uniform(Rng rng, float[] a, float bound) {
        for (int i = 0; i < a.length; i++) a[i] = (rng.nextFloat() * 2f - 1f) * bound;
    }

    @Override public LstmConfig config() { return cfg; }
    @Override public int contextLength() { return Integer.MAX_VALUE; }
    public Rng dropoutRng() { return dropoutRng; }

    @Override
    public Tensor forward(int[] tokens, int batch, int time, Rng dropoutRng) {
        Tensor x = F.embedding(emb, tokens, batch, time); // (B, T, E)
        for (int i = 0; i < cfg.numLayers(); i++) {
            x = F.dropout(x, i == 0 ? 0f : cfg.dropout(), dropoutRng, training);
            x = F.lstm(x, wih[i], whh[i], bih[i], bhh[i], null, null).output(); // (B, T, H)
        }
        x = F.dropout(x, cfg.dropout(), dropoutRng, training);
        return F.linear(x, headW, headB); // (B, T, V)
    }

    /** Hidden and cell state of every layer, (H) each. */
    static final class HiddenState implements DecodeState {
        final float[][] h, c;
        int pos;

        HiddenState(int layers, int hidden) {
            h = new float[layers][hidden];
            c = new float[layers][hidden];
        }

        @Override public int position() { return pos; }

        @Override
        public HiddenState copy() {
            HiddenState s = new HiddenState(h.length, 0);
            for (int l = 0; l < h.length; l++) {
                s.h[l] = h[l].clone();
                s.c[l] = c[l].clone();
            }
            s.pos = pos;
            return s;
        }
    }

    @Override
    public DecodeState newState() {
        return new HiddenState(cfg.numLayers(), cfg.hiddenSize());
    }

    @Override
    public float[] step(DecodeState state, int token) {
        HiddenState s = (HiddenState) state;
        try (var g = Grad.off()) {
            Tensor x = F.embedding(emb, new int[]{token}, 1, 1);
            for (int i = 0; i < cfg.numLayers(); i++) {
                F.LstmOutput o = F.lstm(x, wih[i], whh[i], bih[i], bhh[i], s.h[i], s.c[i]);
                s.h[i] = o.hN();
                s.c[i] = o.cN();
                x = o.output();
            }
            s.pos++;
            return F.linear(x, headW, headB).data;
        }
    }
}
