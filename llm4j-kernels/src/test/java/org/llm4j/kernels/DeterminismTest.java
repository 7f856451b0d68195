// Every parallel kernel gives the same bits with 1, 2 and 3 threads (resumed training runs rely on it).
package org.llm4j.kernels;

import java.util.Random;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;

class DeterminismTest {
    static final int[] THREADS = {1, 2, 3};
    final Random rnd = new Random(7);

    float[] random(int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = rnd.nextFloat() * 2f - 1f;
        return x;
    }

    // Runs `op` with each thread count on a fresh copy of `init` and checks the copies agree bit for bit.
    void sameBits(String what, float[] init, BiConsumer<Kernels, float[]> op) {
        float[] first = null;
        for (int t : THREADS) {
            float[] out = init.clone();
            op.accept(new VectorKernels(t), out);
            if (first == null) first = out;
            else VectorKernelsTest.assertSameBits(what + " with " + t + " threads", first, out);
        }
    }

    @Test
    void matrixProducts() {
        for (int[] s : new int[][] {{200, 300, 500}, {500, 300, 200}, {1, 1000, 3000}, {3000, 1000, 1}, {64, 700, 64}}) {
            int m = s[0], k = s[1], n = s[2];
            float[] a = random(m * k), b = random(k * n), c = random(m * n);
            sameBits("matmulNN " + m + "x" + k + "x" + n, c, (kk, out) -> kk.matmulNN(a, 0, b, 0, out, 0, m, k, n, true));
            sameBits("matmulNT " + m + "x" + k + "x" + n, c, (kk, out) -> kk.matmulNT(a, 0, b, 0, out, 0, m, k, n, true));
            sameBits("matmulTN " + m + "x" + k + "x" + n, c, (kk, out) -> kk.matmulTN(a, 0, b, 0, out, 0, m, k, n, false));
        }
    }

    @Test
    void rowKernels() {
        rowKernels(256, 768);
        rowKernels(100, 1001); // odd tails in every row
    }

    void rowKernels(int rows, int cols) {
        float[] x = random(rows * cols), dout = random(rows * cols), gamma = random(cols), beta = random(cols);
        sameBits("softmaxRows", x, (k, out) -> k.softmaxRows(out, 0, rows, cols));
        sameBits("rmsNorm", new float[rows * cols], (k, out) -> k.rmsNorm(x, 0, gamma, out, 0, rows, cols, 1e-5f));
        sameBits("layerNorm", new float[rows * cols], (k, out) -> k.layerNorm(x, 0, gamma, beta, out, 0, null, null, rows, cols, 1e-5f));
        float[] mean = new float[rows], rstd = new float[rows];
        new ScalarKernels().layerNorm(x, 0, gamma, beta, new float[rows * cols], 0, mean, rstd, rows, cols, 1e-5f);
        // dx, dgamma and dbeta packed into one array so a single comparison covers all three.
        float[] grads = random(rows * cols + 2 * cols);
        sameBits("layerNormBackward", grads, (k, out) -> {
            float[] dg = java.util.Arrays.copyOfRange(out, rows * cols, rows * cols + cols);
            float[] db = java.util.Arrays.copyOfRange(out, rows * cols + cols, rows * cols + 2 * cols);
            k.layerNormBackward(dout, 0, x, 0, gamma, mean, rstd, out, 0, dg, db, rows, cols);
            System.arraycopy(dg, 0, out, rows * cols, cols);
            System.arraycopy(db, 0, out, rows * cols + cols, cols);
        });
    }

    @Test
    void elementwiseAndReductions() {
        int n = 500_001;
        float[] x = random(n), y = random(n);
        sameBits("gelu", new float[n], (k, out) -> k.gelu(x, 0, out, 0, n));
        sameBits("geluBackward", y, (k, out) -> k.geluBackward(x, 0, y, 0, out, 0, n));
        sameBits("sigmoid", x, (k, out) -> k.sigmoid(out, 0, n));
        sameBits("tanh", x, (k, out) -> k.tanh(out, 0, n));
        sameBits("swiglu", x, (k, out) -> k.swiglu(out, 0, y, 0, n));
        sameBits("axpy", y, (k, out) -> k.axpy(0.3f, x, 0, out, 0, n));
        sameBits("scale", y, (k, out) -> k.scale(out, 0, n, 0.3f));
        sameBits("sum", new float[1], (k, out) -> out[0] = k.sum(x, 0, n));
        sameBits("dot", new float[1], (k, out) -> out[0] = k.dot(x, 0, y, 0, n));
        sameBits("sumOfSquares", new float[2], (k, out) -> {
            long bits = Double.doubleToRawLongBits(k.sumOfSquares(x, 0, n));
            out[0] = Float.intBitsToFloat((int) bits);
            out[1] = Float.intBitsToFloat((int) (bits >>> 32));
        });
    }
}
