// AdamW (Loshchilov and Hutter 2019): Adam with decoupled weight decay, plus global-norm gradient clipping.
package org.llm4j.optim;

import java.util.LinkedHashMap;
import java.util.Map;
import org.llm4j.kernels.Kernels;
import org.llm4j.tensor.F;
import org.llm4j.tensor.Tensor;

/**
 * Keeps first and second moments per parameter. Weight decay applies to the parameters the model
 * says decay (matrices and embeddings), not to biases and norm gains, as in nanoGPT.
 */
public final class AdamW {
    private final Map<String, Tensor> params;
    private final Map<String, Boolean> decays;
    private final Map<String, float[]> m = new LinkedHashMap<>(), v = new LinkedHashMap<>();
    private final float beta1, beta2, eps, weightDecay;
    private long step;

    public AdamW(Map<String, Tensor> params, Map<String, Boolean> decays, float beta1, float beta2, float eps, float weightDecay) {
        this.params = params;
        this.decays = decays;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        for (var e : params.entrySet()) {
            m.put(e.getKey(), new float[e.getValue().size()]);
            v.put(e.getKey(), new float[e.getValue().size()]);
        }
    }

    /** AdamW over a model's parameters, decaying those the model says decay (LanguageModel.decays). */
    public static AdamW forModel(org.llm4j.model.LanguageModel model, float beta1, float beta2, float eps, float weightDecay) {
        Map<String, Boolean> decays = new LinkedHashMap<>();
        model.parameters().forEach((k, p) -> decays.put(k, model.decays(k, p)));
        return new AdamW(model.parameters(), decays, beta1, beta2, eps, weightDecay);
    }

    /** Scales all gradients so their global L2 norm is at most maxNorm; returns the norm before clipping. */
    public double clipGradNorm(double maxNorm) {
        Kernels k = F.kernels();
        double ss = 0;
        for (Tensor p : params.values()) if (p.hasGrad()) ss += k.sumOfSquares(p.grad(), 0, p.size());
        double norm = Math.sqrt(ss);
        if (maxNorm > 0 && norm > maxNorm) {
            float s = (float) (maxNorm / (norm + 1e-6));
            for (Tensor p : params.values()) if (p.hasGrad()) k.scale(p.grad(), 0, p.size(), s);
        }
        return norm;
    }

    public void step(float lr) {
        step++;
        Kernels k = F.kernels();
        for (var e : params.entrySet()) {
            Tensor p = e.getValue();
            if (!p.hasGrad()) continue;
            float wd = Boolean.TRUE.equals(decays.get(e.getKey())) ? weightDecay : 0f;
            k.adamw(p.data, p.grad(), m.get(e.getKey()), v.get(e.getKey()), 0, p.size(), lr, beta1, beta2, eps, wd, step);
        }
    }

    public long stepCount() { return step; }

    public void setStepCount(long s) { this.step = s; }

    /** Moments by parameter name, for checkpoints. */
    public Map<String, float[]> firstMoments() { return m; }

    public Map<String, float[]> secondMoments() { return v; }
}
