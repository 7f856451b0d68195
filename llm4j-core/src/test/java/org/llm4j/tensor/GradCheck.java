// Finite-difference gradient checking for the autograd ops.
package org.llm4j.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.function.Function;

/**
 * Checks d/dx of L = Σ w ⊙ f(x) (w fixed and random, L summed in double) against central
 * differences, element by element, for every input that requires grad.
 *
 * <p>NOTE: the engine is float32 by design, so the forward evaluated under perturbation is
 * float32; the loss sum and the difference quotient are formed in double. With eps = 1e-2 on
 * O(1) inputs the truncation error is O(eps²) ≈ 1e-4 and the float rounding error of L divided by
 * 2·eps stays near 1e-4, so the tolerance below (2e-3 absolute + 2e-2 relative) still fails any
 * real derivative mistake, which shows up as an O(1) discrepancy.
 */
final class GradCheck {
    static final float EPS = 1e-2f;

    private GradCheck() {}

    static Tensor randn(Rng rng, int... shape) {
        Tensor t = Tensor.zeros(shape);
        rng.fillNormal(t.data, 1f);
        return t.requiresGrad(true);
    }

    static void check(String name, Function<Tensor[], Tensor> f, Tensor... inputs) {
        check(name, f, 2e-3, 2e-2, inputs);
    }

    static void check(String name, Function<Tensor[], Tensor> f, double atol, double rtol, Tensor... inputs) {
        Tensor out = f.apply(inputs);
        Rng rng = new Rng(99);
        float[] w = new float[out.size()];
        rng.fillNormal(w, 1f);
        for (Tensor in : inputs) in.clearGrad();
        Tensor loss = F.sum(F.mul(out, Tensor.of(w, out.shape())));
        loss.backward();
        for (int k = 0; k < inputs.length; k++) {
            Tensor in = inputs[k];
            if (!in.requiresGrad()) continue;
            float[] analytic = in.grad();
            assertThat(analytic).as(name + ": input " + k + " received no gradient").isNotNull();
            for (int i = 0; i < in.size(); i++) {
                float saved = in.data[i];
                in.data[i] = saved + EPS;
                double plus = weighted(f, inputs, w);
                in.data[i] = saved - EPS;
                double minus = weighted(f, inputs, w);
                in.data[i] = saved;
                double numeric = (plus - minus) / (2 * EPS);
                double tol = atol + rtol * Math.abs(numeric);
                assertThat((double) analytic[i])
                        .as("%s: d/d input%d[%d] analytic vs finite difference", name, k, i)
                        .isCloseTo(numeric, org.assertj.core.data.Offset.offset(tol));
            }
        }
    }

    private static double weighted(Function<Tensor[], Tensor> f, Tensor[] inputs, float[] w) {
        try (var g = Grad.off()) {
            Tensor out = f.apply(inputs);
            double s = 0;
            for (int i = 0; i < w.length; i++) s += (double) w[i] * out.data[i];
            return s;
        }
    }
}
