// GPT-2: learned positions, pre-norm blocks, GELU MLP, tied embeddings; parameter names as Hugging Face's.
package org.llm4j.model;

import java.util.Arrays;
import org.llm4j.kernels.Kernels;
import org.llm4j.nn.Module;
import org.llm4j.tensor.F;
import org.llm4j.tensor.Rng;
import org.llm4j.tensor.Tensor;

/**
 * Radford et al. 2019, as in Hugging Face GPT2LMHeadModel: weights of the Conv1D projections are
 * stored (in, out) and applied as x·W + b; the output head is the token embedding transposed.
 */
public final class GPT extends Module implements LanguageModel {
    private final GPTConfig cfg;
    private final Tensor wte, wpe, lnfW, lnfB; // wte (V, C), wpe (block, C)
    private final Block[] blocks;
    private final Rng dropoutRng;

    /** One transformer block's parameters. */
    private record Block(Tensor ln1W, Tensor ln1B, Tensor attnW, Tensor attnB, Tensor projW, Tensor projB,
                         Tensor ln2W, Tensor ln2B, Tensor fcW, Tensor fcB, Tensor fcProjW, Tensor fcProjB) {}

    public GPT(GPTConfig cfg, long seed) {
        this.cfg = cfg;
        int c = cfg.nEmbd();
        wte = param("transformer.wte.weight", cfg.vocabSize(), c);
        wpe = param("transformer.wpe.weight", cfg.blockSize(), c);
        blocks = new Block[cfg.nLayer()];
        for (int l = 0; l < cfg.nLayer(); l++) {
            String p = "transformer.h." + l + ".";
            blocks[l] = new Block(
                    param(p + "ln_1.weight", c), param(p + "ln_1.bias", c),
                    param(p + "attn.c_attn.weight", c, 3 * c), param(p + "attn.c_attn.bias", 3 * c),
                    param(p + "attn.c_proj.weight", c, c), param(p + "attn.c_proj.bias", c),
                    param(p + "ln_2.weight", c), param(p + "ln_2.bias", c),
                    param(p + "mlp.c_fc.weight", c, 4 * c), param(p + "mlp.c_fc.bias", 4 * c),
                    param(p + "mlp.c_proj.weight", 4 * c, c), param(p + "mlp.c_proj.bias", c));
        }
        lnfW = param("transformer.ln_f.weight", c);
        lnfB = param("transformer.ln_f.bias", c);
        Rng rng = new Rng(seed);
        initWeights(rng);
        dropoutRng = new Rng(seed ^ 0x5DEECE66DL);
    }

    // GPT-2's initialisation: N(0, 0.02) everywhere, residual projections scaled by 1/√(2·n_layer),
    // zero biases, unit layer-norm gains.
    private void initWeights(Rng rng) {
        float std = 0.02f, resid = (float) (0.02 / Math.sqrt(2.0 * cfg.nLayer()));
        rng.fillNormal(wte.data, std);
        rng.fillNormal(wpe.data, std);
        for (Block b : blocks) {
            Arrays.fill(b.ln1W.data, 1f);
            Arrays.fill(b.ln2W.data, 1f);
            rng.fillNormal(b.attnW.data, std);
            rng.fillNormal(b.projW.data, resid);
            rng.fillNormal(b.fcW.data, std);
            rng.fillNormal(b.fcProjW.data, resid);
        }
        Arrays.fill(lnfW.data, 1f);
    }

    @Override public GPTConfig config() { return cfg; }
    @Override public int contextLength() { return cfg.blockSize(); }

    /** The dropout generator's state, saved in checkpoints so that a resumed run matches exactly. */
    public Rng dropoutRng() { return dropoutRng; }

    @Override
    public Tensor forward(int[] tokens, int batch, int time, Rng dropoutRng) {
        if (time > cfg.blockSize()) throw new IllegalArgumentException("sequence of " + time + " tokens exceeds the context length " + cfg.blockSize());
        int[] pos = new int[batch * time];
        for (int i = 0; i < pos.length; i++) pos[i] = i % time;
        float p = cfg.dropout();
        Tensor x = F.add(F.embedding(wte, tokens, batch, time), F.embedding(wpe, pos, batch, time)); // (B, T, C)
        x = F.dropout(x, p, dropoutRng, training);
        for (Block b : blocks) {
            Tensor h = F.layerNorm(x, b.ln1W, b.ln1B, cfg.layerNormEps());
            Tensor qkv = F.addmm(h, b.attnW, b.attnB);                          // (B, T, 3C)
            Tensor y = F.addmm(F.causalSelfAttention(qkv, cfg.nHead()), b.projW, b.projB);
            x = F.add(x, F.dropout(y, p, dropoutRng, training));                // x = x + attn(ln_1(x))
            h = F.layerNorm(x, b.ln2W, b.ln2B, cfg.layerNormEps());
            Tensor m = F.addmm(F.gelu(F.addmm(h, b.fcW, b.fcB)), b.fcProjW, b.fcProjB);
            x = F.add(x, F.dropout(m, p, dropoutRng, training));                // x = x + mlp(ln_2(x))
        }
        x = F.layerNorm(x, lnfW, lnfB, cfg.layerNormEps());
        return F.linear(x, wte, null);                                          // (B, T, V), tied head
    }

