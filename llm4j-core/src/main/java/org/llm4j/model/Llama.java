// Llama (Touvron et al. 2023) and its kin (Mistral, Qwen2): RMSNorm, RoPE, grouped-query attention, SwiGLU MLP; inference only for now.
package org.llm4j.model;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.llm4j.kernels.Kernels;
import org.llm4j.kernels.Weight;
import org.llm4j.nn.Module;
import org.llm4j.tensor.F;
import org.llm4j.tensor.Rng;
import org.llm4j.tensor.Tensor;

/**
 * Parameter names are Hugging Face LlamaForCausalLM's; every projection is stored (out, in) and
 * applied as x·Wᵀ. A block reads like the paper:
 * <pre>
 *   x = x + o_proj(attention(rope(q_proj(n)), rope(k_proj(n)), v_proj(n)))   with n = rms_1(x)
 *   x = x + down_proj(silu(gate_proj(n)) ⊙ up_proj(n))                       with n = rms_2(x)
 * </pre>
 * Dimension legend: C = dim, H = hidden_dim, V = vocabulary, hs = head size, KV = n_kv_heads·hs.
 * The family's variations are config fields: q/k/v biases (Qwen2, {@link LlamaConfig#qkvBias}),
 * sliding-window attention (Mistral, {@link LlamaConfig#slidingWindow}), RoPE scaling (Llama 3,
 * {@link LlamaConfig#ropeScaling}).
 */
public final class Llama extends Module implements LanguageModel {
    private final LlamaConfig cfg;
    private final Tensor embed, norm, head; // embed (V, C); norm (C); head (V, C), the embedding itself when tied
    private final Block[] blocks;
    private final float[] ropeFreqs; // (hs/2): f_j = θ^(−2j/hs) / s_j
    private final Rng dropoutRng = new Rng(0);

    // bq (C), bk (KV), bv (KV) are null without qkvBias.
    private record Block(Tensor attnNorm, Tensor wq, Tensor wk, Tensor wv, Tensor wo, Tensor bq, Tensor bk, Tensor bv,
                         Tensor mlpNorm, Tensor gate, Tensor up, Tensor down) {}

    /** A freshly initialised model on the heap (N(0, 0.02) matrices, unit norm gains). */
    public Llama(LlamaConfig cfg, long seed) {
        this(cfg, seed, null, null);
    }

    /** A Llama around existing weights by Hugging Face name (shapes checked), typically memory-mapped: nothing large is copied. */
    public Llama(LlamaConfig cfg, Map<String, Tensor> weights, String origin) {
        this(cfg, 0, weights, origin);
    }

    private Llama(LlamaConfig cfg, long seed, Map<String, Tensor> weights, String origin) {
        this.cfg = cfg;
        if (weights != null) adoptFrom(weights, origin);
        int c = cfg.dim(), hid = cfg.hiddenDim(), kv = cfg.kvDim(), v = cfg.vocabSize();
        embed = param("model.embed_tokens.weight", v, c);
        blocks = new Block[cfg.nLayers()];
        for (int l = 0; l < cfg.nLayers(); l++) {
            String p = "model.layers." + l + ".";
            boolean bias = cfg.qkvBias();
            blocks[l] = new Block(param(p + "input_layernorm.weight", c),
                    param(p + "self_attn.q_proj.weight", c, c), param(p + "self_attn.k_proj.weight", kv, c),
                    param(p + "self_attn.v_proj.weight", kv, c), param(p + "self_attn.o_proj.weight", c, c),
                    bias ? param(p + "self_attn.q_proj.bias", c) : null, bias ? param(p + "self_attn.k_proj.bias", kv) : null,
                    bias ? param(p + "self_attn.v_proj.bias", kv) : null,
                    param(p + "post_attention_layernorm.weight", c),
                    param(p + "mlp.gate_proj.weight", hid, c), param(p + "mlp.up_proj.weight", hid, c),
                    param(p + "mlp.down_proj.weight", c, hid));
        }
        norm = param("model.norm.weight", c);
        head = cfg.tiedHead() ? embed : param("lm_head.weight", v, c);
        ropeFreqs = cfg.ropeFrequencies();
        if (adopting()) {
            finishAdopting(false);
        } else {
            Rng rng = new Rng(seed);
            for (Map.Entry<String, Tensor> e : parameters().entrySet()) {
                if (e.getKey().endsWith(".bias")) rng.fillNormal(e.getValue().data, 0.02f);
                else if (e.getValue().rank() == 1) java.util.Arrays.fill(e.getValue().data, 1f);
                else rng.fillNormal(e.getValue().data, 0.02f);
            }
        }
    }

