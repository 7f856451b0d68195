// The numeric kernels every op in llm4j is built from: plain float[] arrays, row-major, with offsets.
// ScalarKernels is the specification; VectorKernels is the fast twin (Vector API, all cores).
package org.llm4j.kernels;

/**
 * Dimension legend used throughout llm4j: B batch, T time, C channels, V vocabulary, H hidden,
 * M/N/K the rows, columns and inner size of a matrix product.
 *
 * <p>Conventions: every matrix is row-major and dense; {@code accumulate=true} adds into the
 * output instead of overwriting it. Backward kernels always accumulate into gradients, because a
 * tensor used twice receives the sum of its gradients. Results must not depend on how many
 * threads ran them (fixed partitioning, fixed reduction order), so that a resumed training run
 * reproduces the uninterrupted one bit for bit.
 */
public interface Kernels {

    /**
     * Products {@link #matmul(float[], int, Weight, boolean, float[], int, int, boolean)} with at
     * most this many rows stream the weight once through the matrix-vector loops (short prompts, a
     * few sequences decoded in lockstep): each row's result is then exactly its M = 1 product.
     */
    int FEW_ROWS = 8;

    /** C(M,N) (+)= A(M,K) · B(K,N). Forward of x·W with W stored (in, out). */
    void matmulNN(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int m, int k, int n, boolean accumulate);

    /** C(M,N) (+)= A(M,K) · B(N,K)ᵀ. Forward of x·Wᵀ with W stored (out, in); dX of x·W. */
    void matmulNT(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int m, int k, int n, boolean accumulate);

    /** C(M,N) (+)= A(K,M)ᵀ · B(K,N). Weight gradients: dW = xᵀ·dY. */
    void matmulTN(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int m, int k, int n, boolean accumulate);

    /**
     * C(M,N) (+)= A(M,K) · W with W stored (K, N), as HF Conv1D weights; or, when transposed,
     * C(M,N) (+)= A(M,K) · Wᵀ with W stored (N, K), as Linear weights and tied output heads. W may
     * be a heap array or a memory-mapped matrix of any {@link DType}; M = 1 is a matrix-vector
     * product that reads W once.
     */
    void matmul(float[] a, int aOff, Weight w, boolean transposed, float[] c, int cOff, int m, boolean accumulate);

    /**
     * C_i(M, N_i) = A(M,K) · W_iᵀ for several weights stored (N_i, K) that read the same input, as
     * a block's query/key/value or gate/up projections: the same results as one
     * {@code matmul(a, aOff, ws[i], true, cs[i], 0, m, false)} each, bit for bit. Implementations
     * may prepare A once (rounding and packing) and run the products as one parallel job.
     */
    default void matmulEach(float[] a, int aOff, int m, Weight[] ws, float[][] cs) {
        if (ws.length != cs.length) throw new IllegalArgumentException(ws.length + " weights but " + cs.length + " outputs");
        for (int i = 0; i < ws.length; i++) matmul(a, aOff, ws[i], true, cs[i], 0, m, false);
    }

    /**
     * Before a cold process's first real product with w: runs the matrix-vector loops that
     * products with w take (one and {@link #FEW_ROWS} rows) on a tiny slice of it until they run
     * at compiled speed, at most budgetNanos. On a fresh JVM the Vector API loops run interpreted,
     * thousands of times slower, until the JIT compiles them; with real sizes that phase cost most
     * of the time to the first token, with tiny ones a few milliseconds while the compiler works.
     * Once per weight type and layout per JVM; a no-op for the scalar kernels.
     */
    default void warmUp(Weight w, boolean transposed, long budgetNanos) {}

    /** Softmax of each row of x(rows, cols), in place, max-subtracted. */
    void softmaxRows(float[] x, int off, int rows, int cols);

