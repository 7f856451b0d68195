// Seed example 003: a basic RNN cell, h_t = tanh(W x_t + U h_t-1 + b), with a linear read-out,
// trained with mean squared error and Adam for 1,000 steps to predict the next value of a noisy sine wave.
//
// Original (TensorFlow 1, Python):
//   cell = tf.nn.rnn_cell.BasicRNNCell(10); outputs, state = tf.nn.dynamic_rnn(cell, x, dtype=tf.float32)
//   loss = tf.losses.mean_squared_error(y, outputs); train = tf.train.AdamOptimizer().minimize(loss)
//   1,000 steps of sess.run(train) on x of shape (batch, 10) and y of shape (batch, 1).
// Bug fixed: dynamic_rnn needs (batch, time, features), and the 10-unit state needs a projection
// to the single target value; the shapes of the original do not line up. Here x is (batch, 10, 1),
// ten past values of the wave, SimpleRNN(10) is the BasicRNNCell, and Dense(1) reads the last
// state out. Adam keeps TensorFlow 1's default learning rate 0.001 unless --lr is given.
package org.llm4j.examples;

import static org.llm4j.examples.ExampleSupport.intArg;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.llm4j.keras.Callback;
import org.llm4j.keras.Dense;
import org.llm4j.keras.Fit;
import org.llm4j.keras.Loss;
import org.llm4j.keras.Optimizer;
import org.llm4j.keras.Sequential;
import org.llm4j.keras.SimpleRNN;
import org.llm4j.tensor.Rng;

public final class Example003SineRnn {
    /** The running training loss every 100 steps, and the test MSE beside the naive "repeat the last value" forecast. */
    public record Result(List<Double> losses, double testMse, double persistenceMse) {}

    public static void main(String[] argv) {
        run(ExampleSupport.args(argv), System.out);
    }

    /** Options: --steps (1000; a multiple of 100), --batch (32), --window (10), --units (10), --lr in units of 1e-4 (10 = 0.001), --seed. */
    public static Result run(Map<String, String> a, PrintStream out) {
        int steps = intArg(a, "steps", 1000), batch = intArg(a, "batch", 32), window = intArg(a, "window", 10), units = intArg(a, "units", 10);
        float lr = intArg(a, "lr", 10) * 1e-4f;
        long seed = intArg(a, "seed", 1);
        // The series: sin(0.1·t) plus Gaussian noise of σ 0.1; an epoch is 100 batches of windows,
        // so steps/100 epochs give the original's step count.
        int perEpoch = Math.min(100, steps), epochs = Math.max(1, steps / perEpoch), n = perEpoch * batch;
        Rng rng = new Rng(seed);
        float[] wave = new float[n + 200 + window + 1];
        for (int t = 0; t < wave.length; t++) wave[t] = (float) (Math.sin(0.1 * t) + 0.1 * rng.nextGaussian());
        float[][][] x = new float[n][window][1];
        float[][] y = new float[n][1];
        for (int i = 0; i < n; i++) {
            for (int s = 0; s < window; s++) x[i][s][0] = wave[i + s];
            y[i][0] = wave[i + window];
        }
        int m = 200; // test windows come after every training value
        float[][][] xt = new float[m][window][1];
        float[][] yt = new float[m][1];
        double persistence = 0;
        for (int i = 0; i < m; i++) {
            for (int s = 0; s < window; s++) xt[i][s][0] = wave[n + i + s];
            yt[i][0] = wave[n + i + window];
            double d = yt[i][0] - xt[i][window - 1][0];
            persistence += d * d / m;
        }

        Sequential model = Sequential.withInput(window, 1);
        model.add(new SimpleRNN(units)).add(new Dense(1));
        model.seed(seed);
        model.compile(Optimizer.adam(lr), Loss.MEAN_SQUARED_ERROR);
        model.summary(out);
        List<Double> losses = new ArrayList<>();
        Callback print = new Callback() {
            @Override public void onEpochEnd(int epoch, Map<String, Double> logs) {
                losses.add(logs.get("loss"));
                out.printf(Locale.ROOT, "step %4d: mse %.5f (mean of the last %d steps)%n", (epoch + 1) * perEpoch, logs.get("loss"), perEpoch);
            }
        };
        model.fit(org.llm4j.keras.Data.of(x), org.llm4j.keras.Data.of(y),
                Fit.epochs(epochs).batchSize(batch).seed(seed).verbose(false).callbacks(print));
        double test = model.evaluate(org.llm4j.keras.Data.of(xt), org.llm4j.keras.Data.of(yt), 200).get("loss");
        out.printf(Locale.ROOT, "test mse %.5f (repeating the last value: %.5f; the noise alone: %.5f)%n", test, persistence, 0.01);
        return new Result(losses, test, persistence);
    }
}
