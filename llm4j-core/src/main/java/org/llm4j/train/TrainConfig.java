// Training hyperparameters, with nanoGPT's names and its shakespeare_char defaults.
package org.llm4j.train;

import java.nio.file.Path;

/**
 * @param batchSize       B, windows per step
 * @param blockSize       T, tokens per window
 * @param maxIters        optimizer steps in total
 * @param learningRate    peak learning rate after warm-up
 * @param minLr           floor of the cosine decay
 * @param warmupIters     linear warm-up steps
 * @param lrDecayIters    step at which the cosine reaches minLr (usually maxIters)
 * @param weightDecay     AdamW decoupled weight decay on matrices and embeddings
 * @param beta1           AdamW β1
 * @param beta2           AdamW β2 (0.99 for small character models, as nanoGPT)
 * @param gradClip        global gradient-norm clip; 0 disables
 * @param evalInterval    evaluate (and checkpoint) every this many steps
 * @param evalIters       batches averaged per evaluation of each split
 * @param logInterval     metrics-log line every this many steps
 * @param seed            seeds the weights, the batch sampler and dropout
 * @param outDir          checkpoint, metrics.jsonl, loss.png and the exported model folder; null for none
 */
public record TrainConfig(int batchSize, int blockSize, int maxIters, float learningRate, float minLr, int warmupIters,
                          int lrDecayIters, float weightDecay, float beta1, float beta2, float gradClip, int evalInterval,
                          int evalIters, int logInterval, long seed, Path outDir) {

    public TrainConfig {
        positive("batch size", batchSize);
        positive("block size", blockSize);
        positive("max iters", maxIters);
        positive("eval interval", evalInterval);
        positive("eval iters", evalIters);
        positive("log interval", logInterval);
        if (!(learningRate > 0)) throw new IllegalArgumentException("learning rate must be positive, got " + learningRate);
        if (minLr < 0 || minLr > learningRate) throw new IllegalArgumentException("min lr must be in [0, learning rate], got " + minLr);
        if (warmupIters < 0) throw new IllegalArgumentException("warmup iters must be >= 0, got " + warmupIters);
        if (weightDecay < 0) throw new IllegalArgumentException("weight decay must be >= 0, got " + weightDecay);
        if (beta1 < 0 || beta1 >= 1 || beta2 < 0 || beta2 >= 1) throw new IllegalArgumentException("betas must be in [0, 1)");
        if (gradClip < 0) throw new IllegalArgumentException("grad clip must be >= 0, got " + gradClip);
    }

    private static void positive(String what, int v) {
        if (v <= 0) throw new IllegalArgumentException(what + " must be positive, got " + v);
    }

    /** nanoGPT's train_shakespeare_char settings, scaled for a CPU as its README suggests. */
    public static TrainConfig nanoShakespeareCpu(Path outDir) {
        return new TrainConfig(12, 64, 2000, 1e-3f, 1e-4f, 100, 2000, 0.1f, 0.9f, 0.99f, 1f, 250, 20, 10, 1337, outDir);
    }

    /** The same settings for a different number of steps; a decay tied to maxIters follows it. */
    public TrainConfig withMaxIters(int iters) {
        return new TrainConfig(batchSize, blockSize, iters, learningRate, minLr, warmupIters, lrDecayIters == maxIters ? iters : Math.min(lrDecayIters, iters),
                weightDecay, beta1, beta2, gradClip, evalInterval, evalIters, logInterval, seed, outDir);
    }

    /** The same settings with the cosine reaching minLr at another step (e.g. a shorter first leg of a resumed run). */
    public TrainConfig withDecayIters(int decayIters) {
        return new TrainConfig(batchSize, blockSize, maxIters, learningRate, minLr, warmupIters, decayIters, weightDecay, beta1,
                beta2, gradClip, evalInterval, evalIters, logInterval, seed, outDir);
    }
}
