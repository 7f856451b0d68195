// Learning-rate schedules: linear warm-up then cosine decay to a floor (nanoGPT's get_lr).
package org.llm4j.optim;

@FunctionalInterface
public interface LrSchedule {
    float at(long iter);

    static LrSchedule constant(float lr) {
        return it -> lr;
    }

    /**
     * lr·(it+1)/(warmup+1) during warm-up; then cosine from lr down to minLr at decayIters; minLr after.
     */
    static LrSchedule warmupCosine(float lr, float minLr, long warmup, long decayIters) {
        return it -> {
            if (it < warmup) return lr * (it + 1) / (warmup + 1);
            if (it > decayIters) return minLr;
            double ratio = (double) (it - warmup) / Math.max(1, decayIters - warmup);
            double coeff = 0.5 * (1.0 + Math.cos(Math.PI * ratio));
            return (float) (minLr + coeff * (lr - minLr));
        };
    }
}
