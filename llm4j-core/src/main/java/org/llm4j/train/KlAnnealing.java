// The weight β of the KL term of a VAE's loss, step by step: KL annealing (Bowman et al. 2016, section 3.1).
package org.llm4j.train;

/**
 * β grows from 0 to maxBeta over warmupSteps so that the decoder first learns to use z, before
 * the KL term pushes q(z|x) towards the prior (without it the KL collapses to 0 and the model
 * becomes a plain language model). LINEAR: maxBeta·min(1, step/warmup). LOGISTIC:
 * maxBeta/(1 + e^(−k(step − warmup/2))) with k = 10/warmup, Bowman's sigmoid, 0.007 of the way up
 * at step 0 and 0.993 at the end of the warmup. CONSTANT: maxBeta from the first step.
 */
public record KlAnnealing(Kind kind, int warmupSteps, float maxBeta) {
    public enum Kind { LINEAR, LOGISTIC, CONSTANT }

    public KlAnnealing {
        if (kind == null) throw new IllegalArgumentException("KL annealing: kind must be given");
        if (kind != Kind.CONSTANT && warmupSteps < 1) throw new IllegalArgumentException("KL annealing: warmup steps must be positive, got " + warmupSteps);
        if (!(maxBeta >= 0f) || Float.isInfinite(maxBeta)) throw new IllegalArgumentException("KL annealing: beta must be a finite number >= 0, got " + maxBeta);
    }

    /** "linear", "logistic" or "constant" (or "none", constant), as the CLI spells them. */
    public static Kind parseKind(String s) {
        return switch (s.toLowerCase(java.util.Locale.ROOT)) {
            case "linear" -> Kind.LINEAR;
            case "logistic", "sigmoid" -> Kind.LOGISTIC;
            case "constant", "none" -> Kind.CONSTANT;
            default -> throw new IllegalArgumentException("KL schedule must be linear, logistic or constant, got '" + s + "'");
        };
    }

    /** β at a step (0-based). */
    public float beta(long step) {
        return switch (kind) {
            case CONSTANT -> maxBeta;
            case LINEAR -> maxBeta * (float) Math.min(1.0, (double) step / warmupSteps);
            case LOGISTIC -> maxBeta * (float) (1 / (1 + Math.exp(-10.0 / warmupSteps * (step - warmupSteps / 2.0))));
        };
    }
}
