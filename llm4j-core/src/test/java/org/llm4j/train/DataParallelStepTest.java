// Data-parallel shards give the gradients and loss of the whole batch computed at once.
package org.llm4j.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.llm4j.model.GPTConfig;
import org.llm4j.model.LanguageModel;
import org.llm4j.model.LstmConfig;
import org.llm4j.tensor.Rng;
import org.llm4j.tensor.Tensor;

class DataParallelStepTest {

    @Test
    void shardsMatchTheWholeBatch() {
        for (LanguageModel m : List.of(new GPTConfig(11, 8, 2, 2, 8, 0f, 1e-5f).build(3), new LstmConfig(11, 4, 6, 2, 0f).build(3))) {
            int b = 4, t = 8;
            Rng rng = new Rng(9);
            int[] x = new int[b * t], y = new int[b * t];
            for (int i = 0; i < x.length; i++) { x[i] = rng.nextInt(11); y[i] = rng.nextInt(11); }
            float whole = new DataParallelStep(m.parameters(), 1, b, t).run(m, x, y);
            Map<String, float[]> g1 = new LinkedHashMap<>();
            m.parameters().forEach((k, p) -> { g1.put(k, p.grad().clone()); p.zeroGrad(); });
            float sharded = new DataParallelStep(m.parameters(), 2, b, t).run(m, x, y);
            assertThat((double) sharded).isCloseTo(whole, org.assertj.core.data.Offset.offset(1e-6));
            for (var e : m.parameters().entrySet()) {
                float[] a = e.getValue().grad(), ref = g1.get(e.getKey());
                double scale = 1e-12, err = 0;
                for (int i = 0; i < a.length; i++) { scale = Math.max(scale, Math.abs(ref[i])); err = Math.max(err, Math.abs(a[i] - ref[i])); }
                assertThat(err / scale).as(m.getClass().getSimpleName() + " " + e.getKey()).isLessThan(1e-5);
            }
            for (Tensor p : m.parameters().values()) p.zeroGrad();
        }
    }

    // Shard 0 adds into the parameters' own gradients: gradients already there (accumulation over
    // several batches before a step) must be kept, not overwritten, and the other shard added once.
    @Test
    void shardsAccumulateOntoExistingGradients() {
        LanguageModel m = new GPTConfig(11, 8, 2, 2, 8, 0f, 1e-5f).build(5);
        int b = 4, t = 8;
        Rng rng = new Rng(21);
        int[] x1 = new int[b * t], y1 = new int[b * t], x2 = new int[b * t], y2 = new int[b * t];
        for (int i = 0; i < x1.length; i++) { x1[i] = rng.nextInt(11); y1[i] = rng.nextInt(11); x2[i] = rng.nextInt(11); y2[i] = rng.nextInt(11); }
        DataParallelStep whole = new DataParallelStep(m.parameters(), 1, b, t);
        whole.run(m, x1, y1);
        whole.run(m, x2, y2);
        Map<String, float[]> ref = new LinkedHashMap<>();
        m.parameters().forEach((k, p) -> { ref.put(k, p.grad().clone()); p.zeroGrad(); });
        DataParallelStep sharded = new DataParallelStep(m.parameters(), 2, b, t);
        sharded.run(m, x1, y1);
        sharded.run(m, x2, y2);
        for (var e : m.parameters().entrySet()) {
            float[] a = e.getValue().grad(), r = ref.get(e.getKey());
            double scale = 1e-12, err = 0;
            for (int i = 0; i < a.length; i++) { scale = Math.max(scale, Math.abs(r[i])); err = Math.max(err, Math.abs(a[i] - r[i])); }
            assertThat(err / scale).as(e.getKey()).isLessThan(1e-5);
        }
    }
}
