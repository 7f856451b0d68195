// The Keras-style API end to end on tiny synthetic tasks: build, summary, fit, callbacks, evaluate, predict, save/load.
package org.llm4j.keras;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.llm4j.tensor.Rng;
import org.llm4j.tensor.Tensor;

class ModelTest {
    @TempDir Path dir;

    /** Sequences of ids in [2, 10) of lengths 2..6; the label is 1 when id 7 occurs. */
    record Task(int[][] x, int[] y) {
        static Task make(int n, long seed) {
            Rng rng = new Rng(seed);
            int[][] x = new int[n][];
            int[] y = new int[n];
            for (int i = 0; i < n; i++) {
                x[i] = new int[2 + rng.nextInt(5)];
                for (int s = 0; s < x[i].length; s++) x[i][s] = 2 + rng.nextInt(8);
                if (i % 2 == 0) x[i][rng.nextInt(x[i].length)] = 7;
                for (int v : x[i]) if (v == 7) y[i] = 1;
            }
            return new Task(x, y);
        }
    }

    static Sequential classifier(long seed) {
        return new Sequential().add(new Embedding(10, 8, true)).add(new LSTM(12)).add(new Dense(2, "softmax")).seed(seed);
    }

    static PrintStream sink(ByteArrayOutputStream bytes) {
        return new PrintStream(bytes, true, StandardCharsets.UTF_8);
    }

    @Test void summaryListsLayersShapesAndParameterCounts() {
        Sequential m = Sequential.withInput(100).add(new Embedding(10000, 128)).add(new LSTM(128, true)).add(new Dense(10000, "softmax")).buildNow();
        String s = m.summaryString();
        assertThat(s).contains("embedding (Embedding)", "(None, 100, 128)", "1,280,000")
                .contains("lstm (LSTM)", "132,096") // 4·128·(128 + 128) weights + 2·4·128 biases (PyTorch keeps two bias vectors)
                .contains("dense (Dense)", "(None, 100, 10000)", "1,290,000")
                .contains("Total params: 2,702,096");
        assertThat(m.weights()).containsKeys("embedding.embeddings", "lstm.weight_ih_l0", "lstm.bias_hh_l0", "dense.weight", "dense.bias");
    }

    @Test void bidirectionalNamesAndShapes() {
        Sequential m = Sequential.withInput(-1).add(new Embedding(20, 4, true)).add(new Bidirectional(new GRU(5, true))).add(new LSTM(3))
                .add(new Dense(1, "sigmoid")).buildNow();
        assertThat(m.weights()).containsKeys("bidirectional.weight_ih_l0", "bidirectional.weight_hh_l0_reverse", "lstm.weight_ih_l0");
        assertThat(m.weights().get("lstm.weight_ih_l0").shape()).containsExactly(12, 10);
        assertThat(m.summaryString()).contains("(None, None, 10)");
    }

    @Test void recurrentInputDropoutActsOnlyWhileTraining() {
        Task t = Task.make(32, 12);
        Sequential m = new Sequential().add(new Embedding(10, 8)).add(new GRU(6, false, 0.5f)).add(new Dense(2, "softmax")).seed(2);
        m.compile("sgd", "sparse_categorical_crossentropy");
        Tensor before = m.predict(t.x(), 32);
        assertThat(m.predict(t.x(), 32).data).containsExactly(before.data); // no dropout at inference
        m.fit(t.x(), t.y(), Fit.epochs(1).batchSize(8).verbose(false));
        assertThat(m.predict(t.x(), 32).data).isNotEqualTo(before.data);
    }

    @Test void maskedPaddingDoesNotChangeThePrediction() {
        Sequential m = Sequential.withInput(-1).add(new Embedding(10, 4, true)).add(new Bidirectional(new LSTM(6))).add(new Dense(3, "softmax")).buildNow();
        Tensor alone = m.predict(new int[][]{{3, 4, 5}}, 8);
        Tensor padded = m.predict(new int[][]{{3, 4, 5}, {2, 2, 2, 2, 2, 2}}, 8); // row 0 padded to 6 steps
        for (int j = 0; j < 3; j++) assertThat(padded.data[j]).isCloseTo(alone.data[j], within(1e-6f));
    }

