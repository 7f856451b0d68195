// Sentence classification (SST-2 style TSV): a word tokenizer, then an Embedding → (Bi)LSTM → softmax
// classifier or a bag-of-words logistic-regression baseline, both trained with the Keras-style API.
package org.llm4j.tasks;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.llm4j.keras.Bidirectional;
import org.llm4j.keras.Callback;
import org.llm4j.keras.CategoryEncoding;
import org.llm4j.keras.Data;
import org.llm4j.keras.Dense;
import org.llm4j.keras.Dropout;
import org.llm4j.keras.Embedding;
import org.llm4j.keras.Fit;
import org.llm4j.keras.History;
import org.llm4j.keras.LSTM;
import org.llm4j.keras.Loss;
import org.llm4j.keras.Metric;
import org.llm4j.keras.Model;
import org.llm4j.keras.Optimizer;
import org.llm4j.keras.Sequential;
import org.llm4j.tokenizer.WordTokenizer;

/**
 * The split follows GLUE practice for SST-2: train on train_part.tsv, choose the epoch (and the
 * settings) on train_heldout.tsv, report once on glue_dev.tsv (the public dev set; the test
 * labels are hidden). Both models share the tokenizer, optimizer and loop, so their figures
 * differ only by the model.
 */
public final class TextClassification {
    private TextClassification() {}

    /** Labelled sentences: the text and a class id in [0, classes). */
    public record Examples(List<String> texts, int[] labels) {
        public int size() { return labels.length; }

        public Examples head(int n) {
            int k = Math.min(n, size());
            return new Examples(texts.subList(0, k), java.util.Arrays.copyOf(labels, k));
        }
    }

    /**
     * @param model         "lstm" (Embedding → LSTM → Dense softmax) or "bow" (multi-hot words → Dense softmax)
     * @param maxVocab      tokenizer vocabulary, including <pad> and <unk>
     * @param embed         embedding width (lstm)
     * @param units         LSTM units per direction (lstm)
     * @param bidirectional a bidirectional LSTM (lstm)
     * @param dropout       dropout before the softmax layer (lstm)
     * @param epochs        at most this many; the epoch with the best held-out accuracy is kept
     * @param patience      epochs without held-out improvement before stopping
     * @param batchSize     sentences per step
     * @param learningRate  Adam's learning rate
     * @param seed          initialisation, shuffling and dropout
     * @param limit         use only the first this many training sentences (0 = all)
     */
    public record Config(String model, int maxVocab, int embed, int units, boolean bidirectional, float dropout,
                         int epochs, int patience, int batchSize, float learningRate, long seed, int limit) {
        public Config {
            if (!model.equals("lstm") && !model.equals("bow")) throw new IllegalArgumentException("model must be lstm or bow, got '" + model + "'");
            if (maxVocab < 3 || embed < 1 || units < 1 || epochs < 1 || batchSize < 1 || patience < 0 || limit < 0) {
                throw new IllegalArgumentException("classifier settings must be positive: " + this);
            }
        }

        /** The settings chosen on train_heldout (BENCHMARKS.md). */
        public static Config lstm() {
            return new Config("lstm", 16000, 64, 64, true, 0.3f, 4, 1, 64, 2e-3f, 1, 0);
        }

        public static Config bow() {
            return new Config("bow", 16000, 1, 1, false, 0f, 12, 2, 64, 5e-3f, 1, 0);
        }
    }

    /**
     * What a run measured: held-out loss before training and at the kept epoch, held-out accuracy
     * of the kept epoch, and accuracy and F1 (positive class 1, and macro) on the report set.
     */
    public record Result(String model, long parameters, int epochsRun, int bestEpoch, double heldoutLossBefore, double heldoutLoss, double heldoutAccuracy,
                         double accuracy, double f1, double macroF1, double seconds) {
        public String line() {
            return String.format(Locale.ROOT, "%s: %,d parameters, epoch %d of %d kept, held-out accuracy %.4f; report set accuracy %.4f, F1 %.4f, macro-F1 %.4f (%.0f s)",
                    model, parameters, bestEpoch + 1, epochsRun, heldoutAccuracy, accuracy, f1, macroF1, seconds);
        }
    }

