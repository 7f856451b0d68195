// Metrics accumulated over batches: accuracy, sparse top-k accuracy, precision, recall and F1 (binary or macro).
package org.llm4j.keras;

import java.util.Locale;
import org.llm4j.tensor.Tensor;

/**
 * A metric sees predictions y (rows of C values: probabilities, or a softmax's logits, which
 * rank the classes the same way) and the batch's targets. The predicted class of a row is its
 * argmax, or y ≥ 0.5 when C = 1 (a sigmoid output); the true class is the sparse id, the
 * argmax of a one-hot row, or t ≥ 0.5. Rows whose sparse target is −1 (padding) are skipped.
 */
public abstract sealed class Metric permits Metric.Accuracy, Metric.TopK, Metric.Confusion {

    /** The name in logs and History ("accuracy"; "val_accuracy" on validation data). */
    public abstract String name();

    abstract void reset();

    abstract void update(Tensor y, Target t);

    public abstract double result();

    /** A fresh, empty copy (train and validation each keep their own). */
    abstract Metric copy();

    public static Metric accuracy() { return new Accuracy(); }

    public static Metric sparseTopK(int k) { return new TopK(k); }

    public static Metric precision(boolean macro) { return new Confusion(Confusion.Kind.PRECISION, macro); }

    public static Metric recall(boolean macro) { return new Confusion(Confusion.Kind.RECALL, macro); }

    public static Metric f1(boolean macro) { return new Confusion(Confusion.Kind.F1, macro); }

    /**
     * "accuracy" (or "acc"), "sparse_top_k_categorical_accuracy" (k = 5), "precision", "recall",
     * "f1" (positive class 1), "macro_precision", "macro_recall", "macro_f1".
     */
    public static Metric of(String name) {
        return switch (name.strip().toLowerCase(Locale.ROOT)) {
            case "accuracy", "acc", "sparse_categorical_accuracy", "categorical_accuracy", "binary_accuracy" -> accuracy();
            case "sparse_top_k_categorical_accuracy", "top_k_accuracy" -> sparseTopK(5);
            case "precision" -> precision(false);
            case "recall" -> recall(false);
            case "f1", "f1_score" -> f1(false);
            case "macro_precision" -> precision(true);
            case "macro_recall" -> recall(true);
            case "macro_f1" -> f1(true);
            default -> throw new IllegalArgumentException("unknown metric '" + name + "'; use accuracy, sparse_top_k_categorical_accuracy, precision, recall, f1, "
                    + "macro_precision, macro_recall or macro_f1");
        };
    }

    static int predicted(float[] y, int base, int c) {
        if (c == 1) return y[base] >= 0.5f ? 1 : 0;
        int best = 0;
        for (int j = 1; j < c; j++) if (y[base + j] > y[base + best]) best = j;
        return best;
    }

    /** The true class of row i, or −1 to skip it. */
    static int truth(Target t, int i, int c) {
        if (t.sparse() != null) return t.sparse()[i];
        float[] d = t.dense().data;
        return c == 1 ? (d[i] >= 0.5f ? 1 : 0) : predicted(d, i * c, c);
    }

    static final class Accuracy extends Metric {
        long correct, total;

        @Override public String name() { return "accuracy"; }
        @Override void reset() { correct = total = 0; }
        @Override Metric copy() { return new Accuracy(); }

        @Override
        void update(Tensor y, Target t) {
            int c = y.dim(-1), n = y.size() / c;
            for (int i = 0; i < n; i++) {
                int truth = truth(t, i, c);
                if (truth < 0) continue;
                total++;
                if (predicted(y.data, i * c, c) == truth) correct++;
            }
        }

        @Override public double result() { return total == 0 ? 0 : (double) correct / total; }
    }

    static final class TopK extends Metric {
        final int k;
        long hits, total;

        TopK(int k) {
            if (k < 1) throw new IllegalArgumentException("top-k accuracy: k must be positive, got " + k);
            this.k = k;
        }

        @Override public String name() { return k == 5 ? "sparse_top_k_categorical_accuracy" : "sparse_top_" + k + "_categorical_accuracy"; }
        @Override void reset() { hits = total = 0; }
        @Override Metric copy() { return new TopK(k); }

        @Override
        void update(Tensor y, Target t) {
            if (t.sparse() == null) throw new IllegalArgumentException(name() + " needs class ids as targets");
            int c = y.dim(-1), n = y.size() / c;
            for (int i = 0; i < n; i++) {
                int truth = t.sparse()[i];
                if (truth < 0) continue;
                total++;
                float v = y.data[i * c + truth];
                int above = 0; // the target is in the top k when fewer than k classes score strictly higher
                for (int j = 0; j < c && above < k; j++) if (y.data[i * c + j] > v) above++;
                if (above < k) hits++;
            }
        }

        @Override public double result() { return total == 0 ? 0 : (double) hits / total; }
    }

    /** Precision, recall or F1 from a confusion matrix: of class 1 (binary) or averaged over classes (macro). */
    static final class Confusion extends Metric {
        enum Kind { PRECISION, RECALL, F1 }

        final Kind kind;
        final boolean macro;
        long[][] m = new long[2][2]; // [truth][predicted], grown to the number of classes seen

        Confusion(Kind kind, boolean macro) {
            this.kind = kind;
            this.macro = macro;
        }

        @Override public String name() { return (macro ? "macro_" : "") + kind.name().toLowerCase(Locale.ROOT); }
        @Override void reset() { m = new long[2][2]; }
        @Override Metric copy() { return new Confusion(kind, macro); }

        @Override
        void update(Tensor y, Target t) {
            int c = y.dim(-1), n = y.size() / c;
            grow(Math.max(c, 2));
            for (int i = 0; i < n; i++) {
                int truth = truth(t, i, c);
                if (truth < 0) continue;
                grow(truth + 1);
                m[truth][predicted(y.data, i * c, c)]++;
            }
        }

        private void grow(int classes) {
            if (classes <= m.length) return;
            long[][] g = new long[classes][classes];
            for (int i = 0; i < m.length; i++) System.arraycopy(m[i], 0, g[i], 0, m.length);
            m = g;
        }

        double of(int cls) {
            long tp = m[cls][cls], predicted = 0, actual = 0;
            for (int j = 0; j < m.length; j++) {
                predicted += m[j][cls];
                actual += m[cls][j];
            }
            double p = predicted == 0 ? 0 : (double) tp / predicted, r = actual == 0 ? 0 : (double) tp / actual;
            return switch (kind) {
                case PRECISION -> p;
                case RECALL -> r;
                case F1 -> p + r == 0 ? 0 : 2 * p * r / (p + r);
            };
        }

        @Override
        public double result() {
            if (!macro) return of(1);
            double s = 0;
            for (int c = 0; c < m.length; c++) s += of(c);
            return s / m.length;
        }
    }
}
