// `llm4j train`: a character-level GPT or LSTM on a named corpus or local text, with eval, checkpoints and resume.
package org.llm4j.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.llm4j.format.ModelFiles;
import org.llm4j.generate.GenerationConfig;
import org.llm4j.generate.Generator;
import org.llm4j.model.GPTConfig;
import org.llm4j.model.LanguageModel;
import org.llm4j.model.LstmConfig;
import org.llm4j.model.ModelConfig;
import org.llm4j.tokenizer.CharTokenizer;
import org.llm4j.tokenizer.Tokenizer;
import org.llm4j.train.Checkpoint;
import org.llm4j.train.TokenData;
import org.llm4j.train.TrainConfig;
import org.llm4j.train.TrainListener;
import org.llm4j.train.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train a language model (GPT or LSTM) on a corpus, character-level or with a given tokenizer.",
                "Writes OUT/checkpoint.safetensors, OUT/metrics.jsonl, OUT/loss.png and OUT/model/ (config.json, model.safetensors, tokenizer.json)."})
public class TrainCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin Common.DataOptions data = new Common.DataOptions();

    @Option(names = "--data", paramLabel = "NAME|PATH", description = "Named corpus (tinyshakespeare) or a text file or folder. Default: ${DEFAULT-VALUE}.", defaultValue = "tinyshakespeare")
    String corpus;
    @Option(names = "--out", paramLabel = "DIR", description = "Run folder. Default: ${DEFAULT-VALUE}.", defaultValue = "runs/train")
    Path out;
    @Option(names = "--resume", description = "Continue from OUT/checkpoint.safetensors (model, optimizer, step, random state).")
    boolean resume;

    @Option(names = "--shards", paramLabel = "DIR", description = "Train on shards written by 'llm4j data prepare' (DIR/train, DIR/val, DIR/tokenizer.json) instead of --data.")
    Path shards;

    @Option(names = "--tokenizer", paramLabel = "PATH", description = "Tokenize with this tokenizer (see 'llm4j tokenizer info') instead of fitting characters to the corpus.")
    Path tokenizerPath;

    @Option(names = "--init-from", paramLabel = "DIR|REPO", description = "Fine-tune: start from this model folder or Hugging Face repository id (e.g. gpt2), with its tokenizer and architecture; the result is saved in the same layout under OUT/model.")
    String initFrom;

    @Option(names = "--dashboard", description = "Serve a live page of the run (loss and validation curves, learning rate, tokens/s, samples) while training.")
    boolean dashboard;
    @Option(names = "--dashboard-port", description = "Port of the dashboard (0: any free one). Default: ${DEFAULT-VALUE}.", defaultValue = "8081")
    int dashboardPort;
    @Option(names = "--dashboard-host", description = "Address the dashboard binds. Default: ${DEFAULT-VALUE}.", defaultValue = "127.0.0.1")
    String dashboardHost;

    @Option(names = "--model", paramLabel = "gpt|lstm", description = "Architecture. Default: ${DEFAULT-VALUE}.", defaultValue = "gpt")
    String arch;
    @Option(names = "--n-layer", description = "GPT blocks or LSTM layers. Default: 4 (GPT), 2 (LSTM).")
    Integer nLayer;
    @Option(names = "--n-head", description = "GPT attention heads. Default: ${DEFAULT-VALUE}.", defaultValue = "4")
    int nHead;
    @Option(names = "--n-embd", description = "GPT width C, or LSTM embedding size. Default: ${DEFAULT-VALUE}.", defaultValue = "128")
    int nEmbd;
    @Option(names = "--hidden", description = "LSTM hidden size. Default: ${DEFAULT-VALUE}.", defaultValue = "256")
    int hidden;
    @Option(names = "--dropout", description = "Dropout while training. Default: ${DEFAULT-VALUE}.", defaultValue = "0.0")
    float dropout;

    @Option(names = "--block-size", description = "Context length T of the training windows. Default: ${DEFAULT-VALUE}.", defaultValue = "64")
    int blockSize;
    @Option(names = "--batch-size", description = "Windows per step B. Default: ${DEFAULT-VALUE}.", defaultValue = "12")
    int batchSize;
    @Option(names = "--max-iters", description = "Optimizer steps. Default: ${DEFAULT-VALUE}.", defaultValue = "2000")
    int maxIters;
    @Option(names = "--lr", description = "Peak learning rate. Default: ${DEFAULT-VALUE}.", defaultValue = "1e-3")
    float lr;
    @Option(names = "--min-lr", description = "Learning rate at the end of the cosine decay. Default: ${DEFAULT-VALUE}.", defaultValue = "1e-4")
    float minLr;
    @Option(names = "--warmup-iters", description = "Linear warm-up steps. Default: ${DEFAULT-VALUE}.", defaultValue = "100")
    int warmup;
    @Option(names = "--weight-decay", description = "AdamW weight decay. Default: ${DEFAULT-VALUE}.", defaultValue = "0.1")
    float weightDecay;
    @Option(names = "--beta2", description = "AdamW beta2. Default: ${DEFAULT-VALUE}.", defaultValue = "0.99")
    float beta2;
    @Option(names = "--grad-clip", description = "Clip the global gradient norm; 0 = off. Default: ${DEFAULT-VALUE}.", defaultValue = "1.0")
    float gradClip;
    @Option(names = "--eval-interval", description = "Evaluate and checkpoint every N steps. Default: ${DEFAULT-VALUE}.", defaultValue = "250")
    int evalInterval;
    @Option(names = "--eval-iters", description = "Batches per evaluation. Default: ${DEFAULT-VALUE}.", defaultValue = "20")
    int evalIters;
    @Option(names = "--log-interval", description = "Metrics-log line every N steps. Default: ${DEFAULT-VALUE}.", defaultValue = "10")
    int logInterval;
    @Option(names = "--val-fraction", description = "Last fraction of the text kept for validation. Default: ${DEFAULT-VALUE}.", defaultValue = "0.1")
    double valFraction;
    @Option(names = "--seed", description = "Seed for weights, batches and dropout. Default: ${DEFAULT-VALUE}.", defaultValue = "1337")
    long seed;
    @Option(names = "--sample-chars", description = "Print a sample of N characters at each evaluation; 0 = none. Default: ${DEFAULT-VALUE}.", defaultValue = "200")
    int sampleChars;

    @Override
    public Integer call() throws Exception {
        PrintWriter w = spec.commandLine().getOut();
        return train(w, sampleChars);
    }

    int train(PrintWriter w, int sampleLen) throws Exception {
        // options first: a bad value fails before minutes of corpus loading
        TrainConfig tc = new TrainConfig(batchSize, blockSize, maxIters, lr, minLr, warmup, maxIters, weightDecay, 0.9f, beta2,
                gradClip, evalInterval, evalIters, logInterval, seed, out);
        if (valFraction <= 0 || valFraction >= 1) throw new IllegalArgumentException("--val-fraction must be in (0, 1), got " + valFraction);
        if (!resume && initFrom == null) modelConfig(2);
        if (initFrom != null && tokenizerPath != null) throw new IllegalArgumentException("--init-from brings its model's tokenizer; drop --tokenizer");
        ModelFiles.Loaded init = null;
        if (initFrom != null && !resume) {
            init = ModelFiles.load(Common.modelFolder(initFrom), false);
            if (blockSize > init.model().contextLength()) {
                throw new IllegalArgumentException("--block-size " + blockSize + " exceeds the context length " + init.model().contextLength() + " of " + initFrom);
            }
        }
        Tokenizer tok;
        ModelConfig cfg;
        Path ckpt = out.resolve(Checkpoint.FILE);
        Checkpoint.Loaded ck = null;
        if (resume) {
            if (!Files.isRegularFile(ckpt)) throw new IllegalArgumentException("--resume: no checkpoint at " + ckpt);
            ck = Checkpoint.load(ckpt);
            if (ck.tokenizer() == null) throw new IllegalArgumentException(ckpt + ": the checkpoint holds no tokenizer");
        }
        TokenData split;
        String source;
        long chars;
        double tokensPerByte = Double.NaN; // for bits per byte, comparable across tokenizers
        if (shards != null) {
            Path tj = shards.resolve("tokenizer.json");
            if (!Files.isRegularFile(tj)) throw new IllegalArgumentException("--shards: " + tj + " is missing (write the folder with 'llm4j data prepare')");
            tok = ck != null ? ck.tokenizer() : Tokenizer.load(tj);
            if (init != null) {
                if (!tok.toJson().equals(init.tokenizer().toJson())) {
                    throw new IllegalArgumentException("--shards " + shards + " were tokenized with another tokenizer than " + initFrom + "'s; prepare them with --tokenizer " + initFrom);
                }
                tok = init.tokenizer();
            }
            split = TokenData.of(org.llm4j.data.ShardSet.open(shards.resolve("train")), org.llm4j.data.ShardSet.open(shards.resolve("val")));
            source = shards.toString();
            chars = -1;
            Path statsFile = shards.resolve("stats.json");
            if (Files.isRegularFile(statsFile)) {
                var st = new com.fasterxml.jackson.databind.ObjectMapper().readTree(statsFile.toFile());
                long bytes = st.path("kept_bytes").asLong(0), toks = st.path("train_tokens").asLong(0) + st.path("validation_tokens").asLong(0);
                if (bytes > 0) tokensPerByte = (double) toks / bytes;
            }
        } else {
            String text = data.store().readText(corpus);
            tok = ck != null ? ck.tokenizer() : init != null ? init.tokenizer() : tokenizerPath != null ? Tokenizer.load(tokenizerPath) : CharTokenizer.fit(text);
            int[] ids = tok.encode(text);
            split = TokenData.split(ids, valFraction);
            source = corpus;
            chars = text.length();
            tokensPerByte = (double) ids.length / text.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        }
        cfg = ck != null ? ck.config() : init != null ? init.model().config() : modelConfig(tok.vocabSize());
        int[] first = new int[1];
        split.train().read(0, first, 0, 1);
        LanguageModel model = init != null ? init.model() : cfg.build(seed);
        model.setTraining(true);
        w.printf("corpus: %s%s, vocabulary %d; train %,d / val %,d tokens%n", source, chars >= 0 ? String.format(", %,d characters", chars) : "",
                tok.vocabSize(), split.train().size(), split.val().size());
        w.printf("model: %s, %,d parameters%n", cfg, model.parameterCount());
        w.printf("training: %d steps of %d x %d tokens%s; run folder %s%n", maxIters, batchSize, blockSize,
                resume ? " (resuming)" : init != null ? " (fine-tuning " + initFrom + ")" : "", out.toAbsolutePath());
        w.flush();
        final Tokenizer fTok = tok;
        org.llm4j.server.TrainingDashboard dash = dashboard
                ? new org.llm4j.server.TrainingDashboard("llm4j train: " + cfg + " on " + source, dashboardHost, dashboardPort) : null;
        if (dash != null) {
            w.printf("dashboard: http://%s:%d/%n", dashboardHost, dash.port());
            w.flush();
        }
        TrainListener printer = new TrainListener() {
            @Override
            public void onEval(int iter, double trainLoss, double valLoss) {
                w.printf("%nstep %d: train loss %.4f, val loss %.4f (perplexity %.2f)%n", iter, trainLoss, valLoss, Math.exp(valLoss));
                if (sampleLen > 0) {
                    model.setTraining(false);
                    int[] prompt = {first[0]};
                    int[] gen = Generator.generate(model, prompt, GenerationConfig.sampling(sampleLen, 0.8f, 0, 1f, seed + iter), null);
                    w.println("--- sample ---");
                    w.println(fTok.decode(gen));
                    if (dash != null) dash.onSample(iter, fTok.decode(gen));
                    w.println("--------------");
                    model.setTraining(true);
                }
                w.flush();
            }
        };
        Trainer.Result r;
        try {
            r = dash != null ? Trainer.fit(model, tok, split, tc, resume, printer, dash) : Trainer.fit(model, tok, split, tc, resume, printer);
        } finally {
            if (dash != null) {
                dash.finish();
                dash.close();
            }
        }
        w.printf("%ndone: %d steps, train loss %.4f, val loss %.4f (perplexity %.2f; %.4f bits per byte), %.0f tokens/s%n", r.iters(),
                r.trainLoss(), r.valLoss(), r.valPerplexity(), r.valLoss() * tokensPerByte / Math.log(2), r.tokensPerSecond());
        w.printf("model saved to %s; loss curve %s%n", out.resolve("model"), out.resolve("loss.png"));
        w.printf("next: bin/llm4j generate --model %s --max-new-tokens 300%n", out);
        w.flush();
        return 0;
    }

    ModelConfig modelConfig(int vocab) {
        return switch (arch) {
            case "gpt" -> new GPTConfig(vocab, blockSize, nLayer == null ? 4 : nLayer, nHead, nEmbd, dropout, 1e-5f);
            case "lstm" -> new LstmConfig(vocab, nEmbd, hidden, nLayer == null ? 2 : nLayer, dropout);
            default -> throw new IllegalArgumentException("--model must be 'gpt' or 'lstm', got '" + arch + "'");
        };
    }
}
