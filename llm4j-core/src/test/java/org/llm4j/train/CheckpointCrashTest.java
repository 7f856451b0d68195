// A process killed (SIGKILL) while writing checkpoints leaves the last complete checkpoint readable.
package org.llm4j.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.llm4j.model.GPTConfig;
import org.llm4j.model.LanguageModel;
import org.llm4j.optim.AdamW;
import org.llm4j.tensor.Tensor;

class CheckpointCrashTest {

    /** The child process: writes checkpoint after checkpoint, every value of generation i equal to i. */
    public static void main(String[] args) throws Exception {
        Path file = Path.of(args[0]);
        LanguageModel m = new GPTConfig(1000, 64, 4, 4, 256, 0f, 1e-5f).build(1); // ~3.4M parameters, ~40 MB per checkpoint
        var decays = new java.util.LinkedHashMap<String, Boolean>();
        m.parameters().keySet().forEach(k -> decays.put(k, true));
        AdamW opt = new AdamW(m.parameters(), decays, 0.9f, 0.99f, 1e-8f, 0f);
        for (int i = 1; ; i++) {
            for (Tensor p : m.parameters().values()) java.util.Arrays.fill(p.data, i);
            Checkpoint.save(file, m, opt, null, new Checkpoint.State(i, i, i, i, i));
            System.out.println("saved " + i);
        }
    }

    @Test
    void killedMidWriteLeavesThePreviousCheckpointIntact(@TempDir Path dir) throws Exception {
        Path file = dir.resolve(Checkpoint.FILE);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        for (int round = 0; round < 3; round++) {
            List<String> cmd = new ArrayList<>(List.of(java, "--add-modules", "jdk.incubator.vector", "-Xmx1g",
                    "-cp", System.getProperty("java.class.path"), CheckpointCrashTest.class.getName(), file.toString()));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("child.log").toFile()).start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            // wait until at least two checkpoints are complete, then kill at a moment that varies by round
            while (System.nanoTime() < deadline && Files.readString(dir.resolve("child.log")).split("saved").length < 3 + round) Thread.sleep(20);
            Thread.sleep(37L * round + 11);
            p.destroyForcibly();
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            Checkpoint.Loaded ck = Checkpoint.load(file);
            int gen = ck.state().iter();
            assertThat(gen).isPositive();
            for (var e : ck.model().entrySet()) {
                float[] d = e.getValue().data;
                assertThat(d[0]).as(e.getKey()).isEqualTo((float) gen);
                assertThat(d[d.length - 1]).as(e.getKey()).isEqualTo((float) gen);
            }
        }
    }
}
