// The differentiable ops: each forward computes with the kernels and records its backward beside it.
package org.llm4j.tensor;

import java.util.Arrays;
import java.util.List;
import org.llm4j.kernels.Kernels;
import org.llm4j.kernels.Parallel;

/**
 * Functional ops in the spirit of torch.nn.functional. Shapes use the legend of {@link Kernels}:
 * B batch, T time, C channels, V vocabulary, H hidden, and M/K/N for matrix products.
 *
 * <p>The kernels are chosen once per JVM by {@link Kernels#select()} (system property
 * {@code llm4j.kernels=scalar|vector}); model code never sees them.
 */
public final class F {
    private static final Kernels K = Kernels.select();

    private F() {}

    public static Kernels kernels() {
        return K;
    }

    // ---------------------------------------------------------------- lookups and products

    /** Rows of weight (V, C) picked by ids; ids has shape idShape, the result (idShape..., C). */
    public static Tensor embedding(Tensor weight, int[] ids, int... idShape) {
        int v = weight.dim(0), c = weight.dim(1);
        if (Tensor.numel(idShape) != ids.length) {
            throw new IllegalArgumentException("embedding: id shape " + Arrays.toString(idShape) + " does not hold " + ids.length + " ids");
        }
        int[] outShape = Arrays.copyOf(idShape, idShape.length + 1);
        outShape[idShape.length] = c;
        float[] out = new float[ids.length * c];
        for (int i = 0; i < ids.length; i++) {
            int id = ids[i];
            if (id < 0 || id >= v) throw new IllegalArgumentException("embedding: token id " + id + " at position " + i + " is outside the vocabulary [0, " + v + ")");
            System.arraycopy(weight.data, id * c, out, i * c, c);
        }
        return new Tensor(out, outShape).record(o -> {
            float[] dw = weight.gradBuffer(), dout = o.grad();
            for (int i = 0; i < ids.length; i++) K.axpy(1f, dout, i * c, dw, ids[i] * c, c);
        }, weight);
    }

    /** y = x·W + b with W stored (in K, out N): Hugging Face GPT-2's Conv1D, i.e. torch.addmm. x (..., K) → (..., N). */
    public static Tensor addmm(Tensor x, Tensor w, Tensor b) {
        int k = w.dim(0), n = w.dim(1);
        int m = rowsOf(x, k, "addmm");
        float[] out = new float[m * n];
        K.matmulNN(x.data, 0, w.data, 0, out, 0, m, k, n, false);
        if (b != null) addRowVector(out, b.data, m, n);
        return new Tensor(out, lastDimReplaced(x, n)).record(o -> {
            float[] dout = o.grad();
            if (x.requiresGrad()) K.matmulNT(dout, 0, w.data, 0, x.gradBuffer(), 0, m, n, k, true); // dx = dy·Wᵀ
            if (w.requiresGrad()) K.matmulTN(x.data, 0, dout, 0, w.gradBuffer(), 0, k, m, n, true); // dW = xᵀ·dy
            if (b != null && b.requiresGrad()) columnSums(dout, b.gradBuffer(), m, n);
        }, x, w, b);
    }

    /** y = x·Wᵀ + b with W stored (out N, in K): PyTorch nn.Linear. x (..., K) → (..., N). */
    public static Tensor linear(Tensor x, Tensor w, Tensor b) {
        int n = w.dim(0), k = w.dim(1);
        int m = rowsOf(x, k, "linear");
        float[] out = new float[m * n];
        K.matmulNT(x.data, 0, w.data, 0, out, 0, m, k, n, false);
        if (b != null) addRowVector(out, b.data, m, n);
        return new Tensor(out, lastDimReplaced(x, n)).record(o -> {
            float[] dout = o.grad();
            if (x.requiresGrad()) K.matmulNN(dout, 0, w.data, 0, x.gradBuffer(), 0, m, n, k, true); // dx = dy·W
            if (w.requiresGrad()) K.matmulTN(dout, 0, x.data, 0, w.gradBuffer(), 0, n, m, k, true); // dW = dyᵀ·x
            if (b != null && b.requiresGrad()) columnSums(dout, b.gradBuffer(), m, n);
        }, x, w, b);
    }

    /** Plain 2-D product a (M, K) · b (K, N). */
    public static Tensor matmul(Tensor a, Tensor b) {
        if (a.rank() != 2 || b.rank() != 2 || a.dim(1) != b.dim(0)) {
            throw new IllegalArgumentException("matmul: shapes " + Arrays.toString(a.shape) + " and " + Arrays.toString(b.shape) + " do not chain");
        }
        int m = a.dim(0), k = a.dim(1), n = b.dim(1);
        float[] out = new float[m * n];
        K.matmulNN(a.data, 0, b.data, 0, out, 0, m, k, n, false);
        return new Tensor(out, m, n).record(o -> {
            float[] dout = o.grad();
            if (a.requiresGrad()) K.matmulNT(dout, 0, b.data, 0, a.gradBuffer(), 0, m, n, k, true);
            if (b.requiresGrad()) K.matmulTN(a.data, 0, dout, 0, b.gradBuffer(), 0, k, m, n, true);
        }, a, b);
    }

