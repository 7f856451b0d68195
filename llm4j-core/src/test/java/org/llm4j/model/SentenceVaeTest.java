// Sentence VAE: names, loss terms, KL annealing, learning a tiny corpus, decoding, interpolation, save and load.
package org.llm4j.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.llm4j.tensor.Rng;
import org.llm4j.tokenizer.WordTokenizer;
import org.llm4j.train.KlAnnealing;
import org.llm4j.train.VaeTrainer;

class SentenceVaeTest {
    static final List<String> CORPUS = List.of(
            "the cat sat on the mat", "a dog ran in the park", "the bird sang a song",
            "my friend reads a book", "the sun is warm today", "we eat bread and cheese",
            "a fish swims in the lake", "the child plays with a ball");

    @Test
    void parameterNamesAndLossTerms() {
        SentenceVae vae = new SentenceVae(new SentenceVaeConfig(10, 4, 5, 3, false, 0.25f), 1);
        assertThat(vae.parameters().keySet()).containsExactly(
                "embedding.weight", "encoder.weight_ih_l0", "encoder.weight_hh_l0", "encoder.bias_ih_l0", "encoder.bias_hh_l0",
                "hidden_to_mean.weight", "hidden_to_mean.bias", "hidden_to_logvar.weight", "hidden_to_logvar.bias",
                "latent_to_hidden.weight", "latent_to_hidden.bias",
                "decoder.weight_ih_l0", "decoder.weight_hh_l0", "decoder.bias_ih_l0", "decoder.bias_hh_l0", "head.weight", "head.bias");
        assertThat(vae.parameters().get("decoder.weight_ih_l0").shape()).containsExactly(4 * 5, 4 + 3);
        List<int[]> batch = List.of(new int[]{2, 3, 4, 5}, new int[]{7}, new int[]{6, 6});
        SentenceVae.Losses l = vae.forward(batch, 0.5f, true, new Rng(1));
        assertThat(l.tokens()).isEqualTo(4 + 1 + 1 + 1 + 2 + 1); // words and </s>
        assertThat(l.kl()).isPositive();
        // Untrained, each of the 7 predicted tokens costs about ln V nats.
        assertThat(l.reconstruction() / (l.tokens() / 3.0)).isBetween(0.5 * Math.log(10), 2 * Math.log(10));
        assertThat((double) l.loss().item()).isCloseTo(l.reconstruction() + 0.5 * l.kl(), org.assertj.core.data.Offset.offset(1e-4));
        assertThatThrownBy(() -> vae.forward(List.of(new int[]{8}), 1f, true, new Rng(1))).hasMessageContaining("token id 8");
        assertThatThrownBy(() -> vae.forward(List.of(new int[0]), 1f, true, new Rng(1))).hasMessageContaining("no tokens");
    }

    @Test
    void klAnnealingSchedules() {
        KlAnnealing lin = new KlAnnealing(KlAnnealing.Kind.LINEAR, 100, 1f);
        assertThat(lin.beta(0)).isZero();
        assertThat(lin.beta(50)).isEqualTo(0.5f);
        assertThat(lin.beta(500)).isEqualTo(1f);
        KlAnnealing log = new KlAnnealing(KlAnnealing.Kind.LOGISTIC, 100, 0.8f);
        assertThat(log.beta(0)).isLessThan(0.01f);
        assertThat(log.beta(50)).isCloseTo(0.4f, org.assertj.core.data.Offset.offset(1e-6f));
        assertThat(log.beta(100)).isGreaterThan(0.79f);
        assertThat(new KlAnnealing(KlAnnealing.Kind.CONSTANT, 0, 0.3f).beta(0)).isEqualTo(0.3f);
        assertThatThrownBy(() -> KlAnnealing.parseKind("cosine")).hasMessageContaining("linear, logistic or constant");
        assertThatThrownBy(() -> new KlAnnealing(KlAnnealing.Kind.LINEAR, 0, 1f)).hasMessageContaining("warmup");
    }