    @Test void fitLearnsAndLogsAsKeras() {
        Task train = Task.make(192, 1), val = Task.make(64, 2);
        Sequential m = classifier(3);
        m.compile("adam", "sparse_categorical_crossentropy", "accuracy", "f1");
        m.optimizer().setLearningRate(0.01f);
        var out = new ByteArrayOutputStream();
        History h = m.fit(train.x(), train.y(), Fit.epochs(6).batchSize(16).validationData(Data.of(val.x()), Data.of(val.y())).seed(4).out(sink(out)));
        assertThat(h.history()).containsKeys("loss", "accuracy", "f1", "val_loss", "val_accuracy", "val_f1", "learning_rate");
        assertThat(h.get("loss").get(5)).isLessThan(h.get("loss").get(0));
        assertThat(h.last("val_accuracy")).isGreaterThan(0.8);
        String log = out.toString(StandardCharsets.UTF_8);
        assertThat(log).contains("Epoch 1/6", "Epoch 6/6", "12/12 [==============================]", "ms/step - loss: ", " - val_accuracy: ");
        Map<String, Double> ev = m.evaluate(val.x(), val.y(), 7);
        assertThat(ev.get("accuracy")).isCloseTo(h.last("val_accuracy"), within(1e-9));
        assertThat(ev.get("loss")).isCloseTo(h.last("val_loss"), within(1e-5));
    }

    @Test void sameSeedSameRun() {
        Task t = Task.make(64, 5);
        double[] last = new double[2];
        for (int r = 0; r < 2; r++) {
            Sequential m = classifier(9);
            m.compile("adam", "sparse_categorical_crossentropy");
            last[r] = m.fit(t.x(), t.y(), Fit.epochs(2).batchSize(16).seed(1).verbose(false)).last("loss");
        }
        assertThat(last[0]).isEqualTo(last[1]);
    }

    @Test void functionalEqualsSequential() {
        Input.Node in = Input.shape(-1);
        Input.Node out = new Dense(2, "softmax").apply(new LSTM(12).apply(new Embedding(10, 8, true).apply(in)));
        Model f = new Model(in, out).seed(3);
        Sequential s = classifier(3);
        s.build(-1);
        int[][] x = Task.make(5, 8).x();
        assertThat(f.predict(x, 4).data).containsExactly(s.predict(x, 4).data);
    }

    @Test void saveAndLoadTheWholeModel() throws Exception {
        Task t = Task.make(48, 6);
        Sequential m = new Sequential().add(new Embedding(10, 6, true)).add(new Bidirectional(new SimpleRNN(5, true))).add(new GlobalAveragePooling1D())
                .add(new Dropout(0.1f)).add(new Dense(2, "softmax"));
        m.compile(Optimizer.sgd(0.05f, 0.9f), Loss.SPARSE_CATEGORICAL_CROSSENTROPY, Metric.accuracy(), Metric.sparseTopK(1));
        m.fit(t.x(), t.y(), Fit.epochs(1).batchSize(8).verbose(false));
        m.save(dir.resolve("m"));
        assertThat(dir.resolve("m/model.json")).exists();
        Model back = Model.load(dir.resolve("m"));
        assertThat(back).isInstanceOf(Sequential.class);
        assertThat(back.predict(t.x(), 16).data).containsExactly(m.predict(t.x(), 16).data);
        assertThat(back.evaluate(t.x(), t.y(), 16)).isEqualTo(m.evaluate(t.x(), t.y(), 16));
        assertThat(back.optimizer()).isInstanceOf(Optimizer.SGD.class);
        assertThat(back.summaryString()).isEqualTo(m.summaryString());
    }

    @Test void earlyStoppingRestoresTheBestWeights() {
        Task t = Task.make(64, 7);
        Sequential m = classifier(2);
        m.compile(Optimizer.adam(0.05f), Loss.SPARSE_CATEGORICAL_CROSSENTROPY);
        // "loss" on the training data can only be beaten by minDelta 10 once: stop after epoch 2
        var es = new Callback.EarlyStopping("loss", 1, 10.0, true);
        History h = m.fit(t.x(), t.y(), Fit.epochs(10).batchSize(16).callbacks(es).verbose(false));
        assertThat(h.epochs()).containsExactly(0, 1);
        assertThat(es.bestEpoch()).isEqualTo(0);
        assertThat(es.stoppedEpoch()).isEqualTo(1);
    }

    @Test void checkpointsSchedulesAndLogs() throws Exception {
        Task t = Task.make(48, 9);
        Sequential m = classifier(4);
        m.compile(Optimizer.adamW(0.01f, 0.004f), Loss.SPARSE_CATEGORICAL_CROSSENTROPY, Metric.accuracy());
        Path csv = dir.resolve("log.csv"), jsonl = dir.resolve("log.jsonl");
        History h = m.fit(t.x(), t.y(), Fit.epochs(3).batchSize(16).validationSplit(0.25).verbose(false).callbacks(
                new Callback.LearningRateScheduler((epoch, lr) -> epoch == 0 ? lr : lr / 2),
                new Callback.ModelCheckpoint(dir.resolve("best.safetensors"), "val_loss", true),
                new Callback.ModelCheckpoint(dir.resolve("ep{epoch}"), "val_loss", false),
                new Callback.CSVLogger(csv), new Callback.JsonLogger(jsonl)));
        assertThat(h.get("learning_rate")).hasSize(3);
        double[] lrs = {0.01, 0.005, 0.0025};
        for (int e = 0; e < 3; e++) assertThat(h.get("learning_rate").get(e)).isCloseTo(lrs[e], within(1e-8));
        assertThat(dir.resolve("best.safetensors")).exists();
        assertThat(dir.resolve("ep03/model.safetensors")).exists();
        List<String> rows = Files.readAllLines(csv);
        assertThat(rows).hasSize(4);
        assertThat(rows.get(0)).isEqualTo("epoch,accuracy,learning_rate,loss,val_accuracy,val_loss");
        assertThat(Files.readAllLines(jsonl)).hasSize(3).allMatch(l -> l.startsWith("{\"epoch\":") && l.contains("\"val_loss\":"));
        Model reloaded = Model.load(dir.resolve("ep03"));
        assertThat(reloaded.predict(t.x(), 48).data).containsExactly(m.predict(t.x(), 48).data);
    }

