// The Keras losses, each a differentiable composition of autograd ops, reduced as Keras does.
package org.llm4j.keras;

import java.util.Locale;
import org.llm4j.tensor.F;
import org.llm4j.tensor.Tensor;

/**
 * Predictions y (N rows of C values, the model's output viewed over its last dimension) against
 * targets t. Keras reduces each sample over the last axis, then averages over samples (and
 * steps), so:
 * <ul>
 *   <li>sparse categorical CE: −mean_i log y[i, t_i], rows with t_i = −1 skipped;</li>
 *   <li>categorical CE: −mean_i Σ_c t_ic log y_ic;</li>
 *   <li>binary CE: −mean over all values of t log y + (1 − t) log(1 − y);</li>
 *   <li>MSE: mean (y − t)²; MAE: mean |y − t|;</li>
 *   <li>KL divergence: mean_i Σ_c t_ic log(t_ic / y_ic), with t and y clipped to [ε, 1].</li>
 * </ul>
 * Probabilities are clipped below at ε = 1e-7 (Keras's epsilon) before the log. A softmax
 * output trained with sparse CE takes the fused route {@link #fromLogits} instead: the same
 * value, without the clip and its rounding, and one pass for softmax and its gradient.
 */
public enum Loss {
    SPARSE_CATEGORICAL_CROSSENTROPY, CATEGORICAL_CROSSENTROPY, BINARY_CROSSENTROPY,
    MEAN_SQUARED_ERROR, MEAN_ABSOLUTE_ERROR, KL_DIVERGENCE;

    static final float EPSILON = 1e-7f;

    public String kerasName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Keras names and their short forms: "sparse_categorical_crossentropy", "mse", "mae", "kld", ... */
    public static Loss of(String name) {
        return switch (name.strip().toLowerCase(Locale.ROOT)) {
            case "sparse_categorical_crossentropy" -> SPARSE_CATEGORICAL_CROSSENTROPY;
            case "categorical_crossentropy" -> CATEGORICAL_CROSSENTROPY;
            case "binary_crossentropy" -> BINARY_CROSSENTROPY;
            case "mse", "mean_squared_error" -> MEAN_SQUARED_ERROR;
            case "mae", "mean_absolute_error" -> MEAN_ABSOLUTE_ERROR;
            case "kld", "kl_divergence", "kullback_leibler_divergence" -> KL_DIVERGENCE;
            default -> throw new IllegalArgumentException("unknown loss '" + name + "'; use sparse_categorical_crossentropy, categorical_crossentropy, "
                    + "binary_crossentropy, mse, mae or kl_divergence");
        };
    }

    public boolean sparse() {
        return this == SPARSE_CATEGORICAL_CROSSENTROPY;
    }

    /** The fused softmax + cross-entropy on the pre-softmax logits (sparse CE only). */
    Tensor fromLogits(Tensor logits, Target t) {
        if (this != SPARSE_CATEGORICAL_CROSSENTROPY) throw new IllegalStateException(kerasName() + " has no fused route");
        checkSparse(logits, t);
        return F.crossEntropy(logits, t.sparse(), -1);
    }

    /** The loss of predictions y (…, C) against t, a scalar tensor. */
    public Tensor compute(Tensor y, Target t) {
        int c = y.dim(-1), n = y.size() / c;
        if (this == SPARSE_CATEGORICAL_CROSSENTROPY) {
            checkSparse(y, t);
            int[] ids = t.sparse().clone();
            float[] keep = new float[n];
            int count = 0;
            for (int i = 0; i < n; i++) {
                if (ids[i] == -1) { ids[i] = 0; continue; }
                keep[i] = 1f;
                count++;
            }
            Tensor logp = F.log(F.pick(y, ids), EPSILON);
            return F.scale(F.sum(F.mul(logp, Tensor.of(keep, n))), count == 0 ? 0f : -1f / count);
        }
        Tensor target = t.dense();
        if (target == null) throw new IllegalArgumentException(kerasName() + " needs float targets shaped as the output; got class ids (use sparse_categorical_crossentropy)");
        if (target.size() != y.size()) {
            throw new IllegalArgumentException(kerasName() + ": targets " + java.util.Arrays.toString(target.shape()) + " do not match the output " + java.util.Arrays.toString(y.shape()));
        }
        Tensor tv = F.reshape(target, y.shape());
        return switch (this) {
            case CATEGORICAL_CROSSENTROPY -> F.scale(F.sum(F.mul(tv, F.log(y, EPSILON))), -1f / n);
            case BINARY_CROSSENTROPY -> {
                Tensor ones = Tensor.of(filled(y.size(), 1f), y.shape());
                Tensor pos = F.mul(tv, F.log(y, EPSILON));
                Tensor neg = F.mul(F.sub(ones, tv), F.log(F.sub(ones, y), EPSILON));
                yield F.scale(F.sum(F.add(pos, neg)), -1f / y.size());
            }
            case MEAN_SQUARED_ERROR -> {
                Tensor d = F.sub(y, tv);
                yield F.mean(F.mul(d, d));
            }
            case MEAN_ABSOLUTE_ERROR -> F.mean(F.abs(F.sub(y, tv)));
            case KL_DIVERGENCE -> {
                float[] tc = new float[y.size()];
                for (int i = 0; i < tc.length; i++) tc[i] = Math.min(1f, Math.max(EPSILON, tv.data[i]));
                Tensor tcT = Tensor.of(tc, y.shape());
                Tensor logT = Tensor.of(logs(tc), y.shape());
                yield F.scale(F.sum(F.mul(tcT, F.sub(logT, F.log(y, EPSILON)))), 1f / n);
            }
            case SPARSE_CATEGORICAL_CROSSENTROPY -> throw new AssertionError();
        };
    }

    private void checkSparse(Tensor y, Target t) {
        if (t.sparse() == null) throw new IllegalArgumentException(kerasName() + " needs class ids as targets (int[] or int[][]), got floats");
        int n = y.size() / y.dim(-1);
        if (t.sparse().length != n) {
            throw new IllegalArgumentException(kerasName() + ": " + t.sparse().length + " targets for " + n + " rows of predictions " + java.util.Arrays.toString(y.shape()));
        }
    }

    private static float[] filled(int n, float v) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, v);
        return a;
    }

    private static float[] logs(float[] a) {
        float[] out = new float[a.length];
        for (int i = 0; i < a.length; i++) out[i] = (float) Math.log(a[i]);
        return out;
    }
}
