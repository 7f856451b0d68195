// Every Keras loss against finite differences, and against its definition on a hand-sized case.
package org.llm4j.keras;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;
import org.llm4j.tensor.F;
import org.llm4j.tensor.Grad;
import org.llm4j.tensor.Rng;
import org.llm4j.tensor.Tensor;

/**
 * As tensor.GradCheck: d loss/d prediction from backward against central differences, the loss
 * evaluated in float32 and differenced in double. Predictions are kept away from the clip at ε
 * and from the kink of |x|, where the derivative is not defined.
 */
class LossGradCheckTest {
    static final float EPS = 1e-3f;
    final Rng rng = new Rng(11);

    /** Softmax rows: valid probabilities, as a classifier's output. */
    Tensor probs(int n, int c) {
        Tensor z = Tensor.zeros(n, c);
        rng.fillNormal(z.data, 1f);
        return Tensor.of(F.softmax(z).data.clone(), n, c).requiresGrad(true);
    }

    Tensor uniform(int n, int c, float lo, float hi) {
        Tensor t = Tensor.zeros(n, c);
        for (int i = 0; i < t.size(); i++) t.data[i] = lo + (hi - lo) * rng.nextFloat();
        return t.requiresGrad(true);
    }

    static void check(Loss loss, Tensor y, Target t) {
        y.clearGrad();
        loss.compute(y, t).backward();
        float[] analytic = y.grad().clone();
        for (int i = 0; i < y.size(); i++) {
            float saved = y.data[i];
            y.data[i] = saved + EPS;
            double plus = value(loss, y, t);
            y.data[i] = saved - EPS;
            double minus = value(loss, y, t);
            y.data[i] = saved;
            double numeric = (plus - minus) / (2 * EPS);
            assertThat((double) analytic[i]).as("%s: d/dy[%d]", loss.kerasName(), i).isCloseTo(numeric, within(2e-3 + 2e-2 * Math.abs(numeric)));
        }
    }

    static double value(Loss loss, Tensor y, Target t) {
        try (var g = Grad.off()) {
            return loss.compute(y, t).item();
        }
    }

    @Test void sparseCategoricalCrossentropy() {
        Tensor y = probs(4, 5);
        Target t = new Target(new int[]{1, 4, -1, 0}, null);
        check(Loss.SPARSE_CATEGORICAL_CROSSENTROPY, y, t);
        double want = -(Math.log(y.data[1]) + Math.log(y.data[5 + 4]) + Math.log(y.data[15])) / 3; // row 2 skipped
        assertThat(value(Loss.SPARSE_CATEGORICAL_CROSSENTROPY, y, t)).isCloseTo(want, within(1e-5));
    }

    @Test void fusedRouteEqualsTheProbabilityRoute() {
        Tensor logits = Tensor.zeros(3, 4);
        rng.fillNormal(logits.data, 1f);
        Target t = new Target(new int[]{2, 0, 3}, null);
        float fused = Loss.SPARSE_CATEGORICAL_CROSSENTROPY.fromLogits(logits, t).item();
        float viaProbs = Loss.SPARSE_CATEGORICAL_CROSSENTROPY.compute(F.softmax(logits), t).item();
        assertThat(fused).isCloseTo(viaProbs, within(1e-5f));
    }

    @Test void categoricalCrossentropy() {
        Tensor y = probs(3, 4);
        Tensor onehotish = uniform(3, 4, 0f, 1f).requiresGrad(false);
        check(Loss.CATEGORICAL_CROSSENTROPY, y, new Target(null, onehotish));
        double want = 0;
        for (int i = 0; i < 12; i++) want -= onehotish.data[i] * Math.log(y.data[i]);
        assertThat(value(Loss.CATEGORICAL_CROSSENTROPY, y, new Target(null, onehotish))).isCloseTo(want / 3, within(1e-5));
    }

    @Test void binaryCrossentropy() {
        Tensor y = uniform(5, 1, 0.1f, 0.9f);
        Tensor t = Tensor.of(new float[]{1, 0, 1, 1, 0}, 5, 1);
        check(Loss.BINARY_CROSSENTROPY, y, new Target(null, t));
        double want = 0;
        for (int i = 0; i < 5; i++) want -= t.data[i] * Math.log(y.data[i]) + (1 - t.data[i]) * Math.log(1 - y.data[i]);
        assertThat(value(Loss.BINARY_CROSSENTROPY, y, new Target(null, t))).isCloseTo(want / 5, within(1e-5));
    }

    @Test void meanSquaredAndAbsoluteError() {
        Tensor y = uniform(3, 2, -1f, 1f);
        Tensor t = uniform(3, 2, -1f, 1f).requiresGrad(false);
        for (int i = 0; i < y.size(); i++) if (Math.abs(y.data[i] - t.data[i]) < 0.05f) y.data[i] += 0.1f; // off the kink of |x|
        check(Loss.MEAN_SQUARED_ERROR, y, new Target(null, t));
        check(Loss.MEAN_ABSOLUTE_ERROR, y, new Target(null, t));
        double mse = 0, mae = 0;
        for (int i = 0; i < 6; i++) {
            double d = y.data[i] - t.data[i];
            mse += d * d;
            mae += Math.abs(d);
        }
        assertThat(value(Loss.MEAN_SQUARED_ERROR, y, new Target(null, t))).isCloseTo(mse / 6, within(1e-6));
        assertThat(value(Loss.MEAN_ABSOLUTE_ERROR, y, new Target(null, t))).isCloseTo(mae / 6, within(1e-6));
    }

    @Test void klDivergence() {
        Tensor y = probs(3, 4);
        Tensor t = probs(3, 4).requiresGrad(false);
        check(Loss.KL_DIVERGENCE, y, new Target(null, t));
        double want = 0;
        for (int i = 0; i < 12; i++) want += t.data[i] * Math.log(t.data[i] / y.data[i]);
        assertThat(value(Loss.KL_DIVERGENCE, y, new Target(null, t))).isCloseTo(want / 3, within(1e-5));
        assertThat(value(Loss.KL_DIVERGENCE, t, new Target(null, t))).isCloseTo(0, within(1e-6)); // KL(p ‖ p) = 0
    }

    @Test void namesAsKeras() {
        assertThat(Loss.of("mse")).isEqualTo(Loss.MEAN_SQUARED_ERROR);
        assertThat(Loss.of("kld")).isEqualTo(Loss.KL_DIVERGENCE);
        assertThat(Loss.of("sparse_categorical_crossentropy").kerasName()).isEqualTo("sparse_categorical_crossentropy");
    }
}