    @Test void reduceLrOnPlateau() {
        Task t = Task.make(32, 10);
        Sequential m = classifier(5);
        m.compile(Optimizer.adam(0.01f), Loss.SPARSE_CATEGORICAL_CROSSENTROPY);
        // a minDelta no epoch after the first can beat: the rate halves after epochs 2 and 4
        History h = m.fit(t.x(), t.y(), Fit.epochs(5).batchSize(16).verbose(false)
                .callbacks(new Callback.ReduceLROnPlateau("loss", 0.5f, 2, 100.0, 0, 0f)));
        assertThat(h.get("learning_rate").get(3)).isCloseTo(0.005, within(1e-8));
        assertThat(m.optimizer().learningRate()).isCloseTo(0.0025f, within(1e-9f));
    }

    @Test void precisionRecallF1AgainstHandCounts() {
        // predicted:  1 1 0 1 0 2 ; truth: 1 0 0 1 1 2
        Tensor y = Tensor.of(new float[]{0, 1, 0, 0, 1, 0, 1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 1}, 6, 3);
        Target t = new Target(new int[]{1, 0, 0, 1, 1, 2}, null);
        double p1 = 2 / 3.0, r1 = 2 / 3.0;
        assertThat(eval(Metric.precision(false), y, t)).isCloseTo(p1, within(1e-12));
        assertThat(eval(Metric.recall(false), y, t)).isCloseTo(r1, within(1e-12));
        double f0 = 2 * 0.5 * 0.5 / 1.0, f1 = 2 * p1 * r1 / (p1 + r1), f2 = 1;
        assertThat(eval(Metric.f1(true), y, t)).isCloseTo((f0 + f1 + f2) / 3, within(1e-12));
        assertThat(eval(Metric.accuracy(), y, t)).isCloseTo(4 / 6.0, within(1e-12));
        assertThat(eval(Metric.sparseTopK(2), Tensor.of(new float[]{0.5f, 0.3f, 0.2f, 0.1f, 0.2f, 0.7f}, 2, 3), new Target(new int[]{1, 0}, null))).isEqualTo(0.5);
    }

    static double eval(Metric m, Tensor y, Target t) {
        m.update(y, t);
        return m.result();
    }

    @Test void regressionWithFloatSequences() {
        // y = mean of the 4 steps of one feature: a SimpleRNN with a linear read-out learns it
        Rng rng = new Rng(3);
        float[][][] x = new float[64][4][1];
        float[][] y = new float[64][1];
        for (int i = 0; i < 64; i++) {
            for (int s = 0; s < 4; s++) {
                x[i][s][0] = rng.nextFloat() * 2 - 1;
                y[i][0] += x[i][s][0] / 4;
            }
        }
        Sequential m = new Sequential().add(new SimpleRNN(8)).add(new Dense(1)).seed(1);
        m.compile(Optimizer.adam(0.01f), Loss.MEAN_SQUARED_ERROR);
        History h = m.fit(x, y, Fit.epochs(15).batchSize(16).verbose(false));
        assertThat(h.last("loss")).isLessThan(h.get("loss").get(0) / 3);
        assertThat(m.predict(x, 64).shape()).containsExactly(64, 1);
    }

    @Test void errorsNameTheProblem() {
        Sequential m = classifier(1);
        assertThatThrownBy(() -> m.fit(new int[][]{{1}}, new int[]{0}, Fit.epochs(1))).hasMessageContaining("compile");
        assertThatThrownBy(() -> Loss.of("hinge")).hasMessageContaining("unknown loss 'hinge'");
        assertThatThrownBy(() -> Sequential.withInput(3, 4).add(new Embedding(5, 2)).buildNow()).hasMessageContaining("Embedding 'embedding': expects input (None, T)");
        m.compile("adam", "mse");
        assertThatThrownBy(() -> m.fit(new int[][]{{1}}, new int[]{0}, Fit.epochs(1).verbose(false))).hasMessageContaining("needs float targets");
    }
}
