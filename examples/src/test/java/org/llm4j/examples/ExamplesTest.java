// Each seed example runs a short version of itself; the assertions read what it printed.
package org.llm4j.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ExamplesTest {
    final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);

    /** 000 and 002 read corpora: skipped, as the other corpus tests, where no mirror is found. */
    static void needData() {
        boolean found;
        try {
            found = ExampleSupport.dataDir(Map.of()) != null;
        } catch (IllegalArgumentException e) {
            found = false;
        }
        assumeTrue(found, "no corpus folder (LLM4J_DATA_MIRROR or ../shared/data)");
    }

    String printed() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test void nextWord000() throws Exception {
        needData();
        var r = Example000NextWord.run(Map.of("vocab", "300", "seq", "20", "embed", "16", "units", "16", "epochs", "2", "batch", "8", "max-sequences", "80"), out);
        String s = printed();
        assertThat(s).contains("input.txt:", "vocabulary 300", "80 sequences of 20", "embedding (Embedding)", "(None, 20, 300)", "Epoch 2/2", "val_accuracy: ");
        for (String p : Example000NextWord.PROMPTS) assertThat(s).contains("'" + p + "' →");
        // below the uniform guess ln 300 = 5.70 after two short epochs
        assertThat(r.history().last("val_loss")).isLessThan(Math.log(300));
        assertThat(r.history().get("loss").get(1)).isLessThan(r.history().get("loss").get(0));
    }

    @Test void sentimentLstm002() throws Exception {
        needData();
        var r = Example002SentimentLstm.run(Map.of("epochs", "1", "limit", "600", "val", "300", "test", "200", "embed", "16", "units", "16", "batch", "16"), out);
        String s = printed();
        assertThat(s).contains("SST-2: 600 training, 300 validation, 200 test sentences", "lstm (LSTM)", "Epoch 1/1", "Test accuracy: ");
        assertThat(r.history().last("val_loss")).as("held-out loss falls in one epoch").isLessThan(r.lossBefore());
        assertThat(r.test().get("accuracy")).isBetween(0.0, 1.0);
    }

    @Test void gpt2Generate001MatchesThePyTorchReference(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        // A GPT-2-shaped folder rebuilt from tools/pytorch/quick_brown_fox.py's formula, with GPT-2's tokenizer.
        var folder = org.llm4j.format.FormulaGpt2.writeFolder(dir.resolve("gpt2"), org.llm4j.kernels.DType.F32);
        var fx = org.llm4j.format.FormulaGpt2.fixture();
        var r = Example001Gpt2Generate.generate(folder.toString(), "The quick brown fox");
        int[] expected = java.util.stream.IntStream.concat(java.util.Arrays.stream(org.llm4j.format.FormulaGpt2.ints(fx.get("prompt_ids"))),
                java.util.Arrays.stream(org.llm4j.format.FormulaGpt2.ints(fx.get("greedy_ids")))).toArray();
        assertThat(r.ids()).as("max_length=50 greedy tokens, as the PyTorch reference").containsExactly(expected);
        assertThat(r.ids()).hasSize(50);
        assertThat(r.text()).startsWith("The quick brown fox");
    }

    @Test void sentenceVae004() throws Exception {
        needData();
        java.nio.file.Path corpus = ExampleSupport.dataDir(Map.of()).resolve("sst2").resolve("train_part.tsv");
        Example004SentenceVae.run(corpus, 3, 300, 8, 8, out);
        assertThat(printed()).contains("validation:", "interpolation");
    }

    @Test void sineRnn003() {
        var r = Example003SineRnn.run(Map.of("steps", "300", "lr", "50"), out);
        String s = printed();
        assertThat(s).contains("simple_rnn (SimpleRNN)", "(None, 10)", "step  100: mse ", "step  300: mse ", "test mse ");
        assertThat(r.losses()).hasSize(3);
        assertThat(r.losses().get(2)).isLessThan(r.losses().get(0));
        assertThat(r.testMse()).isLessThan(0.2); // the wave's variance is 0.5: the model tracks it
    }
}
