// Hooks into a training run: progress display, dashboards, sample generation at evaluations.
package org.llm4j.train;

public interface TrainListener {
    /** After each optimizer step. */
    default void onStep(int iter, float loss, float lr, double gradNorm, double tokensPerSecond) {}

    /** After each evaluation; iter is the number of steps done. */
    default void onEval(int iter, double trainLoss, double valLoss) {}
}
