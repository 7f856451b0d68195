// The specification of every kernel: plain loops, one thread. Tests compare VectorKernels with it.
package org.llm4j.kernels;

public final class ScalarKernels implements Kernels {

    @Override
    public void matmulNN(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int m, int k, int n, boolean accumulate) {
        for (int i = 0; i < m; i++) {
            int ci = cOff + i * n;
            if (!accumulate) java.util.Arrays.fill(c, ci, ci + n, 0f);
            for (int p = 0; p < k; p++) {
                float aip = a[aOff + i * k + p];
                int bp = bOff + p * n;
                for (int j = 0; j < n; j++) c[ci + j] += aip * b[bp + j];
            }
        }
    }

    @Override
    public void matmulNT(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int m, int k, int n, boolean accumulate) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float s = 0f;
                int ai = aOff + i * k, bj = bOff + j * k;
                for (int p = 0; p < k; p++) s += a[ai + p] * b[bj + p];
                int idx = cOff + i * n + j;
                c[idx] = accumulate ? c[idx] + s : s;
            }
        }
    }

    @Override
    public void matmulTN(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int m, int k, int n, boolean accumulate) {
        if (!accumulate) java.util.Arrays.fill(c, cOff, cOff + m * n, 0f);
        for (int p = 0; p < k; p++) {
            int ap = aOff + p * m, bp = bOff + p * n;
            for (int i = 0; i < m; i++) {
                float api = a[ap + i];
                int ci = cOff + i * n;
                for (int j = 0; j < n; j++) c[ci + j] += api * b[bp + j];
            }
        }
    }

    @Override
    public void matmul(float[] a, int aOff, Weight w, boolean transposed, float[] c, int cOff, int m, boolean accumulate) {
        int k = transposed ? w.cols() : w.rows(), n = transposed ? w.rows() : w.cols();
        if (roundsActivation(w, transposed)) {   // as llama.cpp: x rounded to Q8_0 blocks against Q8_0/Q4_0 rows, Q8_K against Q4_K/Q6_K
            float[] r = new float[m * k];
            DType type = ((Weight.Mapped) w).type();
            for (int i = 0; i < m; i++) Quant.roundActivation(type, a, aOff + i * k, k, r, i * k);
            a = r;
            aOff = 0;
        }
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float s = 0f;
                for (int p = 0; p < k; p++) s += a[aOff + i * k + p] * (transposed ? w.get(j, p) : w.get(p, j));
                int idx = cOff + i * n + j;
                c[idx] = accumulate ? c[idx] + s : s;
            }
        }
    }

    /**
     * Whether {@link #matmul(float[], int, Weight, boolean, float[], int, int, boolean)} rounds the
     * activation rows to Q8_0 or Q8_K blocks first ({@link Quant#roundActivation(DType, float[], int, int, float[], int)}): for block-quantized
     * weights used transposed (rows of whole blocks along K), whatever the number of rows.
     */
    static boolean roundsActivation(Weight w, boolean transposed) {
        return transposed && w instanceof Weight.Mapped mw && mw.type().quantized();
    }

    @Override
    public void softmaxRows(float[] x, int off, int rows, int cols) {
        for (int r = 0; r < rows; r++) {
            int base = off + r * cols;
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < cols; j++) max = Math.max(max, x[base + j]);
            if (max == Float.NEGATIVE_INFINITY) max = 0f; // a fully masked row stays all zeros below
            float sum = 0f;
            for (int j = 0; j < cols; j++) {
                float e = (float) Math.exp(x[base + j] - max);
                x[base + j] = e;
                sum += e;
            }
            float inv = sum == 0f ? 0f : 1f / sum;
            for (int j = 0; j < cols; j++) x[base + j] *= inv;
        }
    }

    @Override
    public void layerNorm(float[] x, int xOff, float[] gamma, float[] beta, float[] out, int outOff,
                          float[] mean, float[] rstd, int rows, int cols, float eps) {
        for (int r = 0; r < rows; r++) {
            int xi = xOff + r * cols, oi = outOff + r * cols;
            float mu = 0f;
            for (int j = 0; j < cols; j++) mu += x[xi + j];
            mu /= cols;
            float var = 0f;
            for (int j = 0; j < cols; j++) {
                float d = x[xi + j] - mu;
                var += d * d;
            }
            var /= cols;
            float rs = (float) (1.0 / Math.sqrt(var + eps));
            for (int j = 0; j < cols; j++) {
                out[oi + j] = (x[xi + j] - mu) * rs * gamma[j] + beta[j];
            }
            if (mean != null) mean[r] = mu;
            if (rstd != null) rstd[r] = rs;
        }
    }

    @Override
    public void layerNormBackward(float[] dout, int dOff, float[] x, int xOff, float[] gamma, float[] mean, float[] rstd,
                                  float[] dx, int dxOff, float[] dgamma, float[] dbeta, int rows, int cols) {
        for (int r = 0; r < rows; r++) {
            int di = dOff + r * cols, xi = xOff + r * cols, dxi = dxOff + r * cols;
            float mu = mean[r], rs = rstd[r];
            float meanG = 0f, meanGX = 0f;
            for (int j = 0; j < cols; j++) {
                float xhat = (x[xi + j] - mu) * rs;
                float g = dout[di + j] * gamma[j];
                meanG += g;
                meanGX += g * xhat;
            }
            meanG /= cols;
            meanGX /= cols;
            for (int j = 0; j < cols; j++) {
                float xhat = (x[xi + j] - mu) * rs;
                float d = dout[di + j];
                if (dbeta != null) dbeta[j] += d;
                if (dgamma != null) dgamma[j] += d * xhat;
                if (dx != null) dx[dxi + j] += rs * (d * gamma[j] - meanG - xhat * meanGX);
            }
        }
    }

    static final float GELU_SCALE = (float) Math.sqrt(2.0 / Math.PI);

    @Override
    public void gelu(float[] x, int xOff, float[] out, int outOff, int n) {
        for (int i = 0; i < n; i++) {
            float v = x[xOff + i];
            float cube = 0.044715f * v * v * v;
            out[outOff + i] = 0.5f * v * (1f + (float) Math.tanh(GELU_SCALE * (v + cube)));
        }
    }

    @Override
    public void geluBackward(float[] dout, int dOff, float[] x, int xOff, float[] dx, int dxOff, int n) {
        for (int i = 0; i < n; i++) {
            float v = x[xOff + i];
            float u = GELU_SCALE * (v + 0.044715f * v * v * v);
            float th = (float) Math.tanh(u);
            float sech2 = 1f - th * th;
            float du = GELU_SCALE * (1f + 3f * 0.044715f * v * v);
            float grad = 0.5f * (1f + th) + 0.5f * v * sech2 * du;
            dx[dxOff + i] += dout[dOff + i] * grad;
        }
    }

    @Override
    public void sigmoid(float[] x, int off, int n) {
        for (int i = off; i < off + n; i++) x[i] = (float) (1.0 / (1.0 + Math.exp(-x[i])));
    }

    @Override
    public void rmsNorm(float[] x, int xOff, float[] gain, float[] out, int outOff, int rows, int cols, float eps) {
        for (int r = 0; r < rows; r++) {
            int xi = xOff + r * cols, oi = outOff + r * cols;
            float inv = (float) (1.0 / Math.sqrt(dot(x, xi, x, xi, cols) / cols + eps));
            for (int j = 0; j < cols; j++) out[oi + j] = gain[j] * (inv * x[xi + j]);
        }
    }

    @Override
    public void swiglu(float[] gate, int gOff, float[] up, int uOff, int n) {
        for (int i = 0; i < n; i++) {
            float z = gate[gOff + i];
            gate[gOff + i] = z * (1.0f / (1.0f + (float) Math.exp(-z))) * up[uOff + i];
        }
    }

    @Override
    public void tanh(float[] x, int off, int n) {
        for (int i = off; i < off + n; i++) x[i] = (float) Math.tanh(x[i]);
    }

    @Override
    public float sum(float[] x, int off, int n) {
        float s = 0f;
        for (int i = 0; i < n; i++) s += x[off + i];
        return s;
    }

    @Override
    public float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        float s = 0f;
        for (int i = 0; i < n; i++) s += a[aOff + i] * b[bOff + i];
        return s;
    }

    @Override
    public double sumOfSquares(float[] x, int off, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) s += (double) x[off + i] * x[off + i];
        return s;
    }

    @Override
    public void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        for (int i = 0; i < n; i++) y[yOff + i] += alpha * x[xOff + i];
    }

    @Override
    public void scale(float[] x, int off, int n, float alpha) {
        for (int i = 0; i < n; i++) x[off + i] *= alpha;
    }

    @Override
    public void adamw(float[] p, float[] g, float[] m, float[] v, int off, int n, float lr, float beta1, float beta2,
                      float eps, float weightDecay, long step) {
        float bc1 = (float) (1.0 - Math.pow(beta1, step));
        float bc2 = (float) (1.0 - Math.pow(beta2, step));
        for (int i = off; i < off + n; i++) {
            float gi = g[i];
            float mi = beta1 * m[i] + (1f - beta1) * gi;
            float vi = beta2 * v[i] + (1f - beta2) * gi * gi;
            m[i] = mi;
            v[i] = vi;
            float mhat = mi / bc1, vhat = vi / bc2;
            p[i] -= lr * (mhat / ((float) Math.sqrt(vhat) + eps) + weightDecay * p[i]);
        }
    }
}