    @Override public LlamaConfig config() { return cfg; }
    @Override public int contextLength() { return cfg.seqLen(); }
    @Override public Rng dropoutRng() { return dropoutRng; }

    @Override
    public Tensor forward(int[] tokens, int batch, int time, Rng dropout) {
        throw new UnsupportedOperationException("Llama is inference-only in this version: training forward (RMSNorm, RoPE and SwiGLU on the tape) is not implemented; use step/prefill to score or generate");
    }

    /** Per layer, the keys and values (seqLen, KV) of every position so far (after RoPE), plus one-row scratch. */
    static final class KvCache implements DecodeState {
        final float[][] k, v;
        final Scratch scratch;
        int pos;

        KvCache(LlamaConfig cfg) {
            k = new float[cfg.nLayers()][cfg.seqLen() * cfg.kvDim()];
            v = new float[cfg.nLayers()][cfg.seqLen() * cfg.kvDim()];
            scratch = new Scratch(cfg, 1);
        }

        private KvCache(KvCache o, LlamaConfig cfg) {
            this(cfg);
            int n = o.pos * cfg.kvDim();
            for (int l = 0; l < k.length; l++) {
                System.arraycopy(o.k[l], 0, k[l], 0, n);
                System.arraycopy(o.v[l], 0, v[l], 0, n);
            }
            pos = o.pos;
        }

        @Override public int position() { return pos; }

        @Override public KvCache copy() { return new KvCache(this, scratch.cfg); }
    }

    /** Activations of n rows: reused across steps for one row, allocated per call for batches. */
    static final class Scratch {
        final LlamaConfig cfg;
        final float[] x, xb, q, k, v, y, hb, hb2, att, cos, sin; // (n,C) ×2, (n,C), (n,KV) ×2, (n,C), (n,H) ×2, (seqLen), (n,hs/2) ×2

        Scratch(LlamaConfig cfg, int n) {
            this.cfg = cfg;
            int c = cfg.dim(), kv = cfg.kvDim(), h = cfg.hiddenDim(), half = cfg.headSize() / 2;
            x = new float[n * c]; xb = new float[n * c]; q = new float[n * c]; y = new float[n * c];
            k = new float[n * kv]; v = new float[n * kv];
            hb = new float[n * h]; hb2 = new float[n * h];
            att = new float[cfg.seqLen()];
            cos = new float[n * half]; sin = new float[n * half];
        }
    }

    @Override
    public DecodeState newState() {
        return new KvCache(cfg);
    }

    // On a cold JVM, compile the loops the products take (tiny slices of the real weights) before
    // they run on whole matrices, as GPT does: see Kernels.warmUp. Heap weights (trained or
    // converted in this process) need none; mapped F32 and quantized files do.
    private volatile boolean warm;

    @Override
    public void warmUp() {
        if (warm) return;
        synchronized (this) {
            if (warm) return;
            Kernels k = F.kernels();
            Block b = blocks[0];
            for (Tensor w : new Tensor[] {head, b.wq(), b.wo(), b.gate(), b.down()}) {
                if (w.weight() instanceof org.llm4j.kernels.Weight.Mapped) k.warmUp(w.weight(), true, 150_000_000L);
            }
            warm = true;
        }
    }

    @Override
    public float[] step(DecodeState state, int token) {
        KvCache kv = (KvCache) state;
        checkRoom(kv, 1);
        checkToken(token);
        warmUp();
        Scratch s = kv.scratch;
        run(new KvCache[] {kv}, new int[] {kv.pos}, new int[] {token}, s, 1);
        kv.pos++;
        return logits(F.kernels(), s.x, 0);
    }

    /** Prompt processing: the tokens as one (T, C) batch of matrix products; the logits after the last one. */
    @Override
    public float[] prefill(DecodeState state, int[] tokens) {
        int n = tokens.length;
        if (n == 0) throw new IllegalArgumentException("prefill needs at least one token");
        if (n == 1) return step(state, tokens[0]);
        KvCache kv = (KvCache) state;
        checkRoom(kv, n);
        for (int t : tokens) checkToken(t);
        warmUp();
        KvCache[] caches = new KvCache[n];
        int[] pos = new int[n];
        for (int i = 0; i < n; i++) { caches[i] = kv; pos[i] = kv.pos + i; }
        Scratch s = new Scratch(cfg, n);
        run(caches, pos, tokens, s, n);
        kv.pos += n;
        return logits(F.kernels(), s.x, (n - 1) * cfg.dim());
    }

