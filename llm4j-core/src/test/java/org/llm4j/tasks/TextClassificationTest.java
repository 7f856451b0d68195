// The SST-2 classifier and its bag-of-words baseline, tiny: a few hundred sentences, one epoch.
package org.llm4j.tasks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TextClassificationTest {
    @TempDir Path tmp;

    static Path sst2() {
        String m = System.getProperty("llm4j.data.mirror", "");
        Path p = m.isBlank() ? null : Path.of(m, "sst2");
        assumeTrue(p != null && Files.isDirectory(p), "SST-2 mirror not available (LLM4J_DATA_MIRROR)");
        return p;
    }

    @Test void tinyLstmLearnsAndBagOfWordsBeatsChanceOnAHeldOutSlice() throws Exception {
        Path dir = sst2();
        var train = TextClassification.readTsv(dir.resolve("train_part.tsv")).head(800);
        var heldout = TextClassification.readTsv(dir.resolve("train_heldout.tsv")).head(300);
        var dev = TextClassification.readTsv(dir.resolve("glue_dev.tsv")).head(300);
        var out = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        var lstm = TextClassification.run(new TextClassification.Config("lstm", 4000, 16, 16, true, 0f, 1, 0, 16, 1e-2f, 1, 0), train, heldout, dev, out);
        var bow = TextClassification.run(new TextClassification.Config("bow", 4000, 1, 1, false, 0f, 1, 0, 16, 2e-2f, 1, 0), train, heldout, dev, out);
        // 50 steps are too few for the LSTM to pass the majority class (57% of the held-out slice
        // is positive), but its held-out loss must fall; the bag of words must beat the majority.
        assertThat(lstm.heldoutLoss()).as(lstm.line()).isLessThan(lstm.heldoutLossBefore());
        assertThat(bow.heldoutAccuracy()).as(bow.line()).isGreaterThan(0.6);
        assertThat(lstm.accuracy()).isBetween(0.0, 1.0);
        assertThat(lstm.f1()).isBetween(0.0, 1.0);
        assertThat(lstm.line()).contains("lstm: ", "report set accuracy");
    }

    @Test void badFilesAreNamed() throws Exception {
        Path f = tmp.resolve("x.tsv");
        Files.writeString(f, "sentence\tlabel\ngood film\tpositive\n");
        assertThatThrownBy(() -> TextClassification.readTsv(f)).hasMessageContaining("x.tsv:2: label 'positive' is not an integer");
        Files.writeString(f, "sentence\tlabel\nno tab here\n");
        assertThatThrownBy(() -> TextClassification.readTsv(f)).hasMessageContaining("x.tsv:2: no tab");
    }
}
