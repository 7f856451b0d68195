// One attention head over a prompt's rows as matrix products, shared by GPT's and Llama's prefill.
package org.llm4j.model;

import org.llm4j.kernels.Kernels;

/**
 * Query rows at positions t0..t0+n-1 attend to keys and values at positions 0..t0+n-1:
 * Y = softmax(Q·Kᵀ/√hs, causal and sliding-window mask)·V for one head, with Q (n, hs), K and V
 * (t0+n, hs) packed per head. The rows go in blocks of at most {@link #ROWS}, each against only
 * the keys its rows can see (from the first row's window start to the last row's position): a
 * 512-token prompt computes 56% of the full n × (t0+n) scores. A masked score is an exact zero
 * after the softmax, and the products add a key's term in key order, so leaving the masked keys
 * out changes no sum.
 */
final class PromptAttention {
    private PromptAttention() {}

    /** Query rows per block: large enough for the products' packing to pay off, small enough that the skipped keys count. */
    static final int ROWS = 64;

    /** yh (n, hs) = attention of qh (n, hs) over kh, vh (t0+n, hs); window 0 = none. */
    static void head(Kernels k, float[] qh, float[] kh, float[] vh, float[] yh, int t0, int n, int hs, int window) {
        float scale = (float) (1.0 / Math.sqrt(hs));
        int blocks = (n + ROWS - 1) / ROWS, bq = (n + blocks - 1) / blocks; // near-equal blocks
        float[] sc = new float[bq * (t0 + n)];
        for (int i0 = 0; i0 < n; i0 += bq) {
            int rows = Math.min(bq, n - i0);
            int k0 = window > 0 ? Math.max(0, t0 + i0 - window + 1) : 0, keys = t0 + i0 + rows - k0; // keys k0..k0+keys-1
            k.matmulNT(qh, i0 * hs, kh, k0 * hs, sc, 0, rows, hs, keys, false);
            for (int r = 0; r < rows; r++) {
                int row = r * keys, upto = t0 + i0 + r - k0, from = window > 0 ? Math.max(0, t0 + i0 + r - window + 1) - k0 : 0;
                java.util.Arrays.fill(sc, row, row + from, Float.NEGATIVE_INFINITY);
                for (int j = from; j <= upto; j++) sc[row + j] *= scale;
                java.util.Arrays.fill(sc, row + upto + 1, row + keys, Float.NEGATIVE_INFINITY);
            }
            k.softmaxRows(sc, 0, rows, keys);
            k.matmulNN(sc, 0, vh, k0 * hs, yh, i0 * hs, rows, keys, hs, false);
        }
    }
}