    private static int rowsOf(Tensor x, int k, String op) {
        if (x.dim(-1) != k) {
            throw new IllegalArgumentException(op + ": input's last dimension is " + x.dim(-1) + " but the weight expects " + k + " (input shape " + Arrays.toString(x.shape) + ")");
        }
        return x.size() / k;
    }

    private static int[] lastDimReplaced(Tensor x, int n) {
        int[] s = x.shape.clone();
        s[s.length - 1] = n;
        return s;
    }

    private static void addRowVector(float[] out, float[] b, int m, int n) {
        for (int i = 0; i < m; i++) K.axpy(1f, b, 0, out, i * n, n);
    }

    private static void columnSums(float[] x, float[] acc, int m, int n) {
        for (int i = 0; i < m; i++) K.axpy(1f, x, i * n, acc, 0, n);
    }

    // ---------------------------------------------------------------- elementwise with broadcasting

    public static Tensor add(Tensor a, Tensor b) {
        return broadcast(a, b, Bin.ADD);
    }

    public static Tensor sub(Tensor a, Tensor b) {
        return broadcast(a, b, Bin.SUB);
    }

    public static Tensor mul(Tensor a, Tensor b) {
        return broadcast(a, b, Bin.MUL);
    }

    private enum Bin { ADD, SUB, MUL }