    /** Several sequences, one token each, through one (B, C) batch: each block's weights are read once for all B. */
    @Override
    public List<float[]> stepBatch(List<DecodeState> states, int[] tokens) {
        int n = states.size();
        if (n != tokens.length) throw new IllegalArgumentException("stepBatch: " + n + " states but " + tokens.length + " tokens");
        if (n == 1) return List.of(step(states.get(0), tokens[0]));
        warmUp();
        KvCache[] caches = new KvCache[n];
        int[] pos = new int[n];
        Set<DecodeState> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (int i = 0; i < n; i++) {
            if (!seen.add(states.get(i))) throw new IllegalArgumentException("stepBatch: state " + i + " appears twice in the batch");
            caches[i] = (KvCache) states.get(i);
            checkRoom(caches[i], 1);
            checkToken(tokens[i]);
            pos[i] = caches[i].pos;
        }
        Scratch s = new Scratch(cfg, n);
        run(caches, pos, tokens, s, n);
        Kernels k = F.kernels();
        List<float[]> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            caches[i].pos++;
            out.add(logits(k, s.x, i * cfg.dim()));
        }
        return out;
    }

    /**
     * The blocks for n rows: row i is tokens[i] at position pos[i] of caches[i] (prefill: one cache,
     * consecutive positions; stepBatch: one cache per row). Every row's keys and values enter its
     * cache before any row attends, so a prefill row sees the rows before it. Leaves the residual
     * stream in s.x (n, C).
     */
    private void run(KvCache[] caches, int[] pos, int[] tokens, Scratch s, int n) {
        Kernels k = F.kernels();
        int c = cfg.dim(), kvd = cfg.kvDim();
        for (int i = 0; i < n; i++) {
            embed.weight().row(tokens[i], 0, c, s.x, i * c);
            ropeAngles(pos[i], s.cos, s.sin, i * (cfg.headSize() / 2));
        }
        for (int l = 0; l < blocks.length; l++) {
            Block b = blocks[l];
            rmsNorm(k, s.x, b.attnNorm.data, s.xb, n);
            // q (n, C), k and v (n, KV): one call, so a prompt's input is rounded and packed once
            k.matmulEach(s.xb, 0, n, new Weight[] {b.wq.weight(), b.wk.weight(), b.wv.weight()}, new float[][] {s.q, s.k, s.v});
            if (b.bq != null) {
                for (int i = 0; i < n; i++) {
                    k.axpy(1f, b.bq.data, 0, s.q, i * c, c);
                    k.axpy(1f, b.bk.data, 0, s.k, i * kvd, kvd);
                    k.axpy(1f, b.bv.data, 0, s.v, i * kvd, kvd);
                }
            }
            for (int i = 0; i < n; i++) {
                rope(s.q, i * c, cfg.nHeads(), s, i);
                rope(s.k, i * kvd, cfg.nKvHeads(), s, i);
                System.arraycopy(s.k, i * kvd, caches[i].k[l], pos[i] * kvd, kvd);
                System.arraycopy(s.v, i * kvd, caches[i].v[l], pos[i] * kvd, kvd);
            }
            if (n > Kernels.FEW_ROWS && caches[0] == caches[n - 1] && pos[n - 1] == pos[0] + n - 1) {
                // A prompt (one cache, consecutive positions): per head, as matrix products.
                final int layer = l;
                org.llm4j.kernels.Parallel.forEachTask(cfg.nHeads(), h -> attendBatch(k, s.q, caches[0], layer, h, pos[0], n, s.y));
            } else {
                for (int i = 0; i < n; i++) {
                    for (int h = 0; h < cfg.nHeads(); h++) attend(k, s.q, i * c, caches[i], l, h, pos[i], s.y, i * c, s.att);
                }
            }
            k.matmul(s.y, 0, b.wo.weight(), true, s.xb, 0, n, false);
            k.axpy(1f, s.xb, 0, s.x, 0, n * c);                          // x = x + attn(rms_1(x))
            rmsNorm(k, s.x, b.mlpNorm.data, s.xb, n);
            k.matmulEach(s.xb, 0, n, new Weight[] {b.gate.weight(), b.up.weight()}, new float[][] {s.hb, s.hb2}); // (n, H) each
            k.swiglu(s.hb, 0, s.hb2, 0, n * cfg.hiddenDim());
            k.matmul(s.hb, 0, b.down.weight(), true, s.xb, 0, n, false);
            k.axpy(1f, s.xb, 0, s.x, 0, n * c);                          // x = x + mlp(rms_2(x))
        }
    }

    // RMSNorm (Zhang and Sennrich 2019) of each row: out = x / √(mean(x²) + eps) ⊙ gain.
    private void rmsNorm(Kernels k, float[] x, float[] gain, float[] out, int n) {
        k.rmsNorm(x, 0, gain, out, 0, n, cfg.dim(), cfg.normEps());
    }

    // cos and sin of pos·f_j for the hs/2 pairs j of a head; float arithmetic as llama2.c.
    private void ropeAngles(int pos, float[] cos, float[] sin, int off) {
        for (int j = 0; j < ropeFreqs.length; j++) {
            float angle = pos * ropeFreqs[j];
            cos[off + j] = (float) Math.cos(angle);
            sin[off + j] = (float) Math.sin(angle);
        }
    }

    // Rotates each head of the row v[off..off + heads·hs) in place, pairs as the config says.
    private void rope(float[] v, int off, int heads, Scratch s, int row) {
        int hs = cfg.headSize(), half = hs / 2, a = row * half;
        boolean interleaved = cfg.rope() == LlamaConfig.RopeStyle.INTERLEAVED;
        for (int h = 0; h < heads; h++) {
            int base = off + h * hs;
            for (int j = 0; j < half; j++) {
                int i0 = interleaved ? base + 2 * j : base + j, i1 = interleaved ? i0 + 1 : i0 + half;
                float v0 = v[i0], v1 = v[i1], fc = s.cos[a + j], fs = s.sin[a + j];
                v[i0] = v0 * fc - v1 * fs;
                v[i1] = v0 * fs + v1 * fc;
            }
        }
    }

    // Query head h (in q at qOff) attends to positions from..upto of layer l, through its key/value
    // head h / (nHeads / nKvHeads): y[yOff + h·hs ..] = softmax(q·Kᵀ/√hs) · V. from is 0, or with a
    // sliding window W the first of the last W positions (upto − W < j ≤ upto).
    private void attend(Kernels k, float[] q, int qOff, KvCache kv, int l, int h, int upto, float[] y, int yOff, float[] att) {
        int hs = cfg.headSize(), kvd = cfg.kvDim(), kvOff = (h / (cfg.nHeads() / cfg.nKvHeads())) * hs, qo = qOff + h * hs;
        int w = cfg.slidingWindow(), from = w > 0 ? Math.max(0, upto - w + 1) : 0, len = upto + 1 - from;
        float scale = (float) (1.0 / Math.sqrt(hs));
        for (int j = 0; j < len; j++) att[j] = k.dot(q, qo, kv.k[l], (from + j) * kvd + kvOff, hs) * scale;
        k.softmaxRows(att, 0, 1, len);
        java.util.Arrays.fill(y, yOff + h * hs, yOff + (h + 1) * hs, 0f);
        for (int j = 0; j < len; j++) k.axpy(att[j], kv.v[l], (from + j) * kvd + kvOff, y, yOff + h * hs, hs);
    }

    // Query head h of the n prompt rows q (n, C) at positions t0..t0+n-1 attends to the cache,
    // through key/value head h / (nHeads / nKvHeads): attend's operations as matrix products.
    private void attendBatch(Kernels k, float[] q, KvCache kv, int l, int h, int t0, int n, float[] y) {
        int c = cfg.dim(), hs = cfg.headSize(), kvd = cfg.kvDim(), kvOff = (h / (cfg.nHeads() / cfg.nKvHeads())) * hs;
        int len = t0 + n;
        float[] qh = new float[n * hs], kh = new float[len * hs], vh = new float[len * hs], yh = new float[n * hs];
        for (int i = 0; i < n; i++) System.arraycopy(q, i * c + h * hs, qh, i * hs, hs);
        for (int j = 0; j < len; j++) {
            System.arraycopy(kv.k[l], j * kvd + kvOff, kh, j * hs, hs);
            System.arraycopy(kv.v[l], j * kvd + kvOff, vh, j * hs, hs);
        }
        PromptAttention.head(k, qh, kh, vh, yh, t0, n, hs, cfg.slidingWindow());
        for (int i = 0; i < n; i++) System.arraycopy(yh, i * hs, y, i * c + h * hs, hs);
    }

    // Logits (V) of residual row x[off..off + C): final RMSNorm, then x·headᵀ.
    private float[] logits(Kernels k, float[] x, int off) {
        int c = cfg.dim();
        float[] row = new float[c], h = new float[c];
        System.arraycopy(x, off, row, 0, c);
        rmsNorm(k, row, norm.data, h, 1);
        float[] out = new float[cfg.vocabSize()];
        k.matmul(h, 0, head.weight(), true, out, 0, 1, false);
        return out;
    }

    private void checkRoom(KvCache kv, int n) {
        if (kv.pos + n > cfg.seqLen()) {
            throw new IllegalStateException("KV cache is full: " + kv.pos + " + " + n + " tokens exceed the context length " + cfg.seqLen());
        }
    }

    private void checkToken(int token) {
        if (token < 0 || token >= cfg.vocabSize()) throw new IllegalArgumentException("token id " + token + " is outside the vocabulary [0, " + cfg.vocabSize() + ")");
    }
}
