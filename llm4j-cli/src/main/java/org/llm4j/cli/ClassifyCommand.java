// `llm4j classify train`: a sentence classifier (Embedding → BiLSTM → softmax, or bag-of-words logistic regression) on SST-2-style TSV files.
package org.llm4j.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.llm4j.tasks.TextClassification;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "classify", mixinStandardHelpOptions = true, subcommands = {ClassifyCommand.Train.class},
        description = "Sentence classification with the Keras-style API.")
public class ClassifyCommand implements Runnable {
    @Spec CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Fit a word tokenizer and a classifier on DIR/train_part.tsv, keep the epoch with the best accuracy on DIR/train_heldout.tsv,",
                    "and report accuracy and F1 on DIR/glue_dev.tsv (TSV: sentence<TAB>label, with a header)."})
    static class Train implements Callable<Integer> {
        @Spec CommandSpec spec;
        @Mixin Common.DataOptions data = new Common.DataOptions();

        @Option(names = "--data", required = true, paramLabel = "DIR|NAME", description = "A folder with the three TSV files, or a corpus name under the mirror (sst2).")
        String dataDir;
        @Option(names = "--model", defaultValue = "lstm", description = "lstm (Embedding → LSTM → Dense softmax) or bow (bag-of-words logistic regression). Default: ${DEFAULT-VALUE}.")
        String model;
        @Option(names = "--vocab", description = "Tokenizer vocabulary size, <pad> and <unk> included (default 16000).")
        Integer vocab;
        @Option(names = "--embed", description = "Embedding width (lstm; default 64).")
        Integer embed;
        @Option(names = "--units", description = "LSTM units per direction (lstm; default 64).")
        Integer units;
        @Option(names = "--bidirectional", negatable = true, description = "Bidirectional LSTM (lstm; default on).")
        Boolean bidirectional;
        @Option(names = "--dropout", description = "Dropout before the softmax layer (lstm; default 0.3).")
        Float dropout;
        @Option(names = "--epochs", description = "At most this many epochs (default: lstm 4, bow 12).")
        Integer epochs;
        @Option(names = "--patience", description = "Epochs without held-out improvement before stopping (default: lstm 1, bow 2).")
        Integer patience;
        @Option(names = "--batch-size", description = "Sentences per step (default 64).")
        Integer batch;
        @Option(names = "--lr", description = "Adam learning rate (default: lstm 0.002, bow 0.005).")
        Float lr;
        @Option(names = "--seed", description = "Seed of initialisation, shuffling and dropout (default 1).")
        Long seed;
        @Option(names = "--limit", description = "Train on the first N sentences only (0 = all; default 0).")
        Integer limit;

        @Override
        public Integer call() throws Exception {
            Path dir = Path.of(dataDir);
            if (!Files.isDirectory(dir)) {
                Path m = data.store().mirror().map(p -> p.resolve(dataDir)).orElse(null);
                if (m == null || !Files.isDirectory(m)) {
                    throw new IllegalArgumentException("--data: " + dataDir + " is not a folder" + (m == null ? " and no mirror is set (--mirror or $LLM4J_DATA_MIRROR)" : " nor is " + m));
                }
                dir = m;
            }
            TextClassification.Config d = model.equals("bow") ? TextClassification.Config.bow() : TextClassification.Config.lstm();
            var c = new TextClassification.Config(model, or(vocab, d.maxVocab()), or(embed, d.embed()), or(units, d.units()),
                    bidirectional == null ? d.bidirectional() : bidirectional, or(dropout, d.dropout()), or(epochs, d.epochs()),
                    or(patience, d.patience()), or(batch, d.batchSize()), or(lr, d.learningRate()), seed == null ? d.seed() : seed, or(limit, d.limit()));
            var w = spec.commandLine().getOut();
            w.println("classify: " + c);
            w.flush();
            PrintStream out = lines(w);
            TextClassification.Result r = TextClassification.runSst2(dir, c, out);
            out.flush();
            w.println(r.line());
            w.flush();
            return 0;
        }

        // The progress lines of fit (a PrintStream) into the command's writer, decoded at each flush.
        static PrintStream lines(PrintWriter w) {
            return new PrintStream(new ByteArrayOutputStream() {
                @Override public synchronized void flush() {
                    w.print(toString(StandardCharsets.UTF_8));
                    w.flush();
                    reset();
                }
            }, true, StandardCharsets.UTF_8);
        }

        private static <T> T or(T v, T d) {
            return v == null ? d : v;
        }
    }
}
