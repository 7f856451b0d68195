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
    // NOTE: true for weights from a GGUF file: llama.cpp's converter stores the four projection
    // matrices transposed from Hugging Face's Conv1D, (out, in) as nn.Linear, and quantized blocks
    // run along those rows, so they are read in place as x·Wᵀ instead of being transposed back.
    private final boolean outIn;

    /** One transformer block's parameters. */
    private record Block(Tensor ln1W, Tensor ln1B, Tensor attnW, Tensor attnB, Tensor projW, Tensor projB,
                         Tensor ln2W, Tensor ln2B, Tensor fcW, Tensor fcB, Tensor fcProjW, Tensor fcProjB) {}

    public GPT(GPTConfig cfg, long seed) {
        this(cfg, seed, null, null);
    }

    /**
     * A GPT around existing weights (by Hugging Face name, shapes checked), typically read-only
     * views of a memory-mapped safetensors file: nothing is copied except the small vectors. Such
     * a model decodes; training it needs heap weights ({@link #loadParameters} into a fresh GPT).
     */
    public GPT(GPTConfig cfg, java.util.Map<String, Tensor> weights, String origin) {
        this(cfg, 0, weights, origin, false);
    }

    /**
     * As {@link #GPT(GPTConfig, java.util.Map, String)}, with outIn = true for projection matrices
     * stored (out, in) under the same names (llama.cpp's GGUF layout); such a model only decodes.
     */
    public GPT(GPTConfig cfg, java.util.Map<String, Tensor> weights, String origin, boolean outIn) {
        this(cfg, 0, weights, origin, outIn);
    }

    private GPT(GPTConfig cfg, long seed, java.util.Map<String, Tensor> weights, String origin) {
        this(cfg, seed, weights, origin, false);
    }

    private GPT(GPTConfig cfg, long seed, java.util.Map<String, Tensor> weights, String origin, boolean outIn) {
        this.cfg = cfg;
        this.outIn = outIn;
        if (weights != null) adoptFrom(weights, origin);
        int c = cfg.nEmbd();
        wte = param("transformer.wte.weight", cfg.vocabSize(), c);
        wpe = param("transformer.wpe.weight", cfg.blockSize(), c);
        blocks = new Block[cfg.nLayer()];
        for (int l = 0; l < cfg.nLayer(); l++) {
            String p = "transformer.h." + l + ".";
            blocks[l] = new Block(
                    param(p + "ln_1.weight", c), param(p + "ln_1.bias", c),
                    matrix(p + "attn.c_attn.weight", c, 3 * c), param(p + "attn.c_attn.bias", 3 * c),
                    matrix(p + "attn.c_proj.weight", c, c), param(p + "attn.c_proj.bias", c),
                    param(p + "ln_2.weight", c), param(p + "ln_2.bias", c),
                    matrix(p + "mlp.c_fc.weight", c, 4 * c), param(p + "mlp.c_fc.bias", 4 * c),
                    matrix(p + "mlp.c_proj.weight", 4 * c, c), param(p + "mlp.c_proj.bias", c));
        }
        lnfW = param("transformer.ln_f.weight", c);
        lnfB = param("transformer.ln_f.bias", c);
        if (adopting()) {
            finishAdopting(false);
        } else {
            initWeights(new Rng(seed));
        }
        dropoutRng = new Rng(seed ^ 0x5DEECE66DL);
    }

    // A projection (in, out) as Conv1D, or (out, in) in the GGUF layout.
    private Tensor matrix(String name, int in, int out) {
        return outIn ? param(name, out, in) : param(name, in, out);
    }

    /**
     * The parameters in Hugging Face's layout: the model's own tensors, except that a model in the
     * GGUF layout gives transposed float32 copies of its four projection matrices per block.
     */
    public java.util.Map<String, Tensor> huggingFaceState() {
        if (!outIn) return parameters();
        java.util.Map<String, Tensor> out = new java.util.LinkedHashMap<>();
        for (var e : parameters().entrySet()) {
            Tensor t = e.getValue();
            String k = e.getKey();
            boolean proj = k.endsWith("c_attn.weight") || k.endsWith("c_proj.weight") || k.endsWith("c_fc.weight");
            out.put(k, proj ? transposed(t) : t);
        }
        return out;
    }

    /** Whether the projections are stored (out, in) (read from GGUF). */
    public boolean projectionsOutIn() { return outIn; }

    /** A float32 copy of matrix t (r, c) as (c, r). */
    public static Tensor transposed(Tensor t) {
        int r = t.shape()[0], c = t.shape()[1];
        float[] a = t.floats(), b = new float[a.length];
        for (int i = 0; i < r; i++) for (int j = 0; j < c; j++) b[j * r + i] = a[i * c + j];
        return Tensor.of(b, c, r);
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
        if (isMapped() || outIn) {
            throw new IllegalStateException("this GPT reads memory-mapped weights, which are read-only: load the model onto the heap to train it (ModelFiles.load(dir, false), or llm4j train --init-from)");
        }
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

    /** Key/value cache: for each layer, keys and values of every position so far, (block, C) each; plus step scratch. */
    static final class KvCache implements DecodeState {
        final float[][] k, v;
        final int width; // C
        final float[] x, h, qkv, y, fc, att; // step scratch: (C), (C), (3C), (C), (4C), (block)
        int pos;

        // The keys and values grow with the sequence (doubling, up to the context length) instead
        // of holding the whole context from the start: GPT-2 124M's full cache is 75 MB, which a
        // short generation would allocate, zero and free for nothing (time to first token).
        static final int FIRST_CAPACITY = 64;

        KvCache(int layers, int block, int c) {
            int cap = Math.min(block, FIRST_CAPACITY);
            k = new float[layers][cap * c];
            v = new float[layers][cap * c];
            width = c;
            x = new float[c];
            h = new float[c];
            qkv = new float[3 * c];
            y = new float[c];
            fc = new float[4 * c];
            att = new float[block];
        }

        @Override public int position() { return pos; }

        // Room for positions [0, positions); the caller has checked positions <= the context length.
        void ensure(int positions) {
            int cap = k[0].length / width;
            if (positions <= cap) return;
            int grown = Math.min(att.length, Math.max(positions, 2 * cap));
            for (int l = 0; l < k.length; l++) {
                k[l] = java.util.Arrays.copyOf(k[l], grown * width);
                v[l] = java.util.Arrays.copyOf(v[l], grown * width);
            }
        }

        /** A deep copy; only the filled positions (pos, C) are copied, the rest is zero as in a fresh cache. */
        @Override
        public KvCache copy() {
            KvCache c = new KvCache(k.length, att.length, width);
            c.ensure(pos);
            for (int l = 0; l < k.length; l++) {
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
        int c = cfg.nEmbd(), t = kv.pos;
        checkRoom(kv, 1);
        checkToken(token);
        Kernels k = F.kernels();
        if (!warm) warmUp(k);
        float eps = cfg.layerNormEps();
        float[] x = kv.x, h = kv.h, qkv = kv.qkv, y = kv.y, fc = kv.fc;
        embed(token, t, x, 0, h);
        for (int l = 0; l < blocks.length; l++) {
            Block b = blocks[l];
            k.layerNorm(x, 0, b.ln1W.data, b.ln1B.data, h, 0, null, null, 1, c, eps);
            linear(k, h, b.attnW, b.attnB, qkv, 1);                     // (3C)
            System.arraycopy(qkv, c, kv.k[l], t * c, c);
            System.arraycopy(qkv, 2 * c, kv.v[l], t * c, c);
            for (int hh = 0; hh < cfg.nHead(); hh++) attend(k, qkv, 0, kv, l, hh, t, y, 0, kv.att);
            finishBlock(k, b, x, y, h, fc, 1);                          // x += attn; x += mlp(ln_2(x))
        }
        kv.pos++;
        return head(k, x, 0);
    }

    /**
     * Several sequences, one token each, through one (B, C) batch: the weights of every block are
     * read once for all B sequences instead of B times. Each sequence attends to its own cache at
     * its own position. The results are the bits {@link #step} gives for each state alone (row i of
     * an NN matrix product is computed exactly as the product of row i; attention and the head run
     * per sequence), so batching never changes what a sequence generates.
     */
    @Override
    public java.util.List<float[]> stepBatch(java.util.List<DecodeState> states, int[] tokens) {
        int n = states.size();
        if (n != tokens.length) throw new IllegalArgumentException("stepBatch: " + n + " states but " + tokens.length + " tokens");
        if (n == 1) return java.util.List.of(step(states.get(0), tokens[0]));
        KvCache[] kvs = new KvCache[n];
        java.util.Set<DecodeState> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (int i = 0; i < n; i++) {
            if (!seen.add(states.get(i))) throw new IllegalArgumentException("stepBatch: state " + i + " appears twice in the batch");
            kvs[i] = (KvCache) states.get(i);
            checkRoom(kvs[i], 1);
            checkToken(tokens[i]);
        }
        int c = cfg.nEmbd(), nh = cfg.nHead();
        Kernels k = F.kernels();
        float eps = cfg.layerNormEps();
        float[] x = new float[n * c], h = new float[n * c], y = new float[n * c];  // (B, C)
        float[] qkv = new float[n * 3 * c], fc = new float[n * 4 * c];              // (B, 3C), (B, 4C)
        for (int i = 0; i < n; i++) embed(tokens[i], kvs[i].pos, x, i * c, h);
        for (int l = 0; l < blocks.length; l++) {
            Block b = blocks[l];
            k.layerNorm(x, 0, b.ln1W.data, b.ln1B.data, h, 0, null, null, n, c, eps);
            linear(k, h, b.attnW, b.attnB, qkv, n);
            for (int i = 0; i < n; i++) {
                KvCache kv = kvs[i];
                System.arraycopy(qkv, i * 3 * c + c, kv.k[l], kv.pos * c, c);
                System.arraycopy(qkv, i * 3 * c + 2 * c, kv.v[l], kv.pos * c, c);
                for (int hh = 0; hh < nh; hh++) attend(k, qkv, i * 3 * c, kv, l, hh, kv.pos, y, i * c, kv.att);
            }
            finishBlock(k, b, x, y, h, fc, n);
        }
        java.util.List<float[]> out = new java.util.ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            kvs[i].pos++;
            out.add(head(k, x, i * c));
        }
        return out;
    }

    /**
     * Prompt processing: runs tokens through the model as one (T, C) batch, matrix products
     * instead of T matrix-vector products, appending their keys and values to the cache. Returns
     * the logits after the last token, as T calls of {@link #step} would (up to float rounding).
     */
    @Override
    public float[] prefill(DecodeState state, int[] tokens) {
        KvCache kv = (KvCache) state;
        int n = tokens.length;
        if (n == 0) throw new IllegalArgumentException("prefill needs at least one token");
        if (n == 1) return step(state, tokens[0]);
        checkRoom(kv, n);
        for (int tok : tokens) checkToken(tok);
        int c = cfg.nEmbd(), nh = cfg.nHead(), t0 = kv.pos;
        Kernels k = F.kernels();
        if (!warm) warmUp(k);
        float eps = cfg.layerNormEps();
        float[] x = new float[n * c], h = new float[n * c], y = new float[n * c];  // (T, C)
        float[] qkv = new float[n * 3 * c], fc = new float[n * 4 * c];              // (T, 3C), (T, 4C)
        for (int i = 0; i < n; i++) embed(tokens[i], t0 + i, x, i * c, h);
        for (int l = 0; l < blocks.length; l++) {
            Block b = blocks[l];
            final int layer = l;
            k.layerNorm(x, 0, b.ln1W.data, b.ln1B.data, h, 0, null, null, n, c, eps);
            linear(k, h, b.attnW, b.attnB, qkv, n);
            for (int i = 0; i < n; i++) {
                System.arraycopy(qkv, i * 3 * c + c, kv.k[l], (t0 + i) * c, c);
                System.arraycopy(qkv, i * 3 * c + 2 * c, kv.v[l], (t0 + i) * c, c);
            }
            if (n <= Kernels.FEW_ROWS) {
                // A short prompt attends row by row as decoding does: the first token of a cold
                // start then runs (and compiles) the same loops as the tokens after it.
                for (int i = 0; i < n; i++) {
                    for (int hh = 0; hh < nh; hh++) attend(k, qkv, i * 3 * c, kv, l, hh, t0 + i, y, i * c, kv.att);
                }
            } else {
                // One task per head, as matrix products: S = Q·Kᵀ/√d over the cache, causal mask, softmax, Y = P·V.
                org.llm4j.kernels.Parallel.forEachTask(nh, hh -> attendBatch(k, qkv, kv, layer, hh, t0, n, y));
            }
            finishBlock(k, b, x, y, h, fc, n);
        }
        kv.pos += n;
        return head(k, x, (n - 1) * c);
    }

    // The rest of a block for n rows once attention has written y (n, C): x += y·W_proj + b;
    // x += mlp(ln_2(x)). h (n, C) and fc (n, 4C) are scratch.
    private void finishBlock(Kernels k, Block b, float[] x, float[] y, float[] h, float[] fc, int n) {
        int c = cfg.nEmbd();
        linear(k, y, b.projW, b.projB, h, n);
        k.axpy(1f, h, 0, x, 0, n * c);
        k.layerNorm(x, 0, b.ln2W.data, b.ln2B.data, h, 0, null, null, n, c, cfg.layerNormEps());
        linear(k, h, b.fcW, b.fcB, fc, n);
        k.gelu(fc, 0, fc, 0, n * 4 * c);
        linear(k, fc, b.fcProjW, b.fcProjB, h, n);
        k.axpy(1f, h, 0, x, 0, n * c);
    }

    private void checkRoom(KvCache kv, int n) {
        if (kv.pos + n > cfg.blockSize()) {
            throw new IllegalStateException("KV cache is full: " + kv.pos + " + " + n + " tokens exceed the context length " + cfg.blockSize());
        }
        kv.ensure(kv.pos + n);
    }

    private void checkToken(int token) {
        if (token < 0 || token >= cfg.vocabSize()) throw new IllegalArgumentException("token id " + token + " is outside the vocabulary [0, " + cfg.vocabSize() + ")");
    }

    // x[off..off+C) = wte[token] + wpe[pos]; scratch holds at least C floats (the position row).
    private void embed(int token, int pos, float[] x, int off, float[] scratch) {
        int c = cfg.nEmbd();
        wte.weight().row(token, 0, c, x, off);
        wpe.weight().row(pos, 0, c, scratch, 0);
        for (int i = 0; i < c; i++) x[off + i] += scratch[i];
    }

    // out(rows, N) = in(rows, K) · W(K, N) + bias: HF Conv1D; or in · Wᵀ with W (N, K), the GGUF layout.
    // On a cold JVM, compile the loops the products below will take (tiny slices of the real
    // weights, a few hundred milliseconds at most) before they run on whole matrices: see
    // Kernels.warmUp. Only mapped models (inference straight from a file) start this cold.
    private volatile boolean warm;

    @Override
    public void warmUp() {
        warmUp(F.kernels());
    }

    private synchronized void warmUp(Kernels k) {
        if (warm) return;
        if (isMapped()) {
            Block b = blocks[0];
            k.warmUp(wte.weight(), true, 150_000_000L);
            for (Tensor w : new Tensor[] {b.attnW, b.projW, b.fcW, b.fcProjW}) k.warmUp(w.weight(), outIn, 150_000_000L);
        }
        warm = true;
    }

    private void linear(Kernels k, float[] in, Tensor w, Tensor bias, float[] out, int rows) {
        k.matmul(in, 0, w.weight(), outIn, out, 0, rows, false);
        int n = outIn ? w.dim(0) : w.dim(-1);
        for (int r = 0; r < rows; r++) k.axpy(1f, bias.data, 0, out, r * n, n);
    }

    // Head hh of query row q (in qkv at qOff) attends to cached positions 0..upto of layer l:
    // y[yOff + head] = softmax(q·Kᵀ/√d) · V.
    private void attend(Kernels k, float[] qkv, int qOff, KvCache kv, int l, int hh, int upto, float[] y, int yOff, float[] att) {
        int c = cfg.nEmbd(), hd = c / cfg.nHead(), off = hh * hd;
        float scale = (float) (1.0 / Math.sqrt(hd));
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j <= upto; j++) {
            att[j] = k.dot(qkv, qOff + off, kv.k[l], j * c + off, hd) * scale;
            max = Math.max(max, att[j]);
        }
        float sum = 0f;
        for (int j = 0; j <= upto; j++) { att[j] = (float) Math.exp(att[j] - max); sum += att[j]; }
        java.util.Arrays.fill(y, yOff + off, yOff + off + hd, 0f);
        for (int j = 0; j <= upto; j++) k.axpy(att[j] / sum, kv.v[l], j * c + off, y, yOff + off, hd);
    }

    // Head hh for n query rows at positions t0..t0+n-1 against cached keys 0..t0+n-1 of layer l.
    private void attendBatch(Kernels k, float[] qkv, KvCache kv, int l, int hh, int t0, int n, float[] y) {
        int c = cfg.nEmbd(), hd = c / cfg.nHead(), off = hh * hd, len = t0 + n;
        float[] q = new float[n * hd], kh = new float[len * hd], vh = new float[len * hd], yh = new float[n * hd];
        for (int i = 0; i < n; i++) System.arraycopy(qkv, i * 3 * c + off, q, i * hd, hd);
        for (int j = 0; j < len; j++) {
            System.arraycopy(kv.k[l], j * c + off, kh, j * hd, hd);
            System.arraycopy(kv.v[l], j * c + off, vh, j * hd, hd);
        }
        PromptAttention.head(k, q, kh, vh, yh, t0, n, hd, 0);
        for (int i = 0; i < n; i++) System.arraycopy(yh, i * hd, y, i * c + off, hd);
    }

    // Logits (V) of the residual row x[off..off+C): final layer norm, then the tied head x·wteᵀ.
    private float[] head(Kernels k, float[] x, int off) {
        int c = cfg.nEmbd();
        float[] h = new float[c];
        k.layerNorm(x, off, lnfW.data, lnfB.data, h, 0, null, null, 1, c, cfg.layerNormEps());
        float[] logits = new float[cfg.vocabSize()];
        k.matmul(h, 0, wte.weight(), true, logits, 0, 1, false);
        return logits;
    }
}
