// The optimizers compile() takes, by Keras name or as objects: Adam, AdamW, SGD (with momentum).
package org.llm4j.keras;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.llm4j.tensor.F;
import org.llm4j.tensor.Tensor;

/**
 * Keras's defaults: Adam(learning_rate 1e-3, β 0.9/0.999, ε 1e-7), AdamW(the same, weight decay
 * 0.004 on matrices and embeddings), SGD(0.01, momentum 0). The learning rate is mutable, for
 * the schedule callbacks; clipNorm &gt; 0 clips the global gradient norm before each step. Adam
 * and AdamW run on {@link org.llm4j.optim.AdamW}, the engine's fused kernel.
 */
public abstract sealed class Optimizer permits Optimizer.Adam, Optimizer.SGD {
    float learningRate;
    float clipNorm;

    Optimizer(float learningRate) {
        if (!(learningRate > 0f)) throw new IllegalArgumentException("learning rate must be positive, got " + learningRate);
        this.learningRate = learningRate;
    }

    public abstract String className();

    public float learningRate() { return learningRate; }

    public void setLearningRate(float lr) {
        if (!(lr >= 0f)) throw new IllegalArgumentException("learning rate must not be negative, got " + lr);
        this.learningRate = lr;
    }

    /** Clips the global L2 norm of the gradients to at most this (Keras's global_clipnorm); 0 = off. */
    @SuppressWarnings("unchecked")
    public <O extends Optimizer> O clipNorm(float maxNorm) {
        this.clipNorm = maxNorm;
        return (O) this;
    }

    /** Applies one update from the parameters' gradients. */
    abstract void step(Map<String, Tensor> params);

    public static Adam adam(float lr) { return new Adam(lr, 0f); }

    public static AdamW adamW(float lr, float weightDecay) { return new AdamW(lr, weightDecay); }

    public static SGD sgd(float lr, float momentum) { return new SGD(lr, momentum); }

    /** "adam", "adamw" or "sgd" with Keras's default settings. */
    public static Optimizer of(String name) {
        return switch (name.strip().toLowerCase(Locale.ROOT)) {
            case "adam" -> adam(1e-3f);
            case "adamw" -> adamW(1e-3f, 0.004f);
            case "sgd" -> sgd(0.01f, 0f);
            default -> throw new IllegalArgumentException("unknown optimizer '" + name + "'; use adam, adamw or sgd");
        };
    }

    static double clip(Map<String, Tensor> params, float maxNorm) {
        if (maxNorm <= 0f) return 0;
        double ss = 0;
        for (Tensor p : params.values()) if (p.hasGrad()) ss += F.kernels().sumOfSquares(p.grad(), 0, p.size());
        double norm = Math.sqrt(ss);
        if (norm > maxNorm) {
            float s = (float) (maxNorm / (norm + 1e-6));
            for (Tensor p : params.values()) if (p.hasGrad()) F.kernels().scale(p.grad(), 0, p.size(), s);
        }
        return norm;
    }

    public static sealed class Adam extends Optimizer permits AdamW {
        final float weightDecay;
        private org.llm4j.optim.AdamW impl;

        Adam(float lr, float weightDecay) {
            super(lr);
            this.weightDecay = weightDecay;
        }

        @Override public String className() { return "Adam"; }

        @Override
        void step(Map<String, Tensor> params) {
            if (impl == null) {
                Map<String, Boolean> decays = new LinkedHashMap<>();
                params.forEach((k, p) -> decays.put(k, p.rank() >= 2));
                impl = new org.llm4j.optim.AdamW(params, decays, 0.9f, 0.999f, 1e-7f, weightDecay);
            }
            clip(params, clipNorm);
            impl.step(learningRate);
        }
    }

    /** Adam with decoupled weight decay (Loshchilov and Hutter 2019). */
    public static final class AdamW extends Adam {
        AdamW(float lr, float weightDecay) {
            super(lr, weightDecay);
        }

        @Override public String className() { return "AdamW"; }
    }

    /** v ← momentum·v − lr·g; p ← p + v (Keras's formulation; momentum 0 is plain gradient descent). */
    public static final class SGD extends Optimizer {
        final float momentum;
        private final Map<Tensor, float[]> velocity = new java.util.IdentityHashMap<>();

        SGD(float lr, float momentum) {
            super(lr);
            if (!(momentum >= 0f && momentum < 1f)) throw new IllegalArgumentException("SGD: momentum must be in [0, 1), got " + momentum);
            this.momentum = momentum;
        }

        @Override public String className() { return "SGD"; }

        @Override
        void step(Map<String, Tensor> params) {
            clip(params, clipNorm);
            for (Tensor p : params.values()) {
                if (!p.hasGrad()) continue;
                float[] g = p.grad(), w = p.data;
                if (momentum == 0f) {
                    F.kernels().axpy(-learningRate, g, 0, w, 0, w.length);
                    continue;
                }
                float[] v = velocity.computeIfAbsent(p, t -> new float[t.size()]);
                for (int i = 0; i < w.length; i++) {
                    v[i] = momentum * v[i] - learningRate * g[i];
                    w[i] += v[i];
                }
            }
        }
    }
}
