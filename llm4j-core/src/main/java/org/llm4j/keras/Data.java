// Typed arrays for fit, evaluate and predict: token sequences, class labels, float features.
package org.llm4j.keras;

import java.util.Arrays;
import org.llm4j.tensor.Tensor;

/**
 * What a model takes and what it is trained against. As inputs: token sequences int[][] (rows
 * may differ in length; each batch is post-padded with 0 to its longest row) and float
 * features float[][] (B, F) or float[][][] (B, T, F). As targets: class ids int[] (sparse
 * losses), per-step class ids int[][] (padded with −1, which the sparse losses skip), and float
 * targets float[] (B, 1), float[][] and float[][][].
 */
public sealed interface Data permits Data.Tokens, Data.Labels, Data.Floats {
    int size();

    /** The shape of one sample (-1 for a varying length). */
    int[] sampleShape();

    /** The rows at these indices, in this order. */
    Data select(int[] rows);

    static Tokens of(int[][] sequences) { return new Tokens(sequences); }

    static Labels of(int[] classes) { return new Labels(classes); }

    static Floats of(float[] values) {
        float[] v = values.clone();
        return new Floats(v, values.length, new int[]{1});
    }

    static Floats of(float[][] rows) {
        int n = rows.length, f = n == 0 ? 0 : rows[0].length;
        float[] v = new float[n * f];
        for (int i = 0; i < n; i++) {
            if (rows[i].length != f) throw new IllegalArgumentException("float rows must all have " + f + " values; row " + i + " has " + rows[i].length);
            System.arraycopy(rows[i], 0, v, i * f, f);
        }
        return new Floats(v, n, new int[]{f});
    }

    static Floats of(float[][][] seqs) {
        int n = seqs.length, t = n == 0 ? 0 : seqs[0].length, f = t == 0 ? 0 : seqs[0][0].length;
        float[] v = new float[n * t * f];
        for (int i = 0; i < n; i++) {
            if (seqs[i].length != t) throw new IllegalArgumentException("float sequences must all have " + t + " steps; sample " + i + " has " + seqs[i].length);
            for (int s = 0; s < t; s++) {
                if (seqs[i][s].length != f) throw new IllegalArgumentException("every step must have " + f + " features; sample " + i + " step " + s + " has " + seqs[i][s].length);
                System.arraycopy(seqs[i][s], 0, v, (i * t + s) * f, f);
            }
        }
        return new Floats(v, n, new int[]{t, f});
    }

    /** Token sequences; as targets, per-step class ids. */
    record Tokens(int[][] rows) implements Data {
        public Tokens {
            for (int i = 0; i < rows.length; i++) if (rows[i] == null) throw new IllegalArgumentException("token sequence " + i + " is null");
        }

        @Override public int size() { return rows.length; }

        /** (None): a model built from token data takes sequences of any length; declare an Input shape to fix it. */
        @Override
        public int[] sampleShape() {
            return new int[]{-1};
        }

        @Override
        public Data select(int[] idx) {
            int[][] out = new int[idx.length][];
            for (int i = 0; i < idx.length; i++) out[i] = rows[idx[i]];
            return new Tokens(out);
        }

        int maxLength(int from, int to) {
            int t = 0;
            for (int i = from; i < to; i++) t = Math.max(t, rows[i].length);
            return Math.max(t, 1);
        }

        /** Rows [from, to) as ids (B, T) in float, post-padded with pad to length t. */
        int[] ids(int from, int to, int t, int pad) {
            int[] out = new int[(to - from) * t];
            Arrays.fill(out, pad);
            for (int i = from; i < to; i++) {
                int[] r = rows[i];
                if (r.length > t) throw new IllegalArgumentException("sequence " + i + " has " + r.length + " tokens, more than " + t);
                System.arraycopy(r, 0, out, (i - from) * t, r.length);
            }
            return out;
        }
    }

    /** One class id per sample. */
    record Labels(int[] classes) implements Data {
        @Override public int size() { return classes.length; }

        @Override public int[] sampleShape() { return new int[0]; }

        @Override
        public Data select(int[] idx) {
            int[] out = new int[idx.length];
            for (int i = 0; i < idx.length; i++) out[i] = classes[idx[i]];
            return new Labels(out);
        }
    }

    /** Float samples of one fixed shape, stored row-major. */
    record Floats(float[] values, int size, int[] sampleShape) implements Data {
        @Override public int[] sampleShape() { return sampleShape.clone(); }

        int stride() {
            int s = 1;
            for (int d : sampleShape) s *= d;
            return s;
        }

        @Override
        public Data select(int[] idx) {
            int st = stride();
            float[] out = new float[idx.length * st];
            for (int i = 0; i < idx.length; i++) System.arraycopy(values, idx[i] * st, out, i * st, st);
            return new Floats(out, idx.length, sampleShape);
        }

        Tensor rows(int from, int to) {
            int st = stride();
            int[] shape = new int[sampleShape.length + 1];
            shape[0] = to - from;
            System.arraycopy(sampleShape, 0, shape, 1, sampleShape.length);
            return Tensor.of(Arrays.copyOfRange(values, from * st, to * st), shape);
        }
    }
}
