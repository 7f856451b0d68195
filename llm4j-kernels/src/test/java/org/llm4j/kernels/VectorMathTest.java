// The lane-exact exp against java.lang.Math, including the special values softmax and GELU meet.
package org.llm4j.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

class VectorMathTest {
    static final VectorSpecies<Float> S = VectorKernels.S;

    static float[] apply(java.util.function.UnaryOperator<FloatVector> f, float[] x) {
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i += S.length()) f.apply(FloatVector.fromArray(S, x, i)).intoArray(out, i);
        return out;
    }

    static float[] grid(float lo, float hi, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = lo + (hi - lo) * i / (n - 1);
        return x;
    }

    @Test
    void expIsWithinTwoUlpOfMathExp() {
        // Includes the subnormal results below -87.3 and the top of the range.
        float[] x = grid(-103f, 88.7f, 1 << 16);
        float[] y = apply(VectorMath::exp, x);
        for (int i = 0; i < x.length; i++) {
            double ref = Math.exp(x[i]);
            // Relative to the float result: subnormals keep fewer bits.
            double tol = Math.max(2.5e-7 * ref, Math.ulp((float) ref));
            if (Math.abs(y[i] - ref) > tol) fail("exp(%s) = %s, Math.exp gives %s", x[i], y[i], ref);
        }
    }

    @Test
    void expSpecialValues() {
        float[] x = new float[S.length()];
        float[] in = {Float.NEGATIVE_INFINITY, -200f, 0f, -0f, 1f, 89f, Float.POSITIVE_INFINITY, Float.NaN};
        // Lanes past the 8 specials (AVX-512) stay 0.
        System.arraycopy(in, 0, x, 0, Math.min(in.length, x.length));
        float[] y = apply(VectorMath::exp, x);
        float[] want = {0f, 0f, 1f, 1f, (float) Math.E, Float.POSITIVE_INFINITY, Float.POSITIVE_INFINITY, Float.NaN};
        for (int i = 0; i < Math.min(in.length, x.length); i++) assertThat(Float.valueOf(y[i])).as("exp(%s)", x[i]).isEqualTo(Float.valueOf(want[i]));
    }

    @Test
    void laneSumIsInLaneOrder() {
        float[] x = new float[S.length()];
        x[0] = 1e8f;
        for (int i = 1; i < x.length; i++) x[i] = 1f;
        float want = x[0];
        for (int i = 1; i < x.length; i++) want += x[i];
        assertThat(VectorMath.sum(FloatVector.fromArray(S, x, 0))).isEqualTo(want);
    }
}
