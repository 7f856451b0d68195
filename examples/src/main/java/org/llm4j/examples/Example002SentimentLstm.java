// Seed example 002: an LSTM sequence classifier, Embedding → LSTM(50) → Dense softmax, with fit on
// validation data and evaluate, on SST-2 movie-review sentences (positive or negative).
//
// Original (Keras, Python): loads MNIST, then
//   Sequential([Embedding(input_dim=10, output_dim=5), LSTM(50), Dense(10, activation='softmax')])
//   compile(optimizer='adam', loss='sparse_categorical_crossentropy', metrics=['accuracy'])
//   fit(x_train, y_train, epochs=10, validation_data=(x_test, y_test)); evaluate(x_test, y_test)
// Bug fixed: pixel intensities scaled to [0, 1] are not embedding indices (every pixel becomes id 0),
// so the model could not learn. The evident intent, which the text names, is text classification:
// here the inputs are word ids of real sentences (a 10,000-word vocabulary fitted on the training
// part), the output has the 2 sentiment classes, validation is SST-2's held-out training slice and
// evaluate runs on the GLUE dev set. Padding id 0 is masked (mask_zero), as a Keras text model would.
package org.llm4j.examples;

import static org.llm4j.examples.ExampleSupport.intArg;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import org.llm4j.keras.Dense;
import org.llm4j.keras.Embedding;
import org.llm4j.keras.Fit;
import org.llm4j.keras.History;
import org.llm4j.keras.LSTM;
import org.llm4j.keras.Sequential;
import org.llm4j.tasks.TextClassification;
import org.llm4j.tasks.TextClassification.Examples;
import org.llm4j.tokenizer.WordTokenizer;

public final class Example002SentimentLstm {
    /** The loss on the validation sentences before and after training, and evaluate's figures on the test set. */
    public record Result(double lossBefore, History history, Map<String, Double> test) {}

    public static void main(String[] argv) throws IOException {
        run(ExampleSupport.args(argv), System.out);
    }

    /** Options: --data DIR, --epochs (10), --embed (32), --units (50), --batch (32), --limit N training sentences (0 = all), --val N, --test N (0 = all). */
    public static Result run(Map<String, String> a, PrintStream out) throws IOException {
        Path dir = ExampleSupport.dataDir(a).resolve("sst2");
        int epochs = intArg(a, "epochs", 10), embed = intArg(a, "embed", 32), units = intArg(a, "units", 50), batch = intArg(a, "batch", 32);
        Examples train = TextClassification.readTsv(dir.resolve("train_part.tsv"));
        Examples val = TextClassification.readTsv(dir.resolve("train_heldout.tsv"));
        Examples test = TextClassification.readTsv(dir.resolve("glue_dev.tsv"));
        if (intArg(a, "limit", 0) > 0) train = train.head(intArg(a, "limit", 0));
        if (intArg(a, "val", 0) > 0) val = val.head(intArg(a, "val", 0));
        if (intArg(a, "test", 0) > 0) test = test.head(intArg(a, "test", 0));

        WordTokenizer tok = WordTokenizer.fit(train.texts(), WordTokenizer.Options.defaults().withMaxVocab(10_000));
        int[][] xTrain = TextClassification.encode(tok, train.texts()), xVal = TextClassification.encode(tok, val.texts()), xTest = TextClassification.encode(tok, test.texts());
        out.printf(Locale.ROOT, "SST-2: %,d training, %,d validation, %,d test sentences; vocabulary %,d%n", train.size(), val.size(), test.size(), tok.vocabSize());

        Sequential model = Sequential.withInput(-1);
        model.add(new Embedding(tok.vocabSize(), embed, true))
                .add(new LSTM(units))
                .add(new Dense(2, "softmax"));
        model.compile("adam", "sparse_categorical_crossentropy", "accuracy");
        model.summary(out);
        double before = model.evaluate(xVal, val.labels(), 256).get("loss");
        History h = model.fit(org.llm4j.keras.Data.of(xTrain), org.llm4j.keras.Data.of(train.labels()),
                Fit.epochs(epochs).batchSize(batch).validationData(org.llm4j.keras.Data.of(xVal), org.llm4j.keras.Data.of(val.labels())).out(out));
        Map<String, Double> r = model.evaluate(xTest, test.labels(), 256);
        out.printf(Locale.ROOT, "validation loss before training %.4f, after %.4f%n", before, h.last("val_loss"));
        out.printf(Locale.ROOT, "Test loss: %.4f - Test accuracy: %.4f%n", r.get("loss"), r.get("accuracy"));
        return new Result(before, h, r);
    }
}
