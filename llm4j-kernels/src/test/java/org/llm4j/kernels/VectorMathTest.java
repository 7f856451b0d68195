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

    // Inputs for the lane twins: a dense grid, random values at many scales, and the specials.
    static float[] laneInputs() {
        java.util.Random rnd = new java.util.Random(7);
        float[] dense = grid(-160f, 160f, 1 << 15);
        float[] specials = {0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, 1e-30f, -1e-30f, 150f, -150f, 150.0001f,
                -150.0001f, 88.72f, -87.34f, -103.9f, 1e30f, -1e30f, Float.MAX_VALUE, -Float.MAX_VALUE,
                Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, Float.intBitsToFloat(0x7fc00001), Float.intBitsToFloat(0xffc00000)};
        int n = dense.length + specials.length + 20_000;
        n += (S.length() - n % S.length()) % S.length();
        float[] x = new float[n];
        System.arraycopy(dense, 0, x, 0, dense.length);
        System.arraycopy(specials, 0, x, dense.length, specials.length);
        for (int i = dense.length + specials.length; i < n; i++) x[i] = (float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(9) - 4));
        return x;
    }

    // The vector function's lanes against its lane twin on laneInputs(), bit for bit (NaNs as one).
    static float[] assertLaneTwin(String name, java.util.function.UnaryOperator<FloatVector> vector, java.util.function.DoubleUnaryOperator lane, float[] x) {
        float[] y = apply(vector, x);
        for (int i = 0; i < x.length; i++) {
            float l = (float) lane.applyAsDouble(x[i]);
            if (Float.floatToIntBits(l) != Float.floatToIntBits(y[i])) fail("%s(%s): vector %s, lane twin %s", name, x[i], y[i], l);
        }
        return y;
    }

    @Test
    void expLaneGivesTheVectorExpBits() {
        assertLaneTwin("exp", VectorMath::exp, v -> VectorMath.expLane((float) v), laneInputs());
    }

    @Test
    void geluLaneGivesTheVectorGeluBits() {
        float[] x = laneInputs();
        float[] y = assertLaneTwin("gelu", VectorKernels::gelu, v -> VectorKernels.geluLane((float) v), x);
        // The kernel (lane twin while cold, vector loop once compiled), out of place and in place.
        // Lengths below and above the probe and the long-range cut-off, whole and split over threads.
        VectorKernels k = new VectorKernels(2);
        for (int n : new int[] {x.length, 70_001 % x.length, 3001, 1000, 17}) {
            float[] out = new float[n], inPlace = java.util.Arrays.copyOf(x, n);
            k.gelu(x, 0, out, 0, n);
            k.gelu(inPlace, 0, inPlace, 0, n);
            for (int i = 0; i < n; i++) {
                if (Float.floatToIntBits(out[i]) != Float.floatToIntBits(y[i])) fail("kernel gelu(%s) = %s, vector %s", x[i], out[i], y[i]);
                if (Float.floatToIntBits(inPlace[i]) != Float.floatToIntBits(y[i])) fail("in-place gelu(%s) = %s, vector %s", x[i], inPlace[i], y[i]);
            }
        }
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
