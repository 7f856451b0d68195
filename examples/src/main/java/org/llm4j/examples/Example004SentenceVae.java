// Seed example 004: an LSTM encoder–decoder trained as a VAE (the Keras text's intent, done as a real sentence VAE).
package org.llm4j.examples;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.llm4j.model.SentenceVae;
import org.llm4j.model.SentenceVaeConfig;
import org.llm4j.tensor.Rng;
import org.llm4j.tokenizer.WordTokenizer;
import org.llm4j.train.KlAnnealing;
import org.llm4j.train.VaeTrainer;

/**
 * The source: {@code Input(shape=(None,))} → {@code Embedding(10000, 256)} → {@code LSTM(256)} encoder →
 * LSTM decoder → {@code Dense(10000, softmax)}, Adam, and the objective
 * E_q(z|x)[log p(x|z)] − β·KL(q(z|x) ‖ p(z)). Here the latent variable is real: the encoder's last
 * state gives the mean and log-variance of z, z = mu + σ·eps, the decoder starts from and reads z,
 * and β is annealed from 0 to 1. Trains on SST-2 sentences from the data mirror, then prints the
 * validation ELBO, reconstructions, samples from the prior and an interpolation.
 *
 * <p>Run: {@code Example004SentenceVae [mirror-dir] [steps]} (default $LLM4J_DATA_MIRROR, 300 steps;
 * `llm4j vae train` is the same with every option).
 */
public final class Example004SentenceVae {
    public static void main(String[] args) throws Exception {
        Path mirror = Path.of(args.length > 0 ? args[0] : System.getenv().getOrDefault("LLM4J_DATA_MIRROR", "../shared/data"));
        int steps = args.length > 1 ? Integer.parseInt(args[1]) : 300;
        run(mirror.resolve("sst2").resolve("train_part.tsv"), steps, 10000, 256, 256, System.out);
    }

    /** The whole example; a test runs it with a few steps and small widths. */
    public static void run(Path corpus, int steps, int maxVocab, int embeddingDim, int hidden, java.io.PrintStream out) throws Exception {
        // Sentences: shuffle once, hold out 500 for validation, keep those of 3 to 16 words.
        List<String> all = new ArrayList<>(VaeTrainer.readSentences(corpus));
        Collections.shuffle(all, new Random(1));
        List<String> trainText = all.subList(0, all.size() - 500), validText = all.subList(all.size() - 500, all.size());
        WordTokenizer tok = WordTokenizer.fit(trainText, WordTokenizer.Options.defaults().withMaxVocab(maxVocab)); // Keras Tokenizer(num_words=10000)
        List<int[]> train = VaeTrainer.encode(tok, trainText, 3, 16), valid = VaeTrainer.encode(tok, validText, 3, 16);

        // Embedding(10000, 256) → LSTM(256) → z (32) → LSTM(256) → Dense(vocabulary, softmax)
        SentenceVae vae = new SentenceVae(new SentenceVaeConfig(tok.vocabSize() + 2, embeddingDim, hidden, 32, false, 0.3f), 1);
        out.printf("sentence VAE: %,d parameters, %,d training sentences, vocabulary %,d%n", vae.parameterCount(), train.size(), tok.vocabSize());

        // compile(optimizer=Adam) and fit: the ELBO with β annealed (logistic) over the first half
        var annealing = new KlAnnealing(KlAnnealing.Kind.LOGISTIC, Math.max(1, steps / 2), 1f);
        VaeTrainer.fit(vae, train, new VaeTrainer.Config(steps, 32, 1e-3f, 5.0, annealing, 1), null);

        VaeTrainer.Evaluation ev = VaeTrainer.evaluate(vae, valid, 64, 1);
        out.printf("validation: reconstruction %.2f nats/sentence, KL %.2f, perplexity %.1f (ELBO bound %.1f)%n",
                ev.reconstruction(), ev.kl(), ev.perplexity(), ev.elboPerplexity());
        out.println("reconstructions:");
        for (int i = 0; i < 3; i++) out.printf("  %s → %s%n", tok.decode(valid.get(i)), tok.decode(vae.reconstruct(valid.get(i), 20)));
        out.println("samples from the prior:");
        Rng rng = new Rng(7);
        for (int i = 0; i < 3; i++) out.printf("  %s%n", tok.decode(vae.decode(vae.samplePrior(rng), 20, 0f, null)));
        out.printf("interpolation from \"%s\" to \"%s\":%n", tok.decode(valid.get(0)), tok.decode(valid.get(1)));
        List<int[]> path = vae.interpolate(valid.get(0), valid.get(1), 5, 20);
        for (int k = 0; k < path.size(); k++) out.printf("  %.2f  %s%n", k / 4.0, tok.decode(path.get(k)));
    }
}
