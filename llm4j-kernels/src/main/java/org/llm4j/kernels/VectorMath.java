// exp and lane sums built only from IEEE lane operations, so every JIT tier gives the same bits.
package org.llm4j.kernels;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * NOTE: the Vector API's own {@code reduceLanes(ADD)}, {@code lanewise(EXP)} and
 * {@code lanewise(TANH)} give different bits in the interpreter (a per-lane Java loop) and in C2
 * code (a tree reduction, SVML stubs): measured on JDK 25, about a quarter of 8-lane sums and a
 * tenth of exps differ once a method is compiled. A chunk that a pool thread runs early and the
 * caller runs late would then disagree, breaking the Kernels contract (results independent of
 * the thread count). Lane-wise add, mul, fma, div, compares and bit moves are exactly rounded in
 * every tier, so the functions below use nothing else.
 */
final class VectorMath {
    private VectorMath() {}

    /** Σ of the lanes, in lane order. */
    static float sum(FloatVector v) {
        float s = v.lane(0);
        for (int i = 1; i < v.length(); i++) s += v.lane(i);
        return s;
    }

    static double sum(DoubleVector v) {
        double s = v.lane(0);
        for (int i = 1; i < v.length(); i++) s += v.lane(i);
        return s;
    }

    // Cephes expf (S. Moshier): e^x = 2^n · e^r with n = round(x·log2 e), |r| <= ln2/2, and a
    // degree-7 polynomial for e^r; peak relative error about 1e-7. Clamping x to ±150 keeps n in
    // [-217, 217], where 2^n is built as two normal factors 2^(n/2) · 2^(n - n/2): e^x then
    // overflows to +inf and underflows to 0 by itself. Clamps use compare+blend, which C2 compiles
    // to two instructions, where max/min need five (Java's NaN and -0 rules); NaN passes through.
    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f; // LN2_HI has 9 bits: n·LN2_HI is exact
    private static final float ROUND = 12582912f; // 1.5·2^23: adding it rounds to an integer held in the low mantissa bits
    private static final float CLAMP = 150f;

    static FloatVector exp(FloatVector x) {
        FloatVector xc = x.blend(-CLAMP, x.compare(VectorOperators.LT, -CLAMP)).blend(CLAMP, x.compare(VectorOperators.GT, CLAMP));
        FloatVector t = xc.fma(LOG2E, ROUND);
        FloatVector n = t.sub(ROUND);
        FloatVector r = n.fma(n.broadcast(-LN2_HI), xc);
        r = n.fma(n.broadcast(-LN2_LO), r);
        FloatVector p = r.fma(1.9875691500e-4f, 1.3981999507e-3f);
        p = p.fma(r, r.broadcast(8.3334519073e-3f));
        p = p.fma(r, r.broadcast(4.1665795894e-2f));
        p = p.fma(r, r.broadcast(1.6666665459e-1f));
        p = p.fma(r, r.broadcast(5.0000001201e-1f));
        p = p.fma(r.mul(r), r).add(1f);
        IntVector ni = t.reinterpretAsInts().sub(Float.floatToRawIntBits(ROUND));
        IntVector n1 = ni.lanewise(VectorOperators.ASHR, 1);
        IntVector n2 = ni.sub(n1);
        FloatVector s1 = n1.lanewise(VectorOperators.LSHL, 23).add(Float.floatToRawIntBits(1f)).reinterpretAsFloats();
        FloatVector s2 = n2.lanewise(VectorOperators.LSHL, 23).add(Float.floatToRawIntBits(1f)).reinterpretAsFloats();
        return p.mul(s1).mul(s2);
    }

    /**
     * One lane of {@link #exp(FloatVector)}, operation for operation (the same roundings), so it
     * gives the same bits: for code that must not wait for the JIT to compile a vector loop.
     */
    static float expLane(float x) {
        float xc = x < -CLAMP ? -CLAMP : x;
        xc = xc > CLAMP ? CLAMP : xc;
        float t = Math.fma(xc, LOG2E, ROUND);
        float n = t - ROUND;
        float r = Math.fma(n, -LN2_HI, xc);
        r = Math.fma(n, -LN2_LO, r);
        float p = Math.fma(r, 1.9875691500e-4f, 1.3981999507e-3f);
        p = Math.fma(p, r, 8.3334519073e-3f);
        p = Math.fma(p, r, 4.1665795894e-2f);
        p = Math.fma(p, r, 1.6666665459e-1f);
        p = Math.fma(p, r, 5.0000001201e-1f);
        p = Math.fma(p, r * r, r) + 1f;
        int ni = Float.floatToRawIntBits(t) - Float.floatToRawIntBits(ROUND);
        int n1 = ni >> 1, n2 = ni - n1;
        float s1 = Float.intBitsToFloat((n1 << 23) + Float.floatToRawIntBits(1f));
        float s2 = Float.intBitsToFloat((n2 << 23) + Float.floatToRawIntBits(1f));
        return p * s1 * s2;
    }
}
