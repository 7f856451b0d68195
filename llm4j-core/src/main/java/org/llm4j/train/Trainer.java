// The training loop: random windows, AdamW with warm-up + cosine, clipping, evaluation, checkpoints, resume.
package org.llm4j.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.llm4j.format.ModelFiles;
import org.llm4j.model.LanguageModel;
import org.llm4j.optim.AdamW;
import org.llm4j.optim.LrSchedule;
import org.llm4j.tensor.F;
import org.llm4j.tensor.Grad;
import org.llm4j.tensor.Rng;
import org.llm4j.tokenizer.Tokenizer;
import org.llm4j.util.Progress;

/**
 * nanoGPT's loop: each step samples B random windows of T+1 tokens, minimises mean next-token
 * cross-entropy with AdamW, and every evalInterval steps estimates train and validation loss on
 * evalIters fresh batches, writes a checkpoint, the metrics log and the loss curve.
 *
 * <p>Determinism: the batch sampler, dropout and evaluation draw from separate generators whose
 * states go into the checkpoint (evaluation batches are seeded by the step), and the kernels give
 * the same bits on any thread count, so {@code resume} continues with exactly the losses an
 * uninterrupted run would have produced.
 */
public final class Trainer {

    /** What a run achieved. */
    public record Result(int iters, double trainLoss, double valLoss, double tokensPerSecond, List<Float> stepLosses) {
        public double valPerplexity() { return Math.exp(valLoss); }
    }

    private Trainer() {}

    public static Result fit(LanguageModel model, Tokenizer tokenizer, TokenData data, TrainConfig cfg, boolean resume,
                             TrainListener... listeners) throws IOException {
        int b = cfg.batchSize(), t = cfg.blockSize();
        if (t > model.contextLength()) throw new IllegalArgumentException("block size " + t + " exceeds the model's context length " + model.contextLength());
        for (TokenSource split : new TokenSource[]{data.train(), data.val()}) {
            if (split.size() < t + 2) {
                throw new IllegalArgumentException((split == data.train() ? "training" : "validation") + " split has " + split.size()
                        + " tokens, too few for windows of block size " + t + " + 1; use more text or a smaller block size");
            }
        }
        AdamW opt = AdamW.forModel(model, cfg.beta1(), cfg.beta2(), 1e-8f, cfg.weightDecay());
        LrSchedule schedule = LrSchedule.warmupCosine(cfg.learningRate(), cfg.minLr(), cfg.warmupIters(), cfg.lrDecayIters());
        Rng sampler = new Rng(cfg.seed());
        Path out = cfg.outDir();
        Path ckptFile = out == null ? null : out.resolve(Checkpoint.FILE);
        int start = 0;
        double bestVal = Double.NaN;
        if (resume) {
            if (ckptFile == null || !Files.exists(ckptFile)) throw new IOException("--resume: no checkpoint at " + ckptFile);
            Checkpoint.Loaded ck = Checkpoint.load(ckptFile);
            if (!ck.config().equals(model.config())) {
                throw new IllegalArgumentException(ckptFile + ": checkpoint is for " + ck.config() + ", not " + model.config());
            }
            model.loadParameters(ck.model(), false, ckptFile.toString());
            Checkpoint.restore(opt, ck, ckptFile);
            sampler.setState(ck.state().samplerRng());
            model.dropoutRng().setState(ck.state().dropoutRng());
            start = ck.state().iter();
            bestVal = ck.state().bestValLoss();
            if (start >= cfg.maxIters()) {
                throw new IllegalArgumentException("--resume: " + ckptFile + " is already at step " + start + "; raise max iters above it to train on");
            }
        }
        MetricsLog log = new MetricsLog(out == null ? null : out.resolve("metrics.jsonl"), start);
        int[] x = new int[b * t], y = new int[b * t];
        DataParallelStep step = new DataParallelStep(model, b, t);
        List<Float> losses = new ArrayList<>();
        double trainLoss = Double.NaN, valLoss = Double.NaN, tokPerSec = 0;
        long tokens = 0, nanos = 0;
        model.setTraining(true);
        try (Progress bar = Progress.start("train", cfg.maxIters(), "it")) {
            bar.stepTo(start);
            for (int it = start; it < cfg.maxIters(); it++) {
                long t0 = System.nanoTime();
                float lr = schedule.at(it);
                TokenData.sample(data.train(), b, t, sampler, x, y);
                float l = step.run(model, x, y);
                double norm = opt.clipGradNorm(cfg.gradClip());
                opt.step(lr);
                model.zeroGrad();
                long dt = System.nanoTime() - t0;
                tokens += (long) b * t;
                nanos += dt;
                tokPerSec = tokens / (nanos / 1e9);
                if (!Float.isFinite(l)) throw new IllegalStateException("loss became " + l + " at step " + (it + 1) + "; lower the learning rate or enable gradient clipping");
                losses.add(l);
                int done = it + 1;
                for (TrainListener li : listeners) li.onStep(done, l, lr, norm, tokPerSec);
                if (done % cfg.logInterval() == 0 || done == cfg.maxIters()) log.logStep(done, l, lr, norm, tokPerSec);
                bar.step(1);
                bar.setExtra(String.format("loss %.4f | %s tok/s", l, human(tokPerSec)));
                if (done % cfg.evalInterval() == 0 || done == cfg.maxIters()) {
                    double[] est = estimateLoss(model, data, cfg, done);
                    trainLoss = est[0];
                    valLoss = est[1];
                    if (Double.isNaN(bestVal) || valLoss < bestVal) bestVal = valLoss;
                    log.logEval(done, trainLoss, valLoss);
                    if (out != null) {
                        Checkpoint.save(ckptFile, model, opt, tokenizer,
                                new Checkpoint.State(done, opt.stepCount(), sampler.state(), model.dropoutRng().state(), bestVal));
                        log.plot(out.resolve("loss.png"), "llm4j " + model.config().getClass().getSimpleName().replace("Config", "") + " training");
                    }
                    for (TrainListener li : listeners) li.onEval(done, trainLoss, valLoss);
                }
            }
        }
        model.setTraining(false);
        if (out != null) ModelFiles.save(out.resolve("model"), model, tokenizer);
        return new Result(cfg.maxIters(), trainLoss, valLoss, tokPerSec, losses);
    }

    /** Mean loss over evalIters batches of each split, without dropout; batches seeded by the step. */
    public static double[] estimateLoss(LanguageModel model, TokenData data, TrainConfig cfg, int step) {
        model.setTraining(false);
        double[] out = new double[2];
        int b = cfg.batchSize(), t = cfg.blockSize();
        int[] x = new int[b * t], y = new int[b * t];
        try (var g = Grad.off()) {
            TokenSource[] splits = {data.train(), data.val()};
            for (int s = 0; s < 2; s++) {
                Rng rng = new Rng(cfg.seed() * 1_000_003L + step * 2L + s);
                double sum = 0;
                for (int i = 0; i < cfg.evalIters(); i++) {
                    TokenData.sample(splits[s], b, t, rng, x, y);
                    sum += F.crossEntropy(model.forward(x, b, t), y, -1).item();
                }
                out[s] = sum / cfg.evalIters();
            }
        }
        model.setTraining(true);
        return out;
    }

    static String human(double v) {
        if (v >= 1e6) return String.format("%.2fM", v / 1e6);
        if (v >= 1e3) return String.format("%.1fk", v / 1e3);
        return String.format("%.0f", v);
    }
}