    /**
     * Layer normalisation over the last axis: out = (x - mean) · rstd · gamma + beta, where
     * rstd = 1/sqrt(var + eps) with the biased variance. Writes mean(rows) and rstd(rows) for backward.
     */
    void layerNorm(float[] x, int xOff, float[] gamma, float[] beta, float[] out, int outOff,
                   float[] mean, float[] rstd, int rows, int cols, float eps);

    /**
     * Backward of {@link #layerNorm}: accumulates dx (rows, cols), dgamma (cols) and dbeta (cols).
     * With xhat = (x-mean)·rstd and g = dout·gamma:
     * dx = rstd · (g - mean(g) - xhat · mean(g·xhat)); dgamma = Σ dout·xhat; dbeta = Σ dout.
     * Any of dx, dgamma, dbeta may be null (not needed).
     */
    void layerNormBackward(float[] dout, int dOff, float[] x, int xOff, float[] gamma, float[] mean, float[] rstd,
                           float[] dx, int dxOff, float[] dgamma, float[] dbeta, int rows, int cols);

    /**
     * RMS normalisation over the last axis (Zhang and Sennrich 2019), Llama's norm: each row
     * out = gain ⊙ (x / √(dot(x, x)/cols + eps)), with the row's dot product as {@link #dot}.
     */
    void rmsNorm(float[] x, int xOff, float[] gain, float[] out, int outOff, int rows, int cols, float eps);

    /** GELU, tanh approximation (GPT-2's gelu_new): 0.5x(1 + tanh(√(2/π)(x + 0.044715x³))). */
    void gelu(float[] x, int xOff, float[] out, int outOff, int n);

    /** dx += dout · gelu'(x). */
    void geluBackward(float[] dout, int dOff, float[] x, int xOff, float[] dx, int dxOff, int n);

    /** x = σ(x) = 1/(1 + e^{−x}), in place: the gates of the recurrent cells. */
    void sigmoid(float[] x, int off, int n);

    /** x = tanh(x), in place. */
    void tanh(float[] x, int off, int n);

    /**
     * SwiGLU's gating (Shazeer 2020), in place: gate = silu(gate) ⊙ up, with silu(z) = z·σ(z):
     * the Llama MLP between its gate/up and down projections.
     */
    void swiglu(float[] gate, int gOff, float[] up, int uOff, int n);

    /** Σ x[i]. */
    float sum(float[] x, int off, int n);

    /** Σ a[i]·b[i]. */
    float dot(float[] a, int aOff, float[] b, int bOff, int n);

    /** Σ x[i]² (accumulated in double in the scalar twin; used for gradient-norm clipping). */
    double sumOfSquares(float[] x, int off, int n);

    /** y += alpha · x. */
    void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n);

    /** x *= alpha. */
    void scale(float[] x, int off, int n, float alpha);

    /**
     * One AdamW step (Loshchilov and Hutter, decoupled weight decay) on n parameters, in place:
     * m = β1·m + (1-β1)·g; v = β2·v + (1-β2)·g²; p -= lr·(m̂/(√v̂ + eps) + wd·p), with
     * m̂ = m/(1-β1^step), v̂ = v/(1-β2^step). step counts from 1.
     */
    void adamw(float[] p, float[] g, float[] m, float[] v, int off, int n, float lr, float beta1, float beta2,
               float eps, float weightDecay, long step);

    /** The kernels chosen for this JVM: {@code -Dllm4j.kernels=scalar|vector} overrides; vector by default. */
    static Kernels select() {
        String choice = System.getProperty("llm4j.kernels", "vector");
        return switch (choice) {
            case "scalar" -> new ScalarKernels();
            case "vector" -> {
                try {
                    yield VectorKernels.available() ? new VectorKernels() : new ScalarKernels();
                } catch (LinkageError e) {
                    // Started without --add-modules jdk.incubator.vector: VectorKernels cannot even load.
                    yield new ScalarKernels();
                }
            }
            default -> throw new IllegalArgumentException("-Dllm4j.kernels must be 'scalar' or 'vector', got '" + choice + "'");
        };
    }
}
