// `llm4j vae train|sample` end to end with a tiny configuration, and its one-line errors.
package org.llm4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.llm4j.util.Progress;

class VaeCommandTest {
    @BeforeAll
    static void quiet() {
        Progress.setEnabled(false);
    }

    @Test
    void trainThenSampleFromTheSavedFolder(@TempDir Path dir) throws Exception {
        String[] subjects = {"the cat", "a dog", "my friend", "the child", "a bird"}, verbs = {"sees", "likes", "finds", "follows"},
                objects = {"the ball", "a red apple", "the old house", "a small boat"};
        List<String> lines = new ArrayList<>(List.of("sentence\tlabel"));
        for (String s : subjects) for (String v : verbs) for (String o : objects) lines.add(s + " " + v + " " + o + " .\t1");
        Path data = dir.resolve("sentences.tsv");
        Files.write(data, lines);
        Path out = dir.resolve("vae");
        CliTest.Run t = CliTest.run("vae", "train", "--data", data.toString(), "--out", out.toString(), "--steps", "6", "--batch-size", "8",
                "--embedding-dim", "8", "--hidden", "12", "--latent", "4", "--kl-warmup", "4", "--valid-sentences", "8", "--samples", "2", "--quiet");
        assertThat(t.code()).as(t.err()).isZero();
        assertThat(t.out()).contains("72 training and 8 validation sentences", "validation (8 sentences", "perplexity",
                "--- reconstructions", "--- samples from the prior (greedy) ---", "--- interpolation", "  1.00  ");
        assertThat(out.resolve("model.safetensors")).exists();
        assertThat(Files.readAllLines(out.resolve("metrics.jsonl"))).hasSize(6).allMatch(l -> l.contains("\"kl\""));

        CliTest.Run s = CliTest.run("vae", "sample", "--model", out.toString(), "--samples", "3", "--temperature", "0.8", "--seed", "4",
                "--reconstruct", "the cat likes the ball .", "--interpolate", "a dog sees a small boat .", "my friend finds the old house .", "--points", "3");
        assertThat(s.code()).as(s.err()).isZero();
        assertThat(s.out()).contains("latent 4", "temperature 0.8", "  → ", "  0.50  ");
        CliTest.Run noUnk = CliTest.run("vae", "sample", "--model", out.toString(), "--samples", "4", "--no-unk", "--interpolate", "a dog zzz .", "the cat qqq .");
        assertThat(noUnk.code()).as(noUnk.err()).isZero();
        assertThat(noUnk.out()).contains("greedy, no <unk>").doesNotContain("→ <unk>");
        assertThat(noUnk.out().lines().filter(l -> l.startsWith("  ")).filter(l -> l.contains("<unk>")).count()).isZero();
        assertThat(CliTest.run("vae", "sample", "--model", out.toString(), "--samples", "3", "--temperature", "0.8", "--seed", "4").out())
                .as("seeded samples repeat").isEqualTo(CliTest.run("vae", "sample", "--model", out.toString(), "--samples", "3", "--temperature", "0.8", "--seed", "4").out());
    }

    @Test
    void trainsOnTheMirroredSst2Sentences(@TempDir Path dir) {
        String mirror = System.getProperty("llm4j.data.mirror", "");
        assumeTrue(!mirror.isBlank() && !mirror.startsWith("${") && Files.isDirectory(Path.of(mirror, "sst2")),
                "set LLM4J_DATA_MIRROR to ../shared/data (bin/test does) for SST-2");
        CliTest.Run t = CliTest.run("vae", "train", "--mirror", mirror, "--out", dir.toString(), "--steps", "2", "--batch-size", "4",
                "--embedding-dim", "8", "--hidden", "8", "--latent", "2", "--max-vocab", "300", "--valid-sentences", "16", "--samples", "1", "--quiet");
        assertThat(t.code()).as(t.err()).isZero();
        assertThat(t.out()).contains("sst2/train_part.tsv", "vocabulary 300 words", "validation (");
    }

    @Test
    void badInputGetsOneLineAndExitCode2(@TempDir Path dir) {
        CliTest.Run missing = CliTest.run("vae", "train", "--data", dir.resolve("nope.txt").toString(), "--out", dir.toString());
        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.err()).contains("nope.txt: no such file").hasLineCount(1);
        CliTest.Run schedule = CliTest.run("vae", "train", "--data", dir.toString(), "--kl-schedule", "cosine");
        assertThat(schedule.code()).isEqualTo(2);
        assertThat(schedule.err()).contains("linear, logistic or constant").hasLineCount(1);
        CliTest.Run model = CliTest.run("vae", "sample", "--model", dir.resolve("none").toString());
        assertThat(model.code()).isEqualTo(2);
        assertThat(model.err()).contains("missing config.json").hasLineCount(1);
        CliTest.Run temp = CliTest.run("vae", "sample", "--model", dir.toString(), "--temperature", "-1");
        assertThat(temp.code()).isEqualTo(2);
        assertThat(temp.err()).contains("--temperature").hasLineCount(1);
    }
}
