// The fast kernels: Vector API SIMD, split over all cores. The only importer of jdk.incubator.vector.
package org.llm4j.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

public final class VectorKernels implements Kernels {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private final ScalarKernels scalar = new ScalarKernels();

    /** True when the Vector API module is present in this JVM. */
    public static boolean available() {
        try {
            return S.length() > 1;
        } catch (Throwable t) {
            return false;
        }
    }

    // TEMPORARY: delegates to the scalar twin until the vectorised versions land.
    @Override public void matmulNN(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int m, int k, int n, boolean acc) { scalar.matmulNN(a, aOff, b, bOff, c, cOff, m, k, n, acc); }
    @Override public void matmulNT(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int m, int k, int n, boolean acc) { scalar.matmulNT(a, aOff, b, bOff, c, cOff, m, k, n, acc); }
    @Override public void matmulTN(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int m, int k, int n, boolean acc) { scalar.matmulTN(a, aOff, b, bOff, c, cOff, m, k, n, acc); }
    @Override public void softmaxRows(float[] x, int off, int rows, int cols) { scalar.softmaxRows(x, off, rows, cols); }
    @Override public void layerNorm(float[] x, int xOff, float[] g, float[] b, float[] o, int oOff, float[] mean, float[] rstd, int rows, int cols, float eps) { scalar.layerNorm(x, xOff, g, b, o, oOff, mean, rstd, rows, cols, eps); }
    @Override public void layerNormBackward(float[] d, int dOff, float[] x, int xOff, float[] g, float[] mean, float[] rstd, float[] dx, int dxOff, float[] dg, float[] db, int rows, int cols) { scalar.layerNormBackward(d, dOff, x, xOff, g, mean, rstd, dx, dxOff, dg, db, rows, cols); }
    @Override public void gelu(float[] x, int xOff, float[] o, int oOff, int n) { scalar.gelu(x, xOff, o, oOff, n); }
    @Override public void geluBackward(float[] d, int dOff, float[] x, int xOff, float[] dx, int dxOff, int n) { scalar.geluBackward(d, dOff, x, xOff, dx, dxOff, n); }
    @Override public float sum(float[] x, int off, int n) { return scalar.sum(x, off, n); }
    @Override public float dot(float[] a, int aOff, float[] b, int bOff, int n) { return scalar.dot(a, aOff, b, bOff, n); }
    @Override public double sumOfSquares(float[] x, int off, int n) { return scalar.sumOfSquares(x, off, n); }
    @Override public void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) { scalar.axpy(alpha, x, xOff, y, yOff, n); }
    @Override public void scale(float[] x, int off, int n, float alpha) { scalar.scale(x, off, n, alpha); }
    @Override public void adamw(float[] p, float[] g, float[] m, float[] v, int off, int n, float lr, float b1, float b2, float eps, float wd, long step) { scalar.adamw(p, g, m, v, off, n, lr, b1, b2, eps, wd, step); }
}
