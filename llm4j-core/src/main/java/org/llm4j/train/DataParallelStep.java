// Forward and backward of one batch as data-parallel shards on all cores, gradients summed in a fixed order.
package org.llm4j.train;

import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.Map;
import org.llm4j.kernels.Parallel;
import org.llm4j.model.LanguageModel;
import org.llm4j.tensor.F;
import org.llm4j.tensor.Rng;
import org.llm4j.tensor.Tensor;

/**
 * Splits the B windows of a batch into S equal shards and runs each shard's forward and backward
 * as one task (kernels inside run single-threaded), so every op of the step — not only the matrix
 * products — uses all cores, and no thread waits at each kernel's barrier. Shard 0 accumulates
 * into the parameters' own gradients; every other shard's go to its own buffers
 * ({@link Tensor#redirectLeafGradients}), then added to the parameters' in shard order (one
 * buffer fewer to clear and add than a buffer per shard). The loss is the mean over the whole batch.
 *
 * <p>Determinism: S depends on the batch and model sizes only ({@link #shardsFor}), never on the machine, and
 * each shard draws dropout from its own generator seeded from the model's in shard order, so a
 * run gives the same bits on any number of cores.
 */
public final class DataParallelStep {
    /** Models above this many parameters train with one shard: see {@link #shardsFor}. */
    static final long SMALL_MODEL = 20_000_000L;

    /**
     * Shards per batch, fixed by the configuration (never by the machine): 2 when B is even and
     * the model is small, else 1; -Dllm4j.train.shards overrides. Small models gain from sharding
     * (nanoGPT's CPU config: ~72 → ~60 ms/step); large ones lose, as their matrix products
     * already split well over the cores and every shard adds a full set of gradient buffers to
     * reduce (GPT-2 124M at B=4, T=64: 2.36 s with one shard, 2.96 s with two).
     */
    public static int shardsFor(int batch, long parameters) {
        int want = Math.max(1, Integer.getInteger("llm4j.train.shards", parameters > SMALL_MODEL ? 1 : 2));
        return batch % want == 0 ? want : 1;
    }

    private final Map<String, Tensor> params;
    private final int shards, rows, time;
    private final IdentityHashMap<Tensor, float[]>[] sinks;
    private final int[][] xs, ys;
    private final Rng[] rngs;
    private final float[] losses;

    public DataParallelStep(LanguageModel model, int batch, int time) {
        this(model.parameters(), shardsFor(batch, model.parameterCount()), batch, time);
    }

    @SuppressWarnings("unchecked")
    DataParallelStep(Map<String, Tensor> params, int shards, int batch, int time) {
        this.params = params;
        this.shards = shards;
        this.rows = batch / shards;
        this.time = time;
        sinks = new IdentityHashMap[shards];
        xs = new int[shards][rows * time];
        ys = new int[shards][rows * time];
        rngs = new Rng[shards];
        for (int s = 0; s < shards; s++) {
            sinks[s] = s == 0 ? null : new IdentityHashMap<>();
            rngs[s] = new Rng(0);
        }
        losses = new float[shards];
    }

    /** Accumulates d(mean loss)/d(params) into the parameters' gradients; returns the mean loss. */
    public float run(LanguageModel model, int[] x, int[] y) {
        if (shards == 1) {
            Tensor loss = F.crossEntropy(model.forward(x, rows, time), y, -1);
            loss.backward();
            return loss.item();
        }
        int n = rows * time;
        for (int s = 0; s < shards; s++) {
            System.arraycopy(x, s * n, xs[s], 0, n);
            System.arraycopy(y, s * n, ys[s], 0, n);
            rngs[s].setState(model.dropoutRng().nextLong());
            if (sinks[s] != null) for (float[] g : sinks[s].values()) Arrays.fill(g, 0f);
        }
        Parallel.forEachTask(shards, s -> {
            try (var redirect = Tensor.redirectLeafGradients(sinks[s])) {   // shard 0: null, the parameters' own
                Tensor loss = F.crossEntropy(model.forward(xs[s], rows, time, rngs[s]), ys[s], -1);
                F.scale(loss, 1f / shards).backward(); // each shard holds 1/S of the batch's tokens
                losses[s] = loss.item();
            }
        });
        for (Tensor p : params.values()) {
            for (int s = 1; s < shards; s++) {
                float[] part = sinks[s].get(p);
                if (part != null) F.kernels().axpy(1f, part, 0, p.gradBuffer(), 0, part.length);
            }
        }
        float sum = 0f;
        for (float l : losses) sum += l;
        return sum / shards;
    }
}
