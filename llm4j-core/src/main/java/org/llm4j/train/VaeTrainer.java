// The training loop of a sentence VAE: shuffled batches, the annealed ELBO, AdamW, a progress bar; and its evaluation.
package org.llm4j.train;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.llm4j.model.SentenceVae;
import org.llm4j.optim.AdamW;
import org.llm4j.tensor.Grad;
import org.llm4j.tensor.Rng;
import org.llm4j.util.Progress;

public final class VaeTrainer {
    private VaeTrainer() {}

    /**
     * @param steps      optimizer steps
     * @param batchSize  sentences per step
     * @param lr         AdamW learning rate (constant; Bowman et al. used plain Adam)
     * @param clipNorm   global gradient-norm clip, 0 for none (LSTMs on long sentences spike)
     * @param annealing  the β schedule of the KL term
     * @param seed       data order, latent noise and word dropout
     */
    public record Config(int steps, int batchSize, float lr, double clipNorm, KlAnnealing annealing, long seed) {
        public Config {
            if (steps < 0) throw new IllegalArgumentException("steps must be >= 0, got " + steps);
            if (batchSize < 1) throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
            if (!(lr > 0f) || Float.isInfinite(lr)) throw new IllegalArgumentException("learning rate must be a positive number, got " + lr);
            if (!(clipNorm >= 0)) throw new IllegalArgumentException("gradient clip must be >= 0, got " + clipNorm);
            if (annealing == null) throw new IllegalArgumentException("KL annealing must be given");
        }
    }

    /** One step's figures: reconstruction −log p(x|z) and KL per sentence, the β it ran with. */
    public record Step(int step, double reconstruction, double kl, float beta, double gradNorm) {}

    /**
     * Figures of a data set: reconstruction and KL per sentence (z sampled from q(z|x), so
     * reconstruction + KL is the negative ELBO); nll = reconstruction per predicted token
     * (words and &lt;/s&gt;) and its perplexity; elboPerplexity = exp((reconstruction + KL) per token),
     * an upper bound on the model's true perplexity (Bowman et al. report NLL and KL the same way).
     */
    public record Evaluation(double reconstruction, double kl, double nllPerToken, double perplexity, double elboPerplexity, int sentences, int tokens) {}

    /** Trains in place; onStep (may be null) sees every step; returns every step's figures. */
    public static List<Step> fit(SentenceVae model, List<int[]> sentences, Config cfg, Consumer<Step> onStep) {
        if (sentences.isEmpty()) throw new IllegalArgumentException("sentence VAE: no training sentences");
        Map<String, Boolean> decays = new LinkedHashMap<>();
        model.parameters().forEach((k, p) -> decays.put(k, false));
        AdamW opt = new AdamW(model.parameters(), decays, 0.9f, 0.999f, 1e-8f, 0f);
        Rng rng = new Rng(cfg.seed());
        int[] order = new int[sentences.size()];
        for (int i = 0; i < order.length; i++) order[i] = i;
        int cursor = order.length; // reshuffle at the first step
        List<Step> history = new ArrayList<>(cfg.steps());
        model.setTraining(true);
        try (Progress bar = Progress.start("vae", cfg.steps(), "step")) {
            for (int step = 0; step < cfg.steps(); step++) {
                List<int[]> batch = new ArrayList<>(cfg.batchSize());
                for (int k = 0; k < Math.min(cfg.batchSize(), order.length); k++) {
                    if (cursor == order.length) {
                        shuffle(order, rng);
                        cursor = 0;
                    }
                    batch.add(sentences.get(order[cursor++]));
                }
                float beta = cfg.annealing().beta(step);
                model.zeroGrad();
                SentenceVae.Losses l = model.forward(batch, beta, true, rng);
                l.loss().backward();
                double norm = opt.clipGradNorm(cfg.clipNorm());
                opt.step(cfg.lr());
                Step s = new Step(step + 1, l.reconstruction(), l.kl(), beta, norm);
                history.add(s);
                if (onStep != null) onStep.accept(s);
                bar.step().setExtra(String.format("rec %.2f | kl %.2f | beta %.3f", s.reconstruction(), s.kl(), beta));
            }
        }
        model.setTraining(false);
        return history;
    }

    /**
     * Sentences of a text file: a .tsv keeps its first column and drops a header row whose first
     * column is "sentence" (GLUE's SST-2 layout); any other file gives one sentence per non-blank line.
     */
    public static List<String> readSentences(java.nio.file.Path file) throws java.io.IOException {
        if (!java.nio.file.Files.isRegularFile(file)) throw new java.io.IOException(file + ": no such file (expected sentences, one per line, or a .tsv with them in the first column)");
        boolean tsv = file.getFileName().toString().endsWith(".tsv");
        List<String> out = new ArrayList<>();
        boolean first = true;
        for (String line : java.nio.file.Files.readAllLines(file, java.nio.charset.StandardCharsets.UTF_8)) {
            String s = tsv ? line.split("\t", 2)[0] : line;
            if (first && tsv && s.strip().equalsIgnoreCase("sentence")) {
                first = false;
                continue;
            }
            first = false;
            if (!s.isBlank()) out.add(s.strip());
        }
        return out;
    }

    /** Token ids of the sentences that have between minWords and maxWords tokens, in order. */
    public static List<int[]> encode(org.llm4j.tokenizer.WordTokenizer tokenizer, List<String> sentences, int minWords, int maxWords) {
        List<int[]> out = new ArrayList<>();
        for (String s : sentences) {
            int[] ids = tokenizer.encode(s);
            if (ids.length >= Math.max(1, minWords) && ids.length <= maxWords) out.add(ids);
        }
        return out;
    }

    private static void shuffle(int[] a, Rng rng) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1), t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }

    /** Reconstruction, KL and perplexities of sentences in evaluation mode (no word dropout), z drawn with seed. */
    public static Evaluation evaluate(SentenceVae model, List<int[]> sentences, int batchSize, long seed) {
        if (sentences.isEmpty()) throw new IllegalArgumentException("sentence VAE: nothing to evaluate");
        boolean was = model.isTraining();
        model.setTraining(false);
        Rng rng = new Rng(seed);
        double rec = 0, kl = 0;
        int tokens = 0;
        try (var g = Grad.off()) {
            for (int i = 0; i < sentences.size(); i += batchSize) {
                List<int[]> batch = sentences.subList(i, Math.min(sentences.size(), i + batchSize));
                SentenceVae.Losses l = model.forward(batch, 1f, true, rng);
                rec += l.reconstruction() * l.sentences();
                kl += l.kl() * l.sentences();
                tokens += l.tokens();
            }
        } finally {
            model.setTraining(was);
        }
        int n = sentences.size();
        return new Evaluation(rec / n, kl / n, rec / tokens, Math.exp(rec / tokens), Math.exp((rec + kl) / tokens), n, tokens);
    }
}
