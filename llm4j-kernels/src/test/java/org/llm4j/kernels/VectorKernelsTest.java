// VectorKernels against its scalar twin on random shapes with odd tails, offsets and NaN-filled outputs.
package org.llm4j.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class VectorKernelsTest {
    static final int[] SIZES = {1, 2, 3, 5, 7, 15, 16, 17, 31, 33, 64, 65, 100, 129};
    static final int[] SMALL = {1, 2, 3, 5, 7, 15, 16, 17, 31, 33};

    final ScalarKernels scalar = new ScalarKernels();
    final VectorKernels vector = new VectorKernels(2);
    final Random rnd = new Random(42);

    // ---- helpers ------------------------------------------------------------------------

    // An array of `off + n + 7` floats in [-1, 1]; the region outside [off, off + n) is a guard.
    float[] randomArray(int off, int n) {
        float[] x = new float[off + n + 7];
        for (int i = 0; i < x.length; i++) x[i] = rnd.nextFloat() * 2f - 1f;
        return x;
    }

    int randomOffset() {
        return 1 + rnd.nextInt(17);
    }

    static void assertClose(String what, float[] expected, float[] actual, int off, int n, double relTol) {
        for (int i = off; i < off + n; i++) {
            double e = expected[i], a = actual[i];
            double tol = relTol * Math.max(1.0, Math.abs(e));
            if (!(Math.abs(e - a) <= tol)) {
                fail("%s: element %d (index %d) expected %s but was %s (tolerance %.3g)", what, i - off, i, e, a, tol);
            }
        }
    }

    // Everything outside [off, off + n) must be untouched, bit for bit.
    static void assertGuards(String what, float[] before, float[] after, int off, int n) {
        for (int i = 0; i < before.length; i++) {
            if (i >= off && i < off + n) continue;
            if (Float.floatToRawIntBits(before[i]) != Float.floatToRawIntBits(after[i])) {
                fail("%s: wrote outside its range at index %d (range [%d, %d))", what, i, off, off + n);
            }
        }
    }

    // Bit-for-bit equality with a short message (AssertJ's containsExactly is slow on long arrays).
    static void assertSameBits(String what, float[] expected, float[] actual) {
        assertThat(actual.length).as(what + " length").isEqualTo(expected.length);
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i])) {
                fail("%s: index %d expected %s but was %s", what, i, expected[i], actual[i]);
            }
        }
    }

    // ---- matrix products ---------------------------------------------------------------

    interface Matmul {
        void apply(Kernels k, float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int m, int kk, int n, boolean acc);
    }

    static final Matmul NN = Kernels::matmulNN, NT = Kernels::matmulNT, TN = Kernels::matmulTN;

    void checkMatmul(String name, Matmul op, int m, int k, int n, boolean acc) {
        int aOff = randomOffset(), bOff = randomOffset(), cOff = randomOffset();
        float[] a = randomArray(aOff, m * k), b = randomArray(bOff, k * n);
        float[] c0 = randomArray(cOff, m * n);
        // Without accumulate the output may hold garbage: NaN must not leak through.
        if (!acc) Arrays.fill(c0, cOff, cOff + m * n, Float.NaN);
        float[] cs = c0.clone(), cv = c0.clone();
        op.apply(scalar, a, aOff, b, bOff, cs, cOff, m, k, n, acc);
        op.apply(vector, a, aOff, b, bOff, cv, cOff, m, k, n, acc);
        String what = "%s m=%d k=%d n=%d acc=%s".formatted(name, m, k, n, acc);
        assertClose(what, cs, cv, cOff, m * n, 1e-5 * Math.sqrt(k));
        assertGuards(what, c0, cv, cOff, m * n);
    }

    void checkAllLayouts(int m, int k, int n) {
        for (boolean acc : new boolean[] {false, true}) {
            checkMatmul("matmulNN", NN, m, k, n, acc);
            checkMatmul("matmulNT", NT, m, k, n, acc);
            checkMatmul("matmulTN", TN, m, k, n, acc);
        }
    }

    @Test
    void matmulAllSmallShapes() {
        for (int m : SMALL) for (int k : SMALL) for (int n : SMALL) checkAllLayouts(m, k, n);
    }

    @Test
    void matmulRandomShapesWithTails() {
        for (int t = 0; t < 60; t++) {
            checkAllLayouts(SIZES[rnd.nextInt(SIZES.length)], SIZES[rnd.nextInt(SIZES.length)], SIZES[rnd.nextInt(SIZES.length)]);
        }
    }

    @Test
    void matmulAcrossCacheBlocks() {
        // K crosses KC with a tail, N crosses NC, M crosses MC; both split directions.
        checkAllLayouts(261, 513, 1050);
        checkAllLayouts(5, 300, 2100);
        checkAllLayouts(300, 40, 7);
        checkAllLayouts(130, 257, 129);
    }

    @Test
    void matrixVectorPaths() {
        // m == 1 (decoding) and n == 1 take the unpacked paths, serial and parallel.
        for (int[] s : new int[][] {{1, 1, 1}, {1, 7, 33}, {1, 768, 2304}, {1, 1001, 3003}, {1, 3, 100000},
                                    {33, 7, 1}, {2304, 768, 1}, {3003, 1001, 1}}) {
            checkAllLayouts(s[0], s[1], s[2]);
        }
    }

    @Test
    void matmulWithZeroK() {
        for (boolean acc : new boolean[] {false, true}) {
            float[] cs = {Float.NaN, 1, 2, 3, 4, 5, 6}, cv = cs.clone();
            if (acc) cs[1] = cv[1] = 9;
            scalar.matmulNN(new float[0], 0, new float[0], 0, cs, 1, 2, 0, 3, acc);
            vector.matmulNN(new float[0], 0, new float[0], 0, cv, 1, 2, 0, 3, acc);
            assertSameBits("k=0 acc=" + acc, cs, cv);
        }
    }

    // ---- row kernels -------------------------------------------------------------------

    @Test
    void softmaxRows() {
        int[] rowsList = {1, 3, 17};
        List<Integer> colsList = new ArrayList<>();
        for (int s : SIZES) colsList.add(s);
        colsList.add(1000);
        colsList.add(50257);
        for (int rows : rowsList) {
            for (int cols : colsList) {
                if (rows * cols > 300_000) continue;
                int off = randomOffset();
                float[] x = randomArray(off, rows * cols);
                for (int i = off; i < off + rows * cols; i++) x[i] *= 20f;
                // A fully masked first row and a partly masked last row.
                Arrays.fill(x, off, off + cols, Float.NEGATIVE_INFINITY);
                int last = off + (rows - 1) * cols;
                for (int j = 0; j < cols; j += 2) if (rows > 1) x[last + j] = Float.NEGATIVE_INFINITY;
                float[] xs = x.clone(), xv = x.clone();
                scalar.softmaxRows(xs, off, rows, cols);
                vector.softmaxRows(xv, off, rows, cols);
                String what = "softmax rows=%d cols=%d".formatted(rows, cols);
                assertClose(what, xs, xv, off, rows * cols, 1e-5 * Math.sqrt(cols));
                assertGuards(what, x, xv, off, rows * cols);
            }
        }
    }

    @Test
    void layerNorm() {
        for (int rows : new int[] {1, 5, 40}) {
            for (int cols : new int[] {1, 3, 17, 33, 768, 1001}) {
                int xOff = randomOffset(), oOff = randomOffset();
                float[] x = randomArray(xOff, rows * cols);
                for (int i = xOff; i < xOff + rows * cols; i++) x[i] = x[i] * 3f + 0.5f;
                float[] gamma = randomArray(0, cols), beta = randomArray(0, cols);
                float[] out0 = randomArray(oOff, rows * cols);
                Arrays.fill(out0, oOff, oOff + rows * cols, Float.NaN);
                float[] os = out0.clone(), ov = out0.clone();
                float[] ms = new float[rows], rs = new float[rows], mv = new float[rows], rv = new float[rows];
                scalar.layerNorm(x, xOff, gamma, beta, os, oOff, ms, rs, rows, cols, 1e-5f);
                vector.layerNorm(x, xOff, gamma, beta, ov, oOff, mv, rv, rows, cols, 1e-5f);
                String what = "layerNorm rows=%d cols=%d".formatted(rows, cols);
                double tol = 1e-5 * Math.sqrt(cols);
                assertClose(what + " out", os, ov, oOff, rows * cols, tol);
                assertClose(what + " mean", ms, mv, 0, rows, tol);
                assertClose(what + " rstd", rs, rv, 0, rows, tol);
                assertGuards(what, out0, ov, oOff, rows * cols);
            }
        }
    }

    @Test
    void rmsNorm() {
        for (int rows : new int[] {1, 5, 40}) {
            for (int cols : new int[] {1, 3, 17, 33, 768, 1001}) {
                int xOff = randomOffset(), oOff = randomOffset();
                float[] x = randomArray(xOff, rows * cols);
                for (int i = xOff; i < xOff + rows * cols; i++) x[i] = x[i] * 3f + 0.5f;
                float[] gain = randomArray(0, cols);
                float[] out0 = randomArray(oOff, rows * cols);
                Arrays.fill(out0, oOff, oOff + rows * cols, Float.NaN);
                float[] os = out0.clone(), ov = out0.clone();
                scalar.rmsNorm(x, xOff, gain, os, oOff, rows, cols, 1e-5f);
                vector.rmsNorm(x, xOff, gain, ov, oOff, rows, cols, 1e-5f);
                String what = "rmsNorm rows=%d cols=%d".formatted(rows, cols);
                assertClose(what, os, ov, oOff, rows * cols, 1e-5 * Math.sqrt(cols));
                assertGuards(what, out0, ov, oOff, rows * cols);
                // against the definition in double, first row
                double ss = 0;
                for (int j = 0; j < cols; j++) ss += (double) x[xOff + j] * x[xOff + j];
                for (int j = 0; j < cols; j++) {
                    double want = gain[j] * x[xOff + j] / Math.sqrt(ss / cols + 1e-5);
                    assertThat((double) ov[oOff + j]).as(what + " element " + j).isCloseTo(want, org.assertj.core.data.Offset.offset(1e-5 * (1 + Math.abs(want))));
                }
            }
        }
    }

    @Test
    void layerNormBackward() {
        for (int rows : new int[] {1, 5, 33, 100}) {
            for (int cols : new int[] {1, 3, 17, 33, 768, 1001}) {
                for (int nulls = 0; nulls < 4; nulls++) {
                    checkLayerNormBackward(rows, cols, nulls == 1, nulls == 2, nulls == 3);
                }
            }
        }
    }

    void checkLayerNormBackward(int rows, int cols, boolean noDx, boolean noDgamma, boolean noDbeta) {
        int xOff = randomOffset(), dOff = randomOffset(), dxOff = randomOffset();
        float[] x = randomArray(xOff, rows * cols), dout = randomArray(dOff, rows * cols);
        float[] gamma = randomArray(0, cols), beta = randomArray(0, cols);
        float[] mean = new float[rows], rstd = new float[rows];
        scalar.layerNorm(x, xOff, gamma, beta, new float[rows * cols], 0, mean, rstd, rows, cols, 1e-5f);
        float[] dx0 = randomArray(dxOff, rows * cols), dg0 = randomArray(0, cols), db0 = randomArray(0, cols);
        float[] dxs = dx0.clone(), dgs = dg0.clone(), dbs = db0.clone();
        float[] dxv = dx0.clone(), dgv = dg0.clone(), dbv = db0.clone();
        scalar.layerNormBackward(dout, dOff, x, xOff, gamma, mean, rstd, noDx ? null : dxs, dxOff,
                noDgamma ? null : dgs, noDbeta ? null : dbs, rows, cols);
        vector.layerNormBackward(dout, dOff, x, xOff, gamma, mean, rstd, noDx ? null : dxv, dxOff,
                noDgamma ? null : dgv, noDbeta ? null : dbv, rows, cols);
        String what = "layerNormBackward rows=%d cols=%d nulls=%s%s%s".formatted(rows, cols, noDx, noDgamma, noDbeta);
        assertClose(what + " dx", dxs, dxv, dxOff, rows * cols, 1e-5 * Math.sqrt(cols));
        assertClose(what + " dgamma", dgs, dgv, 0, cols, 1e-5 * Math.sqrt(rows));
        assertClose(what + " dbeta", dbs, dbv, 0, cols, 1e-5 * Math.sqrt(rows));
        assertGuards(what, dx0, dxv, dxOff, rows * cols);
        if (noDx) assertSameBits(what + " dx untouched", dx0, dxv);
        if (noDgamma) assertSameBits(what + " dgamma untouched", dg0, dgv);
        if (noDbeta) assertSameBits(what + " dbeta untouched", db0, dbv);
    }

    // ---- elementwise ------------------------------------------------------------------

    static int[] lengths() {
        int[] n = Arrays.copyOf(SIZES, SIZES.length + 3);
        n[SIZES.length] = 1000;
        n[SIZES.length + 1] = 70_001;
        n[SIZES.length + 2] = 300_007;
        return n;
    }

    @Test
    void gelu() {
        for (int n : lengths()) {
            int xOff = randomOffset(), oOff = randomOffset();
            float[] x = randomArray(xOff, n);
            for (int i = 0; i < x.length; i++) x[i] *= 6f;
            float[] out0 = randomArray(oOff, n);
            Arrays.fill(out0, oOff, oOff + n, Float.NaN);
            float[] os = out0.clone(), ov = out0.clone();
            scalar.gelu(x, xOff, os, oOff, n);
            vector.gelu(x, xOff, ov, oOff, n);
            assertClose("gelu n=" + n, os, ov, oOff, n, 1e-6);
            assertGuards("gelu n=" + n, out0, ov, oOff, n);
        }
    }

    @Test
    void geluBackward() {
        for (int n : lengths()) {
            int xOff = randomOffset(), dOff = randomOffset(), dxOff = randomOffset();
            float[] x = randomArray(xOff, n), dout = randomArray(dOff, n);
            for (int i = 0; i < x.length; i++) x[i] *= 6f;
            float[] dx0 = randomArray(dxOff, n);
            float[] ds = dx0.clone(), dv = dx0.clone();
            scalar.geluBackward(dout, dOff, x, xOff, ds, dxOff, n);
            vector.geluBackward(dout, dOff, x, xOff, dv, dxOff, n);
            assertClose("geluBackward n=" + n, ds, dv, dxOff, n, 1e-6);
            assertGuards("geluBackward n=" + n, dx0, dv, dxOff, n);
        }
    }

    @Test
    void sigmoidAndTanh() {
        for (int n : lengths()) {
            int off = randomOffset();
            float[] x = randomArray(off, n);
            for (int i = 0; i < x.length; i++) x[i] *= i % 7 == 0 ? 0.03f : 12f; // saturated tails and the small-|x| series
            float[] ss = x.clone(), sv = x.clone(), ts = x.clone(), tv = x.clone();
            scalar.sigmoid(ss, off, n);
            vector.sigmoid(sv, off, n);
            assertClose("sigmoid n=" + n, ss, sv, off, n, 1e-6);
            assertGuards("sigmoid n=" + n, x, sv, off, n);
            scalar.tanh(ts, off, n);
            vector.tanh(tv, off, n);
            assertClose("tanh n=" + n, ts, tv, off, n, 1e-6);
            assertGuards("tanh n=" + n, x, tv, off, n);
            for (int i = off; i < off + n; i++) { // relative accuracy near zero, where tanh x ≈ x
                if (Math.abs(x[i]) < 0.1f && x[i] != 0f) assertThat((double) tv[i] / ts[i]).as("tanh(%s)", x[i]).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-5));
            }
        }
    }

    @Test
    void swigluMatchesScalar() {
        for (int n : lengths()) {
            int off = randomOffset();
            float[] g = randomArray(off, n), u = randomArray(off, n);
            for (int i = 0; i < g.length; i++) g[i] *= i % 5 == 0 ? 40f : 4f; // saturated σ: silu(z) -> z and -> -0
            float[] gs = g.clone(), gv = g.clone();
            scalar.swiglu(gs, off, u, off, n);
            vector.swiglu(gv, off, u, off, n);
            assertClose("swiglu n=" + n, gs, gv, off, n, 1e-5);
            assertGuards("swiglu n=" + n, g, gv, off, n);
        }
        // silu(z)·u against the definition in double
        float[] g = {-30f, -2f, -0.5f, 0f, 0.5f, 2f, 30f, 100f}, u = {1f, 2f, -1f, 3f, 0.5f, -2f, 1f, 0.25f};
        float[] gv = g.clone();
        vector.swiglu(gv, 0, u, 0, g.length);
        for (int i = 0; i < g.length; i++) {
            double want = g[i] / (1 + Math.exp(-g[i])) * u[i];
            assertThat((double) gv[i]).as("swiglu(%s, %s)", g[i], u[i]).isCloseTo(want, org.assertj.core.data.Offset.offset(1e-6 * Math.max(1, Math.abs(want))));
        }
    }

    @Test
    void sumDotAndSumOfSquares() {
        for (int n : lengths()) {
            int aOff = randomOffset(), bOff = randomOffset();
            float[] a = randomArray(aOff, n), b = randomArray(bOff, n);
            double tol = 1e-5 * Math.sqrt(n);
            float ss = scalar.sum(a, aOff, n), sv = vector.sum(a, aOff, n);
            assertThat((double) sv).as("sum n=%d", n).isCloseTo(ss, org.assertj.core.data.Offset.offset(tol * Math.max(1, Math.abs(ss))));
            float ds = scalar.dot(a, aOff, b, bOff, n), dv = vector.dot(a, aOff, b, bOff, n);
            assertThat((double) dv).as("dot n=%d", n).isCloseTo(ds, org.assertj.core.data.Offset.offset(tol * Math.max(1, Math.abs(ds))));
            double qs = scalar.sumOfSquares(a, aOff, n), qv = vector.sumOfSquares(a, aOff, n);
            assertThat(qv).as("sumOfSquares n=%d", n).isCloseTo(qs, org.assertj.core.data.Offset.offset(1e-12 * Math.max(1, qs)));
        }
        assertThat(vector.sum(new float[3], 1, 0)).isZero();
        assertThat(vector.sumOfSquares(new float[3], 1, 0)).isZero();
    }

    @Test
    void axpyAndScale() {
        for (int n : lengths()) {
            int xOff = randomOffset(), yOff = randomOffset();
            float[] x = randomArray(xOff, n), y0 = randomArray(yOff, n);
            float[] ys = y0.clone(), yv = y0.clone();
            scalar.axpy(-0.37f, x, xOff, ys, yOff, n);
            vector.axpy(-0.37f, x, xOff, yv, yOff, n);
            assertClose("axpy n=" + n, ys, yv, yOff, n, 1e-6);
            assertGuards("axpy n=" + n, y0, yv, yOff, n);
            float[] ss = y0.clone(), sv = y0.clone();
            scalar.scale(ss, yOff, n, 1.7f);
            vector.scale(sv, yOff, n, 1.7f);
            assertSameBits("scale n=%d".formatted(n), ss, sv);
        }
    }

    @Test
    void adamwIsBitIdentical() {
        for (int n : lengths()) {
            int off = randomOffset();
            float[] p = randomArray(off, n), g = randomArray(off, n), m = randomArray(off, n), v = randomArray(off, n);
            for (int i = 0; i < v.length; i++) v[i] = Math.abs(v[i]) * 1e-3f;
            float[] ps = p.clone(), ms = m.clone(), vs = v.clone();
            float[] pv = p.clone(), mv = m.clone(), vv = v.clone();
            for (long step = 1; step <= 3; step++) {
                scalar.adamw(ps, g, ms, vs, off, n, 3e-4f, 0.9f, 0.95f, 1e-8f, 0.1f, step);
                vector.adamw(pv, g, mv, vv, off, n, 3e-4f, 0.9f, 0.95f, 1e-8f, 0.1f, step);
            }
            assertSameBits("adamw p n=%d".formatted(n), ps, pv);
            assertSameBits("adamw m n=%d".formatted(n), ms, mv);
            assertSameBits("adamw v n=%d".formatted(n), vs, vv);
        }
    }

    @Test
    void badRangesFailOnTheCaller() {
        float[] small = new float[10];
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> vector.matmulNN(small, 0, small, 0, small, 0, 4, 4, 4, false))
                .isInstanceOf(IndexOutOfBoundsException.class);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> vector.sum(small, 5, 6))
                .isInstanceOf(IndexOutOfBoundsException.class);
    }
}
