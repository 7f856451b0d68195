// The real trained char-LSTM of ../shared/data/charlstm-shakespeare scores PyTorch's reference NLL.
package org.llm4j.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.llm4j.tensor.F;
import org.llm4j.tensor.Grad;

class PyTorchLstmTest {
    static Path mirror() {
        String m = System.getProperty("llm4j.data.mirror", "");
        assumeTrue(!m.isBlank() && !m.startsWith("${") && Files.isDirectory(Path.of(m)), "set LLM4J_DATA_MIRROR to ../shared/data (bin/test does)");
        return Path.of(m);
    }

    @Test
    void realCharLstmScoresTheReferenceNll() throws Exception {
        Path dir = mirror().resolve("charlstm-shakespeare");
        ModelFiles.Loaded m = PyTorchLstm.load(dir.resolve("model.safetensors"), dir.resolve("vocab.json"));
        double ref = new ObjectMapper().readTree(dir.resolve("reference.json").toFile()).get("mean_nll_nats_per_char").asDouble();
        int n = 2000;
        int[] ids = m.tokenizer().encode(Files.readString(mirror().resolve("tinyshakespeare/input.txt")).substring(0, n + 1));
        int[] x = Arrays.copyOfRange(ids, 0, n), y = Arrays.copyOfRange(ids, 1, n + 1); // each of the 2,000 characters predicts the next
        double nll;
        try (var g = Grad.off()) {
            nll = F.crossEntropy(m.model().forward(x, 1, n), y, -1).item();
        }
        System.out.printf("char-LSTM import: mean NLL %.5f nats/char over %d characters (PyTorch %.5f)%n", nll, n, ref);
        assertThat(nll).as("mean NLL over %d characters, reference %.4f", n, ref).isCloseTo(ref, org.assertj.core.data.Offset.offset(0.001));
    }

    @Test
    void badVocabulariesAreNamed(@TempDir Path tmp) throws Exception {
        Path v = tmp.resolve("vocab.json");
        Files.writeString(v, "{\"a\": 0, \"b\": 0}");
        assertThatThrownBy(() -> PyTorchLstm.vocabulary(v, 2)).hasMessageContaining("vocab.json").hasMessageContaining("twice");
        Files.writeString(v, "{\"a\": 0, \"b\": 5}");
        assertThatThrownBy(() -> PyTorchLstm.vocabulary(v, 2)).hasMessageContaining("outside");
        Files.writeString(v, "{\"ab\": 0}");
        assertThatThrownBy(() -> PyTorchLstm.vocabulary(v, 1)).hasMessageContaining("not one character");
    }
}
