// `llm4j vae train|sample`: a sentence VAE (Bowman et al. 2016) trained on sentences, then reconstructions, prior samples, interpolations.
package org.llm4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.llm4j.io.AtomicFiles;
import org.llm4j.model.SentenceVae;
import org.llm4j.model.SentenceVaeConfig;
import org.llm4j.tensor.Rng;
import org.llm4j.tokenizer.WordTokenizer;
import org.llm4j.train.KlAnnealing;
import org.llm4j.train.VaeTrainer;
import org.llm4j.util.Progress;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "vae", mixinStandardHelpOptions = true,
        description = "Sentence variational autoencoder: LSTM encoder → Gaussian latent → LSTM decoder, trained on the ELBO with KL annealing.",
        subcommands = {VaeCommand.Train.class, VaeCommand.Sample.class})
public class VaeCommand implements Runnable {
    @Spec CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** What both subcommands print from a model: reconstructions, prior samples, an interpolation. */
    static final class ShowOptions {
        @Option(names = "--samples", description = "Sentences to draw from the prior N(0, I). Default: ${DEFAULT-VALUE}.", defaultValue = "5")
        int samples;
        @Option(names = "--temperature", description = "0 decodes greedily; above 0 samples each word from softmax(logits/T). Default: ${DEFAULT-VALUE}.", defaultValue = "0")
        float temperature;
        @Option(names = "--points", description = "Points on the line between the two interpolated sentences, ends included. Default: ${DEFAULT-VALUE}.", defaultValue = "5")
        int points;
        @Option(names = "--max-tokens", description = "Longest decoded sentence. Default: ${DEFAULT-VALUE}.", defaultValue = "20")
        int maxTokens;
        @Option(names = "--seed", description = "Seed of the prior samples (and of training). Default: ${DEFAULT-VALUE}.", defaultValue = "1")
        long seed;
        @Option(names = "--no-unk", description = "Never decode <unk> (with a small vocabulary it is often the likeliest word).")
        boolean noUnk;

        void validate() {
            if (samples < 0) throw new IllegalArgumentException("--samples must be >= 0, got " + samples);
            if (!(temperature >= 0f) || Float.isInfinite(temperature)) throw new IllegalArgumentException("--temperature must be >= 0, got " + temperature);
            if (points < 2) throw new IllegalArgumentException("--points must be at least 2, got " + points);
            if (maxTokens < 1) throw new IllegalArgumentException("--max-tokens must be positive, got " + maxTokens);
        }
    }

    static void show(PrintWriter w, SentenceVae vae, WordTokenizer tok, List<String> toReconstruct, String from, String to, ShowOptions o) {
        if (!toReconstruct.isEmpty()) {
            w.println("--- reconstructions (greedy, from the posterior mean) ---");
            for (String s : toReconstruct) {
                int[] ids = words(tok, s, "--reconstruct");
                w.printf("  %s%n  → %s%n", tok.decode(ids), tok.decode(vae.reconstruct(ids, o.maxTokens, !o.noUnk)));
            }
        }
        if (o.samples > 0) {
            w.printf("--- samples from the prior (%s%s) ---%n", o.temperature == 0f ? "greedy" : "temperature " + o.temperature, o.noUnk ? ", no <unk>" : "");
            Rng rng = new Rng(o.seed);
            for (int i = 0; i < o.samples; i++) w.printf("  %s%n", tok.decode(vae.decode(vae.samplePrior(rng), o.maxTokens, o.temperature, rng, !o.noUnk)));
        }
        if (from != null && to != null) {
            w.println("--- interpolation between the posterior means ---");
            List<int[]> path = vae.interpolate(words(tok, from, "--interpolate"), words(tok, to, "--interpolate"), o.points, o.maxTokens, !o.noUnk);
            for (int k = 0; k < path.size(); k++) w.printf("  %.2f  %s%n", (double) k / (path.size() - 1), tok.decode(path.get(k)));
        }
        w.flush();
    }

    private static int[] words(WordTokenizer tok, String s, String option) {
        int[] ids = tok.encode(s);
        if (ids.length == 0) throw new IllegalArgumentException(option + ": '" + s + "' has no words");
        return ids;
    }