    /** Reads "sentence<TAB>label" lines after a header; labels are non-negative integers. */
    public static Examples readTsv(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        if (lines.isEmpty()) throw new IOException(file + ": empty file (expected a header 'sentence<TAB>label')");
        List<String> texts = new ArrayList<>();
        int[] labels = new int[lines.size() - 1];
        for (int i = 1; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank()) continue;
            int tab = line.lastIndexOf('\t');
            if (tab < 0) throw new IOException(file + ":" + (i + 1) + ": no tab between sentence and label");
            String label = line.substring(tab + 1).strip();
            try {
                labels[texts.size()] = Integer.parseInt(label);
            } catch (NumberFormatException e) {
                throw new IOException(file + ":" + (i + 1) + ": label '" + label + "' is not an integer");
            }
            if (labels[texts.size()] < 0) throw new IOException(file + ":" + (i + 1) + ": negative label " + label);
            texts.add(line.substring(0, tab));
        }
        return new Examples(texts, java.util.Arrays.copyOf(labels, texts.size()));
    }

    public static int[][] encode(WordTokenizer tok, List<String> texts) {
        int[][] out = new int[texts.size()][];
        for (int i = 0; i < out.length; i++) out[i] = tok.encode(texts.get(i));
        return out;
    }

    public static Model build(Config c, int vocab, int classes) {
        Sequential m = new Sequential();
        if (c.model().equals("bow")) {
            m.add(new CategoryEncoding(vocab, "multi_hot")).add(new Dense(classes, "softmax"));
        } else {
            m.add(new Embedding(vocab, c.embed(), true));
            m.add(c.bidirectional() ? new Bidirectional(new LSTM(c.units())) : new LSTM(c.units()));
            if (c.dropout() > 0) m.add(new Dropout(c.dropout()));
            m.add(new Dense(classes, "softmax"));
        }
        m.seed(c.seed());
        m.compile(Optimizer.adam(c.learningRate()).clipNorm(5f), Loss.SPARSE_CATEGORICAL_CROSSENTROPY, Metric.accuracy());
        return m;
    }

    /** Fits the tokenizer and the model on train, keeps the best epoch on heldout, reports on test. */
    public static Result run(Config c, Examples train, Examples heldout, Examples test, PrintStream out) throws IOException {
        long t0 = System.nanoTime();
        if (c.limit() > 0) train = train.head(c.limit());
        WordTokenizer tok = WordTokenizer.fit(train.texts(), WordTokenizer.Options.defaults().withMaxVocab(c.maxVocab()));
        int classes = 0;
        for (Examples e : List.of(train, heldout, test)) for (int l : e.labels()) classes = Math.max(classes, l + 1);
        classes = Math.max(classes, 2);
        Model m = build(c, tok.vocabSize(), classes);
        Data hx = Data.of(encode(tok, heldout.texts())), hy = Data.of(heldout.labels());
        // Keras's idiom for "keep the best epoch": checkpoint the best weights, stop after
        // patience epochs without improvement, load the checkpoint back.
        double lossBefore = m.evaluate(hx, hy, 256).get("loss");
        Path tmp = Files.createTempDirectory("llm4j-classify");
        Path best = tmp.resolve("best.safetensors");
        History h;
        try {
            h = m.fit(Data.of(encode(tok, train.texts())), Data.of(train.labels()),
                    Fit.epochs(c.epochs()).batchSize(c.batchSize()).seed(c.seed()).validationData(hx, hy).out(out).callbacks(
                            new Callback.ModelCheckpoint(best, "val_accuracy", true),
                            new Callback.EarlyStopping("val_accuracy", c.patience(), false)));
            m.loadWeights(best);
        } finally {
            Files.deleteIfExists(best);
            Files.deleteIfExists(tmp);
        }
        int bestEpoch = argmax(h.get("val_accuracy"));
        m.compile(m.optimizer(), m.loss(), Metric.accuracy(), Metric.f1(false), Metric.f1(true));
        Map<String, Double> r = m.evaluate(Data.of(encode(tok, test.texts())), Data.of(test.labels()), 256);
        return new Result(c.model(), m.countParams(), h.epochs().size(), bestEpoch, lossBefore, h.get("val_loss").get(bestEpoch), h.get("val_accuracy").get(bestEpoch),
                r.get("accuracy"), r.get("f1"), r.get("macro_f1"), (System.nanoTime() - t0) / 1e9);
    }

    /** The three SST-2 files of a folder: train_part.tsv, train_heldout.tsv, glue_dev.tsv. */
    public static Result runSst2(Path dir, Config c, PrintStream out) throws IOException {
        return run(c, readTsv(dir.resolve("train_part.tsv")), readTsv(dir.resolve("train_heldout.tsv")), readTsv(dir.resolve("glue_dev.tsv")), out);
    }

    private static int argmax(List<Double> v) {
        int b = 0;
        for (int i = 1; i < v.size(); i++) if (v.get(i) > v.get(b)) b = i;
        return b;
    }
}