    /** NumPy broadcasting: shapes aligned on the right; a dimension of 1 stretches. */
    private static Tensor broadcast(Tensor a, Tensor b, Bin op) {
        if (Arrays.equals(a.shape, b.shape)) {
            int n = a.size();
            float[] out = new float[n];
            switch (op) {
                case ADD -> { System.arraycopy(a.data, 0, out, 0, n); K.axpy(1f, b.data, 0, out, 0, n); }
                case SUB -> { System.arraycopy(a.data, 0, out, 0, n); K.axpy(-1f, b.data, 0, out, 0, n); }
                case MUL -> { for (int i = 0; i < n; i++) out[i] = a.data[i] * b.data[i]; }
            }
            return new Tensor(out, a.shape).record(o -> {
                float[] g = o.grad();
                switch (op) {
                    case ADD, SUB -> {
                        if (a.requiresGrad()) K.axpy(1f, g, 0, a.gradBuffer(), 0, n);
                        if (b.requiresGrad()) K.axpy(op == Bin.ADD ? 1f : -1f, g, 0, b.gradBuffer(), 0, n);
                    }
                    case MUL -> {
                        if (a.requiresGrad()) { float[] ga = a.gradBuffer(); for (int i = 0; i < n; i++) ga[i] += g[i] * b.data[i]; }
                        if (b.requiresGrad()) { float[] gb = b.gradBuffer(); for (int i = 0; i < n; i++) gb[i] += g[i] * a.data[i]; }
                    }
                }
            }, a, b);
        }
        int rank = Math.max(a.rank(), b.rank());
        int[] shape = new int[rank];
        int[] sa = new int[rank], sb = new int[rank]; // strides into a and b per output dim; 0 when broadcast
        int strideA = 1, strideB = 1;
        for (int d = rank - 1; d >= 0; d--) {
            int ia = d - (rank - a.rank()), ib = d - (rank - b.rank());
            int da = ia >= 0 ? a.shape[ia] : 1, db = ib >= 0 ? b.shape[ib] : 1;
            if (da != db && da != 1 && db != 1) {
                throw new IllegalArgumentException("cannot broadcast shapes " + Arrays.toString(a.shape) + " and " + Arrays.toString(b.shape));
            }
            shape[d] = Math.max(da, db);
            sa[d] = da == 1 ? 0 : strideA;
            sb[d] = db == 1 ? 0 : strideB;
            strideA *= da;
            strideB *= db;
        }
        int n = Tensor.checkedSize(shape);
        int[] ia = new int[n], ib = new int[n];
        int[] idx = new int[rank];
        int pa = 0, pb = 0;
        for (int i = 0; i < n; i++) {
            ia[i] = pa;
            ib[i] = pb;
            for (int d = rank - 1; d >= 0; d--) { // odometer increment
                idx[d]++;
                pa += sa[d];
                pb += sb[d];
                if (idx[d] < shape[d]) break;
                pa -= sa[d] * shape[d];
                pb -= sb[d] * shape[d];
                idx[d] = 0;
            }
        }
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            float x = a.data[ia[i]], y = b.data[ib[i]];
            out[i] = switch (op) { case ADD -> x + y; case SUB -> x - y; case MUL -> x * y; };
        }
        return new Tensor(out, shape).record(o -> {
            float[] g = o.grad();
            if (a.requiresGrad()) {
                float[] ga = a.gradBuffer();
                for (int i = 0; i < n; i++) ga[ia[i]] += op == Bin.MUL ? g[i] * b.data[ib[i]] : g[i];
            }
            if (b.requiresGrad()) {
                float[] gb = b.gradBuffer();
                for (int i = 0; i < n; i++) gb[ib[i]] += switch (op) { case ADD -> g[i]; case SUB -> -g[i]; case MUL -> g[i] * a.data[ia[i]]; };
            }
        }, a, b);
    }

    /** x · s. */
    public static Tensor scale(Tensor x, float s) {
        float[] out = x.data.clone();
        K.scale(out, 0, out.length, s);
        return new Tensor(out, x.shape).record(o -> K.axpy(s, o.grad(), 0, x.gradBuffer(), 0, out.length), x);
    }

    public static Tensor tanh(Tensor x) {
        int n = x.size();
        float[] out = new float[n];
        for (int i = 0; i < n; i++) out[i] = (float) Math.tanh(x.data[i]);
        return new Tensor(out, x.shape).record(o -> {
            float[] g = o.grad(), gx = x.gradBuffer();
            for (int i = 0; i < n; i++) gx[i] += g[i] * (1f - out[i] * out[i]);
        }, x);
    }

    public static Tensor sigmoid(Tensor x) {
        int n = x.size();
        float[] out = new float[n];
        for (int i = 0; i < n; i++) out[i] = sigmoid(x.data[i]);
        return new Tensor(out, x.shape).record(o -> {
            float[] g = o.grad(), gx = x.gradBuffer();
            for (int i = 0; i < n; i++) gx[i] += g[i] * out[i] * (1f - out[i]);
        }, x);
    }

    static float sigmoid(float v) {
        return 1f / (1f + (float) Math.exp(-v));
    }

    public static Tensor relu(Tensor x) {
        int n = x.size();
        float[] out = new float[n];
        for (int i = 0; i < n; i++) out[i] = Math.max(0f, x.data[i]);
        return new Tensor(out, x.shape).record(o -> {
            float[] g = o.grad(), gx = x.gradBuffer();
            for (int i = 0; i < n; i++) if (x.data[i] > 0f) gx[i] += g[i];
        }, x);
    }

    /** GELU with the tanh approximation (GPT-2's gelu_new). */
    public static Tensor gelu(Tensor x) {
        float[] out = new float[x.size()];
        K.gelu(x.data, 0, out, 0, out.length);
        return new Tensor(out, x.shape).record(o -> K.geluBackward(o.grad(), 0, x.data, 0, x.gradBuffer(), 0, out.length), x);
    }

    /**
     * log(max(x, floor)): the clamped logarithm that probability losses take (a probability of 0
     * would give −∞ and a NaN gradient). The gradient is g/x above the floor and 0 at it.
     */
    public static Tensor log(Tensor x, float floor) {
        int n = x.size();
        float[] out = new float[n];
        for (int i = 0; i < n; i++) out[i] = (float) Math.log(Math.max(x.data[i], floor));
        return new Tensor(out, x.shape).record(o -> {
            float[] g = o.grad(), gx = x.gradBuffer();
            for (int i = 0; i < n; i++) if (x.data[i] > floor) gx[i] += g[i] / x.data[i];
        }, x);
    }

    /** |x|, with the subgradient 0 at 0. */
    public static Tensor abs(Tensor x) {
        int n = x.size();
        float[] out = new float[n];
        for (int i = 0; i < n; i++) out[i] = Math.abs(x.data[i]);
        return new Tensor(out, x.shape).record(o -> {
            float[] g = o.grad(), gx = x.gradBuffer();
            for (int i = 0; i < n; i++) gx[i] += g[i] * Math.signum(x.data[i]);
        }, x);
    }

    /** out[i] = x[i, idx[i]] for x (N, V) viewed as rows of its last dimension: a gather, (N). */
    public static Tensor pick(Tensor x, int[] idx) {
        int v = x.dim(-1), n = x.size() / v;
        if (idx.length != n) throw new IllegalArgumentException("pick: " + n + " rows but " + idx.length + " indices");
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            if (idx[i] < 0 || idx[i] >= v) throw new IllegalArgumentException("pick: index " + idx[i] + " at row " + i + " is outside [0, " + v + ")");
            out[i] = x.data[i * v + idx[i]];
        }
        return new Tensor(out, n).record(o -> {
            float[] g = o.grad(), gx = x.gradBuffer();
            for (int i = 0; i < n; i++) gx[i * v + idx[i]] += g[i];
        }, x);
    }

    /** Inverted dropout: zeroes each value with probability p and scales the rest by 1/(1-p); identity when not training. */
    public static Tensor dropout(Tensor x, float p, Rng rng, boolean training) {
        if (!training || p == 0f) return x;
        if (p < 0f || p >= 1f) throw new IllegalArgumentException("dropout probability must be in [0, 1), got " + p);
        int n = x.size();
        float keep = 1f / (1f - p);
        float[] mask = new float[n];
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            mask[i] = rng.nextFloat() < p ? 0f : keep;
            out[i] = x.data[i] * mask[i];
        }
        return new Tensor(out, x.shape).record(o -> {
            float[] g = o.grad(), gx = x.gradBuffer();
            for (int i = 0; i < n; i++) gx[i] += g[i] * mask[i];
        }, x);
    }

    // ---------------------------------------------------------------- shape ops

    /** A view with a new shape over the same data; one dimension may be -1. */
    public static Tensor reshape(Tensor x, int... shape) {
        int[] s = shape.clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < s.length; i++) {
            if (s[i] == -1) {
                if (infer >= 0) throw new IllegalArgumentException("reshape: only one dimension may be -1 in " + Arrays.toString(shape));
                infer = i;
            } else known *= s[i];
        }
        if (infer >= 0) {
            if (known == 0 || x.size() % known != 0) throw new IllegalArgumentException("reshape: cannot view " + Arrays.toString(x.shape) + " as " + Arrays.toString(shape));
            s[infer] = (int) (x.size() / known);
        }
        if (Tensor.numel(s) != x.size()) throw new IllegalArgumentException("reshape: cannot view " + Arrays.toString(x.shape) + " as " + Arrays.toString(shape));
        return new Tensor(x.data, s).record(o -> K.axpy(1f, o.grad(), 0, x.gradBuffer(), 0, x.size()), x);
    }

    /** Swaps two dimensions (a copy). */
    public static Tensor transpose(Tensor x, int d0, int d1) {
        int r = x.rank();
        int[] perm = new int[r];
        for (int i = 0; i < r; i++) perm[i] = i;
        d0 = d0 < 0 ? r + d0 : d0;
        d1 = d1 < 0 ? r + d1 : d1;
        perm[d0] = d1;
        perm[d1] = d0;
        return permute(x, perm);
    }

    /** Reorders dimensions: out.shape[i] = x.shape[perm[i]] (a copy). */
    public static Tensor permute(Tensor x, int... perm) {
        int r = x.rank();
        if (perm.length != r) throw new IllegalArgumentException("permute: " + perm.length + " axes for a tensor of rank " + r);
        int[] inStride = new int[r];
        int st = 1;
        for (int d = r - 1; d >= 0; d--) { inStride[d] = st; st *= x.shape[d]; }
        int[] shape = new int[r], stride = new int[r];
        for (int i = 0; i < r; i++) { shape[i] = x.shape[perm[i]]; stride[i] = inStride[perm[i]]; }
        int n = x.size();
        int[] src = new int[n];
        int[] idx = new int[r];
        int p = 0;
        for (int i = 0; i < n; i++) {
            src[i] = p;
            for (int d = r - 1; d >= 0; d--) {
                idx[d]++;
                p += stride[d];
                if (idx[d] < shape[d]) break;
                p -= stride[d] * shape[d];
                idx[d] = 0;
            }
        }
        float[] out = new float[n];
        for (int i = 0; i < n; i++) out[i] = x.data[src[i]];
        return new Tensor(out, shape).record(o -> {
            float[] g = o.grad(), gx = x.gradBuffer();
            for (int i = 0; i < n; i++) gx[src[i]] += g[i];
        }, x);
    }

    /** x[..., start:end, ...] along dim (a copy). */
    public static Tensor slice(Tensor x, int dim, int start, int end) {
        dim = dim < 0 ? x.rank() + dim : dim;
        int len = x.shape[dim];
        if (start < 0 || end > len || start > end) throw new IllegalArgumentException("slice: [" + start + ", " + end + ") outside dimension " + dim + " of size " + len);
        int outer = 1, inner = 1;
        for (int d = 0; d < dim; d++) outer *= x.shape[d];
        for (int d = dim + 1; d < x.rank(); d++) inner *= x.shape[d];
        int[] shape = x.shape.clone();
        shape[dim] = end - start;
        int chunk = (end - start) * inner;
        float[] out = new float[outer * chunk];
        for (int o = 0; o < outer; o++) System.arraycopy(x.data, (o * len + start) * inner, out, o * chunk, chunk);
        final int fOuter = outer, fInner = inner;
        return new Tensor(out, shape).record(t -> {
            float[] g = t.grad(), gx = x.gradBuffer();
            for (int o = 0; o < fOuter; o++) K.axpy(1f, g, o * chunk, gx, (o * len + start) * fInner, chunk);
        }, x);
    }

    /** Joins tensors along dim; all other dimensions must agree. */
    public static Tensor concat(List<Tensor> parts, int dim) {
        Tensor first = parts.get(0);
        int r = first.rank();
        int dd = dim < 0 ? r + dim : dim;
        int outer = 1, inner = 1, total = 0;
        for (int d = 0; d < dd; d++) outer *= first.shape[d];
        for (int d = dd + 1; d < r; d++) inner *= first.shape[d];
        for (Tensor t : parts) {
            for (int d = 0; d < r; d++) {
                if (d != dd && t.shape[d] != first.shape[d]) throw new IllegalArgumentException("concat: shapes " + Arrays.toString(first.shape) + " and " + Arrays.toString(t.shape) + " differ outside dimension " + dd);
            }
            total += t.shape[dd];
        }
        int[] shape = first.shape.clone();
        shape[dd] = total;
        float[] out = new float[outer * total * inner];
        int at = 0;
        int[] offsets = new int[parts.size()];
        for (int p = 0; p < parts.size(); p++) {
            Tensor t = parts.get(p);
            offsets[p] = at;
            int chunk = t.shape[dd] * inner;
            for (int o = 0; o < outer; o++) System.arraycopy(t.data, o * chunk, out, (o * total + at) * inner, chunk);
            at += t.shape[dd];
        }
        final int fOuter = outer, fInner = inner, fTotal = total;
        return new Tensor(out, shape).record(res -> {
            float[] g = res.grad();
            for (int p = 0; p < parts.size(); p++) {
                Tensor t = parts.get(p);
                if (!t.requiresGrad()) continue;
                int chunk = t.shape[dd] * fInner;
                float[] gt = t.gradBuffer();
                for (int o = 0; o < fOuter; o++) K.axpy(1f, g, (o * fTotal + offsets[p]) * fInner, gt, o * chunk, chunk);
            }
        }, parts.toArray(new Tensor[0]));
    }

    // ---------------------------------------------------------------- normalisation and softmax

    /** Layer normalisation over the last dimension with affine gamma, beta (C). */
    public static Tensor layerNorm(Tensor x, Tensor gamma, Tensor beta, float eps) {
        int c = x.dim(-1), rows = x.size() / c;
        if (gamma.size() != c || beta.size() != c) throw new IllegalArgumentException("layerNorm: weight and bias must have " + c + " values");
        float[] out = new float[x.size()], mean = new float[rows], rstd = new float[rows];
        K.layerNorm(x.data, 0, gamma.data, beta.data, out, 0, mean, rstd, rows, c, eps);
        return new Tensor(out, x.shape).record(o -> K.layerNormBackward(o.grad(), 0, x.data, 0, gamma.data, mean, rstd,
                x.requiresGrad() ? x.gradBuffer() : null, 0,
                gamma.requiresGrad() ? gamma.gradBuffer() : null,
                beta.requiresGrad() ? beta.gradBuffer() : null, rows, c), x, gamma, beta);
    }

    /** Softmax over the last dimension. */
    public static Tensor softmax(Tensor x) {
        int c = x.dim(-1), rows = x.size() / c;
        float[] y = x.data.clone();
        K.softmaxRows(y, 0, rows, c);
        return new Tensor(y, x.shape).record(o -> {
            float[] g = o.grad(), gx = x.gradBuffer();
            for (int r = 0; r < rows; r++) { // dx = y ⊙ (dy − Σ dy·y)
                int base = r * c;
                float dotp = K.dot(g, base, y, base, c);
                for (int j = 0; j < c; j++) gx[base + j] += y[base + j] * (g[base + j] - dotp);
            }
        }, x);
    }

    /**
     * Mean cross-entropy of logits (N, V) against target ids (N), skipping targets equal to
     * ignoreIndex (like PyTorch's ignore_index=-100). Fused softmax + NLL: the gradient is
     * (softmax − onehot)/count, computed without materialising log-probabilities twice.
     */
    public static Tensor crossEntropy(Tensor logits, int[] targets, int ignoreIndex) {
        int v = logits.dim(-1), n = logits.size() / v;
        if (targets.length != n) throw new IllegalArgumentException("crossEntropy: " + n + " rows of logits but " + targets.length + " targets");
        float[] probs = logits.data.clone();
        K.softmaxRows(probs, 0, n, v);
        double loss = 0;
        int count = 0;
        for (int i = 0; i < n; i++) {
            int t = targets[i];
            if (t == ignoreIndex) continue;
            if (t < 0 || t >= v) throw new IllegalArgumentException("crossEntropy: target " + t + " at row " + i + " is outside [0, " + v + ")");
            loss -= Math.log(Math.max(probs[i * v + t], Float.MIN_NORMAL));
            count++;
        }
        final int cnt = count;
        Tensor out = Tensor.scalar(cnt == 0 ? 0f : (float) (loss / cnt));
        return out.record(o -> {
            if (cnt == 0) return;
            float scale = o.grad()[0] / cnt;
            float[] g = logits.gradBuffer();
            for (int i = 0; i < n; i++) {
                int t = targets[i];
                if (t == ignoreIndex) continue;
                int base = i * v;
                K.axpy(scale, probs, base, g, base, v);
                g[base + t] -= scale;
            }
        }, logits);
    }

    // ---------------------------------------------------------------- attention

    /**
     * Causal multi-head self-attention on packed projections: qkv (B, T, 3C) holding q, k, v in
     * that order (GPT-2's c_attn output), heads of size C/nHead. Returns (B, T, C): for each head,
     * softmax(q·kᵀ/√hd + causal mask)·v, heads concatenated.
     */
    public static Tensor causalSelfAttention(Tensor qkv, int nHead) {
        if (qkv.rank() != 3 || qkv.dim(2) % 3 != 0) throw new IllegalArgumentException("attention: qkv must be (B, T, 3C), got " + Arrays.toString(qkv.shape));
        int b = qkv.dim(0), t = qkv.dim(1), c3 = qkv.dim(2), c = c3 / 3;
        if (c % nHead != 0) throw new IllegalArgumentException("attention: " + c + " channels do not split into " + nHead + " heads");
        int hd = c / nHead, th = t * hd, tt = t * t;
        float scale = (float) (1.0 / Math.sqrt(hd));
        // Per (batch, head): q, k, v gathered into contiguous (T, hd) panels so that scores and
        // outputs are small matrix products, not millions of hd-long dot products.
        float[] q = new float[b * nHead * th], k = new float[b * nHead * th], v = new float[b * nHead * th];
        float[] att = new float[b * nHead * tt]; // (B, nh, T, T) post-softmax, zeros above the diagonal
        float[] out = new float[b * t * c];
        float[] x = qkv.data;
        Parallel.forEachTask(b * nHead, bh -> {
            int bi = bh / nHead, h = bh % nHead, po = bh * th, ao = bh * tt;
            for (int i = 0; i < t; i++) {
                int row = (bi * t + i) * c3 + h * hd;
                System.arraycopy(x, row, q, po + i * hd, hd);
                System.arraycopy(x, row + c, k, po + i * hd, hd);
                System.arraycopy(x, row + 2 * c, v, po + i * hd, hd);
            }
            K.matmulNT(q, po, k, po, att, ao, t, hd, t, false); // S = Q·Kᵀ (T, T)
            for (int i = 0; i < t; i++) {
                int r = ao + i * t;
                for (int j = 0; j <= i; j++) att[r + j] *= scale;
                Arrays.fill(att, r + i + 1, r + t, Float.NEGATIVE_INFINITY); // causal mask
            }
            K.softmaxRows(att, ao, t, t);
            float[] o = new float[th];
            K.matmulNN(att, ao, v, po, o, 0, t, t, hd, false); // O = P·V (T, hd)
            for (int i = 0; i < t; i++) System.arraycopy(o, i * hd, out, (bi * t + i) * c + h * hd, hd);
        });
        return new Tensor(out, b, t, c).record(res -> {
            float[] dout = res.grad(), dx = qkv.gradBuffer();
            Parallel.forEachTask(b * nHead, bh -> {
                int bi = bh / nHead, h = bh % nHead, po = bh * th, ao = bh * tt;
                float[] dO = new float[th], dP = new float[tt], dQ = new float[th], dK = new float[th], dV = new float[th];
                for (int i = 0; i < t; i++) System.arraycopy(dout, (bi * t + i) * c + h * hd, dO, i * hd, hd);
                K.matmulNT(dO, 0, v, po, dP, 0, t, hd, t, false);   // dP = dO·Vᵀ
                K.matmulTN(att, ao, dO, 0, dV, 0, t, t, hd, false); // dV = Pᵀ·dO
                for (int i = 0; i < t; i++) {                       // dS = P ⊙ (dP − Σ_j dP·P) · 1/√hd
                    int r = i * t, a = ao + i * t;
                    float dotp = K.dot(dP, r, att, a, i + 1);
                    for (int j = 0; j <= i; j++) dP[r + j] = att[a + j] * (dP[r + j] - dotp) * scale;
                    Arrays.fill(dP, r + i + 1, r + t, 0f);
                }
                K.matmulNN(dP, 0, k, po, dQ, 0, t, t, hd, false); // dQ = dS·K
                K.matmulTN(dP, 0, q, po, dK, 0, t, t, hd, false); // dK = dSᵀ·Q
                for (int i = 0; i < t; i++) {   // three lane adds per row (one scalar loop over the three did not vectorise)
                    int row = (bi * t + i) * c3 + h * hd;
                    K.axpy(1f, dQ, i * hd, dx, row, hd);
                    K.axpy(1f, dK, i * hd, dx, row + c, hd);
                    K.axpy(1f, dV, i * hd, dx, row + 2 * c, hd);
                }
            });
        }, qkv);
    }

    // ---------------------------------------------------------------- attention over padded sequences and latent variables

    /** e^x, elementwise; the derivative is the output itself. */
    public static Tensor exp(Tensor x) {
        int n = x.size();
        float[] out = new float[n];
        for (int i = 0; i < n; i++) out[i] = (float) Math.exp(x.data[i]);
        return new Tensor(out, x.shape).record(o -> {
            float[] g = o.grad(), gx = x.gradBuffer();
            for (int i = 0; i < n; i++) gx[i] += g[i] * out[i];
        }, x);
    }

    /**
     * Batched product a (B, M, K) · b (B, K, N) → (B, M, N) (torch.bmm): one matrix product per
     * batch entry, the entries spread over the cores.
     */
    public static Tensor bmm(Tensor a, Tensor b) {
        if (a.rank() != 3 || b.rank() != 3 || a.dim(0) != b.dim(0) || a.dim(2) != b.dim(1)) {
            throw new IllegalArgumentException("bmm: shapes " + Arrays.toString(a.shape) + " and " + Arrays.toString(b.shape) + " are not (B, M, K) and (B, K, N)");
        }
        int bs = a.dim(0), m = a.dim(1), k = a.dim(2), n = b.dim(2);
        float[] out = new float[bs * m * n];
        Parallel.forEachTask(bs, i -> K.matmulNN(a.data, i * m * k, b.data, i * k * n, out, i * m * n, m, k, n, false));
        return new Tensor(out, bs, m, n).record(o -> {
            float[] dout = o.grad();
            float[] da = a.requiresGrad() ? a.gradBuffer() : null, db = b.requiresGrad() ? b.gradBuffer() : null;
            Parallel.forEachTask(bs, i -> {
                if (da != null) K.matmulNT(dout, i * m * n, b.data, i * k * n, da, i * m * k, m, n, k, true); // dA = dC·Bᵀ
                if (db != null) K.matmulTN(a.data, i * m * k, dout, i * m * n, db, i * k * n, k, m, n, true); // dB = Aᵀ·dC
            });
        }, a, b);
    }

    /**
     * Softmax over the last dimension of scores (B, ..., T) where sequence b has only its first
     * lengths[b] positions: positions at or past the length get exactly zero weight (PyTorch's
     * key_padding_mask, masked_fill(−inf) then softmax), and a sequence of length 0 gets all
     * zeros rather than NaN. lengths null masks nothing. Backward is the softmax's,
     * dx = y ⊙ (dy − Σ dy·y), over the unmasked positions only.
     */
    public static Tensor maskedSoftmax(Tensor x, int[] lengths) {
        if (x.rank() < 2) throw new IllegalArgumentException("maskedSoftmax: scores must be (B, ..., T), got " + Arrays.toString(x.shape));
        int t = x.dim(-1), b = x.dim(0), rows = x.size() / Math.max(t, 1), rowsPerSeq = b == 0 ? 0 : rows / b;
        int[] len = validLengths(lengths, b, t, "maskedSoftmax");
        float[] y = new float[x.size()];
        for (int r = 0; r < rows; r++) {
            int base = r * t, l = len[r / rowsPerSeq];
            if (l == 0) continue;
            System.arraycopy(x.data, base, y, base, l);
            K.softmaxRows(y, base, 1, l);
        }
        return new Tensor(y, x.shape).record(o -> {
            float[] g = o.grad(), gx = x.gradBuffer();
            for (int r = 0; r < rows; r++) {
                int base = r * t, l = len[r / rowsPerSeq];
                float dotp = K.dot(g, base, y, base, l);
                for (int j = 0; j < l; j++) gx[base + j] += y[base + j] * (g[base + j] - dotp);
            }
        }, x);
    }

    /** lengths checked against a batch of b sequences of at most t steps; null means all t. */
    static int[] validLengths(int[] lengths, int b, int t, String op) {
        int[] len = new int[b];
        if (lengths == null) {
            Arrays.fill(len, t);
            return len;
        }
        if (lengths.length != b) throw new IllegalArgumentException(op + ": " + lengths.length + " lengths for a batch of " + b);
        for (int i = 0; i < b; i++) {
            if (lengths[i] < 0 || lengths[i] > t) throw new IllegalArgumentException(op + ": length " + lengths[i] + " of sequence " + i + " is outside [0, " + t + "]");
            len[i] = lengths[i];
        }
        return len;
    }

    /**
     * A constant (B, T, 1) mask: 1 at the first lengths[b] steps of sequence b, 0 after; multiply
     * a (B, T, C) tensor by it (broadcast) to zero padded steps. Not differentiable (a constant).
     */
    public static Tensor lengthMask(int[] lengths, int b, int t) {
        int[] len = validLengths(lengths, b, t, "lengthMask");
        float[] m = new float[b * t];
        for (int i = 0; i < b; i++) Arrays.fill(m, i * t, i * t + len[i], 1f);
        return Tensor.of(m, b, t, 1);
    }

    /**
     * KL(N(mu, diag(e^logvar)) ‖ N(0, I)) in closed form (Kingma and Welling 2014, appendix B),
     * summed over the latent dimensions and averaged over the batch: mu and logvar (B, Z) →
     * scalar ½·(1/B)·Σ (mu² + e^logvar − 1 − logvar). d/dmu = mu/B, d/dlogvar = ½(e^logvar − 1)/B.
     */
    public static Tensor gaussianKl(Tensor mu, Tensor logvar) {
        if (!Arrays.equals(mu.shape, logvar.shape) || mu.rank() != 2) {
            throw new IllegalArgumentException("gaussianKl: mu and logvar must both be (B, Z), got " + Arrays.toString(mu.shape) + " and " + Arrays.toString(logvar.shape));
        }
        int n = mu.size(), b = mu.dim(0);
        double kl = 0;
        for (int i = 0; i < n; i++) {
            double m = mu.data[i], lv = logvar.data[i];
            kl += m * m + Math.exp(lv) - 1 - lv;
        }
        return Tensor.scalar((float) (0.5 * kl / b)).record(o -> {
            float g = o.grad()[0] / b;
            if (mu.requiresGrad()) {
                float[] gm = mu.gradBuffer();
                for (int i = 0; i < n; i++) gm[i] += g * mu.data[i];
            }
            if (logvar.requiresGrad()) {
                float[] gl = logvar.gradBuffer();
                for (int i = 0; i < n; i++) gl[i] += g * 0.5f * ((float) Math.exp(logvar.data[i]) - 1f);
            }
        }, mu, logvar);
    }

    // ---------------------------------------------------------------- recurrent

    /**
     * What one direction of one recurrent layer returns: output (B, T, H), zero at padded steps;
     * h_n and c_n (B, H), each sequence's state after its last real step (c_n null unless LSTM).
     * All three are differentiable.
     */
    public record RecurrentOutput(Tensor output, Tensor hN, Tensor cN) {}

    /**
     * One direction of one recurrent layer over a padded batch, PyTorch semantics for every
     * {@link Cell} (gate orders i, f, g, o and r, z, n). x (B, T, In); W_ih (gates·H, In);
     * W_hh (gates·H, H); biases (gates·H) or null; h0, c0 (B·H values, any shape) or null for
     * zeros, differentiable; lengths (B) or null for all T: sequence b occupies steps
     * [0, lengths[b]), padded steps keep the state and emit zeros (PyTorch's packed sequences).
     * reverse runs each sequence from its last real step back to its first (the _reverse
     * direction of a bidirectional layer). The shared fused forward/backward is {@link RecurrentOps}.
     */
    public static RecurrentOutput recurrent(Cell cell, Tensor x, Tensor wih, Tensor whh, Tensor bih, Tensor bhh,
                                            Tensor h0, Tensor c0, int[] lengths, boolean reverse) {
        return RecurrentOps.run(cell, x, wih, whh, bih, bhh, h0, c0, lengths, reverse);
    }

    /** The output sequence of an LSTM layer and its final state (the state is not differentiable). */
    public record LstmOutput(Tensor output, float[] hN, float[] cN) {}

    /**
     * One forward LSTM layer without padding, h0/c0 (B·H) as plain arrays or null for zeros: the
     * shape LstmLM's training and decoding use. {@link #recurrent} with {@link Cell#LSTM} does the work.
     */
    public static LstmOutput lstm(Tensor x, Tensor wih, Tensor whh, Tensor bih, Tensor bhh, float[] h0, float[] c0) {
        RecurrentOutput r = recurrent(Cell.LSTM, x, wih, whh, bih, bhh,
                h0 == null ? null : Tensor.of(h0, h0.length), c0 == null ? null : Tensor.of(c0, c0.length), null, false);
        return new LstmOutput(r.output(), r.hN().data, r.cN().data);
    }

    // ---------------------------------------------------------------- reductions

    public static Tensor sum(Tensor x) {
        double s = 0;
        for (float v : x.data) s += v;
        return Tensor.scalar((float) s).record(o -> {
            float g = o.grad()[0];
            float[] gx = x.gradBuffer();
            for (int i = 0; i < gx.length; i++) gx[i] += g;
        }, x);
    }

    public static Tensor mean(Tensor x) {
        return scale(sum(x), 1f / x.size());
    }
}