    @Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Train a sentence VAE on sentences (a text file, one per line, or a .tsv with them in the first column;",
                    "default: SST-2's train_part.tsv from the data mirror), save it, then print the validation ELBO, reconstructions,",
                    "samples from the prior and an interpolation."})
    static class Train implements Callable<Integer> {
        @Spec CommandSpec spec;
        @Option(names = "--data", paramLabel = "FILE", description = "Training sentences. Default: <mirror>/sst2/train_part.tsv.")
        Path data;
        @Option(names = "--mirror", paramLabel = "DIR", description = "The data mirror for the default corpus; default $LLM4J_DATA_MIRROR.")
        Path mirror;
        @Option(names = "--out", paramLabel = "DIR", description = "Model folder to write (config.json, model.safetensors, tokenizer.json, metrics.jsonl). Default: ${DEFAULT-VALUE}.", defaultValue = "runs/vae")
        Path out;
        @Option(names = "--steps", description = "Optimizer steps. Default: ${DEFAULT-VALUE}.", defaultValue = "2000")
        int steps;
        @Option(names = "--batch-size", description = "Sentences per step. Default: ${DEFAULT-VALUE}.", defaultValue = "32")
        int batchSize;
        @Option(names = "--lr", description = "Adam learning rate. Default: ${DEFAULT-VALUE}.", defaultValue = "0.001")
        float lr;
        @Option(names = "--embedding-dim", description = "Word embedding width. Default: ${DEFAULT-VALUE}.", defaultValue = "64")
        int embeddingDim;
        @Option(names = "--hidden", description = "LSTM width of encoder and decoder. Default: ${DEFAULT-VALUE}.", defaultValue = "128")
        int hidden;
        @Option(names = "--latent", description = "Size of the latent z. Default: ${DEFAULT-VALUE}.", defaultValue = "16")
        int latent;
        @Option(names = "--bidirectional", description = "Read sentences both ways in the encoder.")
        boolean bidirectional;
        @Option(names = "--word-dropout", description = "Probability that a decoder input word becomes <unk> while training. Default: ${DEFAULT-VALUE}.", defaultValue = "0.3")
        float wordDropout;
        @Option(names = "--kl-schedule", description = "β schedule: linear, logistic or constant. Default: ${DEFAULT-VALUE}.", defaultValue = "logistic")
        String klSchedule;
        @Option(names = "--kl-warmup", description = "Steps over which β rises to its maximum. Default: ${DEFAULT-VALUE}.", defaultValue = "1000")
        int klWarmup;
        @Option(names = "--beta", description = "Largest weight of the KL term. Default: ${DEFAULT-VALUE}.", defaultValue = "1")
        float beta;
        @Option(names = "--max-vocab", description = "Vocabulary size (most frequent words; the rest become <unk>). Default: ${DEFAULT-VALUE}.", defaultValue = "5000")
        int maxVocab;
        @Option(names = "--min-words", description = "Shortest sentence kept. Default: ${DEFAULT-VALUE}.", defaultValue = "3")
        int minWords;
        @Option(names = "--max-words", description = "Longest sentence kept. Default: ${DEFAULT-VALUE}.", defaultValue = "16")
        int maxWords;
        @Option(names = "--valid-sentences", description = "Sentences held out for validation (the last ones after a seeded shuffle). Default: ${DEFAULT-VALUE}.", defaultValue = "1000")
        int validSentences;
        @Option(names = "--reconstruct-count", description = "Validation sentences to reconstruct at the end. Default: ${DEFAULT-VALUE}.", defaultValue = "5")
        int reconstructCount;
        @Option(names = "--quiet", description = "No progress bar.")
        boolean quiet;
        @picocli.CommandLine.Mixin ShowOptions show = new ShowOptions();

        @Override
        public Integer call() throws Exception {
            PrintWriter w = spec.commandLine().getOut();
            if (steps < 1) throw new IllegalArgumentException("--steps must be positive, got " + steps);
            if (maxVocab < 3) throw new IllegalArgumentException("--max-vocab must be at least 3, got " + maxVocab);
            if (minWords < 1 || maxWords < minWords) throw new IllegalArgumentException("--min-words and --max-words must satisfy 1 <= min <= max, got " + minWords + " and " + maxWords);
            if (validSentences < 1) throw new IllegalArgumentException("--valid-sentences must be positive, got " + validSentences);
            if (reconstructCount < 0) throw new IllegalArgumentException("--reconstruct-count must be >= 0, got " + reconstructCount);
            show.validate();
            var annealing = new KlAnnealing(KlAnnealing.parseKind(klSchedule), Math.max(1, klWarmup), beta);
            var tcfg = new VaeTrainer.Config(steps, batchSize, lr, 5.0, annealing, show.seed);
            if (quiet) Progress.setEnabled(false);
            Path file = data != null ? data : defaultCorpus();
            List<String> all = new ArrayList<>(VaeTrainer.readSentences(file));
            java.util.Collections.shuffle(all, new java.util.Random(show.seed));
            int nValid = Math.min(validSentences, all.size() / 10);
            if (nValid < 1) throw new IllegalArgumentException(file + ": " + all.size() + " sentences are too few to hold out a validation set (need 10 or more)");
            List<String> trainText = all.subList(0, all.size() - nValid), validText = all.subList(all.size() - nValid, all.size());
            WordTokenizer tok = WordTokenizer.fit(trainText, WordTokenizer.Options.defaults().withMaxVocab(maxVocab));
            List<int[]> train = VaeTrainer.encode(tok, trainText, minWords, maxWords), valid = VaeTrainer.encode(tok, validText, minWords, maxWords);
            if (train.isEmpty() || valid.isEmpty()) throw new IllegalArgumentException(file + ": no sentences of " + minWords + " to " + maxWords + " words to train and validate on");
            var cfg = new SentenceVaeConfig(tok.vocabSize() + 2, embeddingDim, hidden, latent, bidirectional, wordDropout);
            SentenceVae vae = new SentenceVae(cfg, show.seed);
            w.printf("data:  %s: %,d training and %,d validation sentences of %d-%d words, vocabulary %,d words%n",
                    file, train.size(), valid.size(), minWords, maxWords, tok.vocabSize());
            w.printf("model: sentence VAE, embedding %d, %sLSTM %d, latent %d, word dropout %.2f, %,d parameters%n",
                    embeddingDim, bidirectional ? "bidirectional " : "", hidden, latent, wordDropout, vae.parameterCount());
            w.printf("train: %d steps of %d sentences, Adam lr %s, KL %s β up to %s over %d steps%n", steps, batchSize, lr,
                    annealing.kind().name().toLowerCase(java.util.Locale.ROOT), beta, klWarmup);
            w.flush();
            long t0 = System.nanoTime();
            List<VaeTrainer.Step> history = VaeTrainer.fit(vae, train, tcfg, null);
            double secs = (System.nanoTime() - t0) / 1e9;
            vae.save(out, tok);
            writeMetrics(out.resolve("metrics.jsonl"), history);
            VaeTrainer.Evaluation ev = VaeTrainer.evaluate(vae, valid, 64, 1);
            VaeTrainer.Step last = history.get(history.size() - 1);
            w.printf("trained in %.1f s (%.1f steps/s); last step: reconstruction %.2f, KL %.2f, β %.3f%n", secs, steps / secs, last.reconstruction(), last.kl(), last.beta());
            w.printf("validation (%,d sentences, %,d tokens): reconstruction %.2f nats/sentence, KL %.2f, NLL %.3f nats/token (perplexity %.1f), ELBO perplexity bound %.1f%n",
                    ev.sentences(), ev.tokens(), ev.reconstruction(), ev.kl(), ev.nllPerToken(), ev.perplexity(), ev.elboPerplexity());
            w.printf("saved: %s%n", out);
            List<String> rec = new ArrayList<>();
            for (int i = 0; i < Math.min(reconstructCount, valid.size()); i++) rec.add(tok.decode(valid.get(i)));
            String a = valid.size() >= 2 ? tok.decode(valid.get(0)) : null, b = valid.size() >= 2 ? tok.decode(valid.get(1)) : null;
            show(w, vae, tok, rec, a, b, show);
            return 0;
        }

        private Path defaultCorpus() {
            Path m = mirror;
            if (m == null) {
                String env = System.getenv("LLM4J_DATA_MIRROR");
                if (env == null || env.isBlank()) env = System.getProperty("llm4j.data.mirror", "");
                if (env.isBlank() || env.startsWith("${")) throw new IllegalArgumentException("--data: no file given and no data mirror ($LLM4J_DATA_MIRROR or --mirror) to take sst2/train_part.tsv from");
                m = Path.of(env);
            }
            Path f = m.resolve("sst2").resolve("train_part.tsv");
            if (!Files.isRegularFile(f)) throw new IllegalArgumentException("--mirror: " + f + " does not exist");
            return f;
        }

        private static void writeMetrics(Path file, List<VaeTrainer.Step> history) throws java.io.IOException {
            ObjectMapper json = new ObjectMapper();
            StringBuilder sb = new StringBuilder();
            for (VaeTrainer.Step s : history) {
                sb.append(json.createObjectNode().put("step", s.step()).put("reconstruction", s.reconstruction()).put("kl", s.kl())
                        .put("beta", s.beta()).put("grad_norm", s.gradNorm())).append('\n');
            }
            AtomicFiles.writeString(file, sb.toString());
        }
    }

    @Command(name = "sample", mixinStandardHelpOptions = true, sortOptions = false,
            description = "Load a trained sentence VAE; print samples from the prior, reconstructions and an interpolation between two sentences.")
    static class Sample implements Callable<Integer> {
        @Spec CommandSpec spec;
        @Option(names = "--model", paramLabel = "DIR", required = true, description = "A folder written by `llm4j vae train`.")
        Path model;
        @Option(names = "--reconstruct", paramLabel = "TEXT", description = "A sentence to encode and decode again (repeatable).")
        List<String> reconstruct = new ArrayList<>();
        @Option(names = "--interpolate", paramLabel = "TEXT", arity = "2", description = "Two sentences: decode points on the line between their latent means.")
        List<String> interpolate = new ArrayList<>();
        @picocli.CommandLine.Mixin ShowOptions show = new ShowOptions();

        @Override
        public Integer call() throws Exception {
            show.validate();
            SentenceVae.Loaded loaded = SentenceVae.load(model);
            var c = loaded.model().config();
            PrintWriter w = spec.commandLine().getOut();
            w.printf("model: %s: sentence VAE, embedding %d, LSTM %d, latent %d, vocabulary %,d words%n", model, c.embeddingDim(), c.hiddenSize(), c.latentDim(), loaded.tokenizer().vocabSize());
            show(w, loaded.model(), loaded.tokenizer(), reconstruct,
                    interpolate.size() == 2 ? interpolate.get(0) : null, interpolate.size() == 2 ? interpolate.get(1) : null, show);
            return 0;
        }
    }
}
