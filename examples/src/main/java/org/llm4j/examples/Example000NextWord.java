// Seed example 000: a next-word language model, Embedding → LSTM(return_sequences) → Dense softmax,
// trained with fit and queried with predict, on tiny Shakespeare split into words.
//
// Original (Keras, Python):
//   model = Sequential([Embedding(10000, 128), LSTM(128, return_sequences=True), Dense(10000, activation='softmax')])
//   model.compile(optimizer='adam', loss='sparse_categorical_crossentropy', metrics=['accuracy'])
//   model.fit(x_train, y_train, epochs=10, batch_size=32); model.predict(x_test)
// with a 10,000-word vocabulary and input sequences of 100 words. The original has no data; here
// x is each 100-word window of the corpus and y the same window shifted by one word, so every
// step predicts the word after it. No bug to fix; 10% of the windows are held out to show
// validation loss, and the program prints the five most likely next words for a few prompts.
package org.llm4j.examples;

import static org.llm4j.examples.ExampleSupport.intArg;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.llm4j.keras.Dense;
import org.llm4j.keras.Embedding;
import org.llm4j.keras.Fit;
import org.llm4j.keras.History;
import org.llm4j.keras.LSTM;
import org.llm4j.keras.Sequential;
import org.llm4j.tensor.Tensor;
import org.llm4j.tokenizer.WordTokenizer;

public final class Example000NextWord {
    static final List<String> PROMPTS = List.of("to be or not to", "my lord ,", "i will not", "the king");

    /** The epoch losses and, per prompt, the next words with their probabilities. */
    public record Result(History history, List<String> predictions) {}

    public static void main(String[] argv) throws IOException {
        run(ExampleSupport.args(argv), System.out);
    }

    /** Options: --data DIR, --corpus FILE (under DIR), --vocab, --seq, --embed, --units, --epochs, --batch, --max-sequences (0 = all). */
    public static Result run(Map<String, String> a, PrintStream out) throws IOException {
        Path file = ExampleSupport.dataDir(a).resolve(a.getOrDefault("corpus", "tinyshakespeare/input.txt"));
        int vocab = intArg(a, "vocab", 10_000), seq = intArg(a, "seq", 100), embed = intArg(a, "embed", 128), units = intArg(a, "units", 128);
        int epochs = intArg(a, "epochs", 10), batch = intArg(a, "batch", 32), maxSequences = intArg(a, "max-sequences", 0);

        String text = Files.readString(file);
        WordTokenizer tok = WordTokenizer.fit(List.of(text), WordTokenizer.Options.defaults().withMaxVocab(vocab));
        int[] ids = tok.encode(text);
        int n = (ids.length - 1) / seq;
        if (maxSequences > 0) n = Math.min(n, maxSequences);
        int[][] x = new int[n][], y = new int[n][];
        for (int i = 0; i < n; i++) { // (N, T) windows and the same windows one word later
            x[i] = java.util.Arrays.copyOfRange(ids, i * seq, i * seq + seq);
            y[i] = java.util.Arrays.copyOfRange(ids, i * seq + 1, i * seq + seq + 1);
        }
        out.printf(Locale.ROOT, "%s: %,d words, vocabulary %,d, %,d sequences of %d%n", file.getFileName(), ids.length, tok.vocabSize(), n, seq);

        Sequential model = Sequential.withInput(seq);
        model.add(new Embedding(tok.vocabSize(), embed))
                .add(new LSTM(units, true))
                .add(new Dense(tok.vocabSize(), "softmax"));
        model.compile("adam", "sparse_categorical_crossentropy", "accuracy");
        model.summary(out);
        History h = model.fit(x, y, Fit.epochs(epochs).batchSize(batch).validationSplit(0.1).out(out));

        List<String> predictions = new ArrayList<>();
        for (String prompt : PROMPTS) {
            int[] p = tok.encode(prompt);
            Tensor probs = model.predict(new int[][]{p}, 1); // (1, T, V): the distribution after each prompt word
            int v = probs.dim(2), last = (p.length - 1) * v;
            StringBuilder sb = new StringBuilder("'" + prompt + "' →");
            for (int id : top(probs.data, last, v, 5)) sb.append(String.format(Locale.ROOT, " %s (%.4f)", tok.word(id), probs.data[last + id]));
            predictions.add(sb.toString());
            out.println(sb);
        }
        return new Result(h, predictions);
    }

    static int[] top(float[] p, int off, int v, int k) {
        int[] best = new int[k];
        java.util.Arrays.fill(best, -1);
        for (int j = 0; j < v; j++) {
            for (int r = 0; r < k; r++) {
                if (best[r] < 0 || p[off + j] > p[off + best[r]]) {
                    System.arraycopy(best, r, best, r + 1, k - r - 1);
                    best[r] = j;
                    break;
                }
            }
        }
        return best;
    }
}