    /** Key/value cache: for each layer, keys and values of every position so far, (block, C) each. */
    static final class KvCache implements DecodeState {
        float[][] k, v;
        final int width; // C
        int pos;

        KvCache(int layers, int block, int c) {
            k = new float[layers][block * c];
            v = new float[layers][block * c];
            width = c;
        }

        @Override public int position() { return pos; }

        /** A deep copy; only the filled positions (pos, C) are copied, the rest is zero as in a fresh cache. */
        @Override
        public KvCache copy() {
            KvCache c = new KvCache(0, 0, width);
            c.k = new float[k.length][];
            c.v = new float[v.length][];
            for (int l = 0; l < k.length; l++) {
                c.k[l] = new float[k[l].length];
                c.v[l] = new float[v[l].length];
                System.arraycopy(k[l], 0, c.k[l], 0, pos * width);
                System.arraycopy(v[l], 0, c.v[l], 0, pos * width);
            }
            c.pos = pos;
            return c;
        }
    }

    @Override
    public DecodeState newState() {
        return new KvCache(cfg.nLayer(), cfg.blockSize(), cfg.nEmbd());
    }

    @Override
    public float[] step(DecodeState state, int token) {
        KvCache kv = (KvCache) state;
        int c = cfg.nEmbd(), nh = cfg.nHead(), hd = c / nh, t = kv.pos;
        if (t >= cfg.blockSize()) throw new IllegalStateException("KV cache is full: the context length is " + cfg.blockSize());
        if (token < 0 || token >= cfg.vocabSize()) throw new IllegalArgumentException("token id " + token + " is outside the vocabulary [0, " + cfg.vocabSize() + ")");
        Kernels k = F.kernels();
        float eps = cfg.layerNormEps();
        float[] x = new float[c], h = new float[c], qkv = new float[3 * c], y = new float[c];
        float[] fc = new float[4 * c], att = new float[t + 1];
        for (int i = 0; i < c; i++) x[i] = wte.data[token * c + i] + wpe.data[t * c + i];
        float scale = (float) (1.0 / Math.sqrt(hd));
        for (int l = 0; l < blocks.length; l++) {
            Block b = blocks[l];
            k.layerNorm(x, 0, b.ln1W.data, b.ln1B.data, h, 0, null, null, 1, c, eps);
            k.matmulNN(h, 0, b.attnW.data, 0, qkv, 0, 1, c, 3 * c, false);
            k.axpy(1f, b.attnB.data, 0, qkv, 0, 3 * c);
            System.arraycopy(qkv, c, kv.k[l], t * c, c);
            System.arraycopy(qkv, 2 * c, kv.v[l], t * c, c);
            java.util.Arrays.fill(y, 0f);
            for (int hh = 0; hh < nh; hh++) {
                int off = hh * hd;
                float max = Float.NEGATIVE_INFINITY;
                for (int j = 0; j <= t; j++) {
                    att[j] = k.dot(qkv, off, kv.k[l], j * c + off, hd) * scale;
                    max = Math.max(max, att[j]);
                }
                float sum = 0f;
                for (int j = 0; j <= t; j++) { att[j] = (float) Math.exp(att[j] - max); sum += att[j]; }
                for (int j = 0; j <= t; j++) k.axpy(att[j] / sum, kv.v[l], j * c + off, y, off, hd);
            }
            k.matmulNN(y, 0, b.projW.data, 0, h, 0, 1, c, c, false);
            k.axpy(1f, b.projB.data, 0, h, 0, c);
            k.axpy(1f, h, 0, x, 0, c);
            k.layerNorm(x, 0, b.ln2W.data, b.ln2B.data, h, 0, null, null, 1, c, eps);
            k.matmulNN(h, 0, b.fcW.data, 0, fc, 0, 1, c, 4 * c, false);
            k.axpy(1f, b.fcB.data, 0, fc, 0, 4 * c);
            k.gelu(fc, 0, fc, 0, 4 * c);
            k.matmulNN(fc, 0, b.fcProjW.data, 0, h, 0, 1, 4 * c, c, false);
            k.axpy(1f, b.fcProjB.data, 0, h, 0, c);
            k.axpy(1f, h, 0, x, 0, c);
        }
        k.layerNorm(x, 0, lnfW.data, lnfB.data, h, 0, null, null, 1, c, eps);
        float[] logits = new float[cfg.vocabSize()];
        k.matmulNT(h, 0, wte.data, 0, logits, 0, 1, c, cfg.vocabSize(), false);
        kv.pos++;
        return logits;
    }
}
