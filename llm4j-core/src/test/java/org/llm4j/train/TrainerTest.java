// The training loop: it learns, it resumes exactly, and its checkpoints survive a crash mid-write.
package org.llm4j.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.llm4j.format.ModelFiles;
import org.llm4j.model.GPTConfig;
import org.llm4j.model.LanguageModel;
import org.llm4j.model.LstmConfig;
import org.llm4j.model.ModelConfig;
import org.llm4j.tokenizer.CharTokenizer;
import org.llm4j.util.Progress;

class TrainerTest {
    static final String TEXT = "the quick brown fox jumps over the lazy dog. ".repeat(60);

    static TrainConfig config(Path out, int iters) {
        return new TrainConfig(4, 16, iters, 3e-3f, 3e-4f, 2, iters, 0.1f, 0.9f, 0.99f, 1f, 5, 2, 1, 7, out);
    }

    static List<Float> run(ModelConfig mc, CharTokenizer tok, TrainConfig tc, boolean resume) throws Exception {
        Progress.setEnabled(false);
        TokenData data = TokenData.split(tok.encode(TEXT), 0.1);
        List<Float> losses = new ArrayList<>();
        LanguageModel m = mc.build(tc.seed());
        Trainer.fit(m, tok, data, tc, resume, new TrainListener() {
            @Override public void onStep(int iter, float loss, float lr, double gradNorm, double tps) { losses.add(loss); }
        });
        return losses;
    }

    @Test
    void gptLearnsARepetitiveText(@TempDir Path dir) throws Exception {
        CharTokenizer tok = CharTokenizer.fit(TEXT);
        GPTConfig mc = new GPTConfig(tok.vocabSize(), 16, 2, 2, 32, 0f, 1e-5f);
        Progress.setEnabled(false);
        TokenData data = TokenData.split(tok.encode(TEXT), 0.1);
        LanguageModel m = mc.build(1);
        Trainer.Result r = Trainer.fit(m, tok, data, config(dir, 60), false);
        assertThat(r.valLoss()).as("validation loss after 60 steps (uniform is ln %d = %.2f)", tok.vocabSize(), Math.log(tok.vocabSize()))
                .isLessThan(2.0);
        assertThat(r.stepLosses().get(59)).isLessThan(r.stepLosses().get(0) / 2);
        assertThat(dir.resolve("metrics.jsonl")).isNotEmptyFile();
        assertThat(Files.readAllBytes(dir.resolve("loss.png"))).startsWith((byte) 0x89, (byte) 'P', (byte) 'N', (byte) 'G');
        ModelFiles.Loaded back = ModelFiles.load(dir.resolve("model"));
        assertThat(back.model().config()).isEqualTo(mc);
        assertThat(back.model().parameters().get("transformer.wte.weight").floats()).containsExactly(m.parameters().get("transformer.wte.weight").data);
    }

    @Test
    void resumeReproducesTheUninterruptedRunExactly(@TempDir Path dir) throws Exception {
        CharTokenizer tok = CharTokenizer.fit(TEXT);
        // dropout on, so the dropout generator's state must be restored too
        for (ModelConfig mc : List.of(new GPTConfig(tok.vocabSize(), 16, 2, 2, 16, 0.1f, 1e-5f), new LstmConfig(tok.vocabSize(), 8, 16, 2, 0.1f))) {
            Path full = dir.resolve("full-" + mc.getClass().getSimpleName()), part = dir.resolve("part-" + mc.getClass().getSimpleName());
            List<Float> uninterrupted = run(mc, tok, config(full, 20), false);
            List<Float> first = run(mc, tok, config(part, 20).withMaxIters(10).withDecayIters(20), false);
            List<Float> rest = run(mc, tok, config(part, 20), true);
            assertThat(first).hasSize(10);
            assertThat(rest).hasSize(10);
            List<Float> joined = new ArrayList<>(first);
            joined.addAll(rest);
            assertThat(joined).as(mc.getClass().getSimpleName()).containsExactlyElementsOf(uninterrupted);
            assertThat(Files.readAllLines(part.resolve("metrics.jsonl")).stream().filter(l -> l.contains("\"loss\"")).count()).isEqualTo(20);
        }
    }

    @Test
    void tooLittleTextOrAFinishedRunAreClearErrors(@TempDir Path dir) throws Exception {
        CharTokenizer tok = CharTokenizer.fit(TEXT);
        GPTConfig mc = new GPTConfig(tok.vocabSize(), 16, 1, 1, 8, 0f, 1e-5f);
        Progress.setEnabled(false);
        TokenData tiny = TokenData.split(tok.encode("the quick brown fox jumps over the lazy dog"), 0.1);
        assertThatThrownBy(() -> Trainer.fit(mc.build(1), tok, tiny, config(dir, 5), false))
                .hasMessageContaining("validation split has").hasMessageContaining("block size 16");
        run(mc, tok, config(dir, 5), false);
        assertThatThrownBy(() -> run(mc, tok, config(dir, 5), true)).hasMessageContaining("already at step 5");
    }

    @Test
    void resumeWithoutACheckpointIsAClearError(@TempDir Path dir) {
        CharTokenizer tok = CharTokenizer.fit(TEXT);
        assertThatThrownBy(() -> run(new GPTConfig(tok.vocabSize(), 16, 1, 1, 8, 0f, 1e-5f), tok, config(dir, 5), true))
                .hasMessageContaining("no checkpoint at").hasMessageContaining(dir.toString());
    }
}