    @Test
    void learnsATinyCorpusDecodesInterpolatesAndSurvivesSaveAndLoad(@TempDir Path dir) throws Exception {
        WordTokenizer tok = WordTokenizer.fit(CORPUS, WordTokenizer.Options.defaults());
        List<int[]> data = VaeTrainer.encode(tok, CORPUS, 1, 20);
        SentenceVae vae = new SentenceVae(new SentenceVaeConfig(tok.vocabSize() + 2, 16, 32, 8, false, 0.6f), 7);
        var cfg = new VaeTrainer.Config(200, 8, 0.01f, 5.0, new KlAnnealing(KlAnnealing.Kind.LINEAR, 150, 1f), 3);
        VaeTrainer.Evaluation before = VaeTrainer.evaluate(vae, data, 4, 1);
        List<VaeTrainer.Step> steps = VaeTrainer.fit(vae, data, cfg, null);
        assertThat(steps).hasSize(200);
        assertThat(steps.get(160).beta()).isEqualTo(1f);
        VaeTrainer.Evaluation after = VaeTrainer.evaluate(vae, data, 4, 1);
        System.out.printf("tiny corpus: rec %.2f -> %.2f nats/sentence, kl %.2f, ppl %.2f -> %.2f%n",
                before.reconstruction(), after.reconstruction(), after.kl(), before.perplexity(), after.perplexity());
        assertThat(after.reconstruction()).as("reconstruction per sentence").isLessThan(before.reconstruction() / 4);
        assertThat(after.kl()).as("the latent carries information").isGreaterThan(0.5);
        int exact = 0;
        for (int[] s : data) if (java.util.Arrays.equals(vae.reconstruct(s, 20), s)) exact++;
        assertThat(exact).as("sentences reconstructed word for word").isGreaterThanOrEqualTo(6);

        List<int[]> path = vae.interpolate(data.get(0), data.get(1), 5, 20);
        assertThat(path).hasSize(5);
        assertThat(path.get(0)).containsExactly(vae.reconstruct(data.get(0), 20));
        assertThat(path.get(4)).containsExactly(vae.reconstruct(data.get(1), 20));
        Rng rng = new Rng(9);
        for (int i = 0; i < 5; i++) {
            int[] s = vae.decode(vae.samplePrior(rng), 12, i == 0 ? 0f : 1f, rng);
            assertThat(s.length).isLessThanOrEqualTo(12);
            for (int id : s) assertThat(id).isBetween(1, tok.vocabSize() - 1);
            assertThat(tok.decode(s)).doesNotContain("<pad>");
        }

        Path out = dir.resolve("vae");
        vae.save(out, tok);
        SentenceVae.Loaded loaded = SentenceVae.load(out);
        assertThat(loaded.model().encode(data.get(2))).containsExactly(vae.encode(data.get(2)));
        assertThat(loaded.model().reconstruct(data.get(3), 20)).containsExactly(vae.reconstruct(data.get(3), 20));
        assertThat(loaded.tokenizer().vocabSize()).isEqualTo(tok.vocabSize());
        try (var files = Files.list(out)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("config.json", "model.safetensors", "tokenizer.json");
        }

        Files.writeString(out.resolve("config.json"), Files.readString(out.resolve("config.json")).replace("\"latent_dim\" : 8", "\"latent_dim\" : 9"));
        assertThatThrownBy(() -> SentenceVae.load(out)).hasMessageContaining("hidden_to_mean.weight").hasMessageContaining("shape");
        Files.writeString(out.resolve("config.json"), "{\"model_type\": \"gpt2\"}");
        assertThatThrownBy(() -> SentenceVae.load(out)).hasMessageContaining("expected 'sentence_vae'");
        assertThatThrownBy(() -> SentenceVae.load(dir.resolve("nothing"))).hasMessageContaining("missing config.json");
    }
}
