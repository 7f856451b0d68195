// Logits processors and samplers against hand-computed expectations; seeded sampling is reproducible.
package org.llm4j.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.llm4j.model.GPTConfig;
import org.llm4j.model.LanguageModel;
import org.llm4j.tensor.Rng;

class GeneratorTest {
    static final float NEG = Float.NEGATIVE_INFINITY;

    @Test
    void idsTheTokenizerCannotDecodeAreNeverChosen() {
        // A padded vocabulary: 70 embedding rows, 9 characters in the tokenizer.
        org.llm4j.tokenizer.CharTokenizer tok = org.llm4j.tokenizer.CharTokenizer.fit("abcdefgh ");
        LanguageModel m = new GPTConfig(70, 32, 1, 2, 16, 0f, 1e-5f).build(3);
        m.setTraining(false);
        GenerationConfig cfg = GenerationConfig.builder().maxNewTokens(60).doSample(true).temperature(2f).seed(5).build();
        int[] out = Generator.generate(m, java.util.List.of(tok.encode("abc")), cfg, tok, null).sequences().getFirst().tokens();
        for (int id : out) assertThat(id).isLessThan(tok.vocabSize());
        assertThat(tok.decode(out)).startsWith("abc").hasSize(63);
    }

    @Test
    void topKKeepsTheKLargest() {
        float[] l = {1, 5, 3, 4, 2};
        LogitsProcessor.topK(2).process(new int[0], 0, l);
        assertThat(l).containsExactly(NEG, 5, NEG, 4, NEG);
    }

    @Test
    void topPKeepsTheSmallestSetReachingP() {
        // probabilities ∝ exp: ln(0.5), ln(0.3), ln(0.15), ln(0.05)
        float[] l = {(float) Math.log(0.5), (float) Math.log(0.3), (float) Math.log(0.15), (float) Math.log(0.05)};
        float[] a = l.clone();
        LogitsProcessor.topP(0.75f).process(new int[0], 0, a);
        assertThat(a[0]).isFinite();
        assertThat(a[1]).isFinite();
        assertThat(a[2]).isEqualTo(NEG);
        float[] b = l.clone();
        LogitsProcessor.topP(0.85f).process(new int[0], 0, b);
        assertThat(b[2]).isFinite();
        assertThat(b[3]).isEqualTo(NEG);
    }

    @Test
    void minPAndRepetitionPenaltyAndTemperature() {
        float[] l = {(float) Math.log(0.6), (float) Math.log(0.3), (float) Math.log(0.1)};
        LogitsProcessor.minP(0.2f).process(new int[0], 0, l); // cut = 0.12
        assertThat(l[1]).isFinite();
        assertThat(l[2]).isEqualTo(NEG);
        float[] r = {2f, -2f, 1f};
        LogitsProcessor.repetitionPenalty(2f).process(new int[]{0, 1, 0}, 3, r);
        assertThat(r).containsExactly(1f, -4f, 1f);
        float[] t = {2f, -1f};
        LogitsProcessor.temperature(0.5f).process(new int[0], 0, t);
        assertThat(t).containsExactly(4f, -2f);
    }

    @Test
    void samplerFollowsTheDistribution() {
        Sampler s = Sampler.random(new Rng(3));
        float[] l = {(float) Math.log(0.7), (float) Math.log(0.2), (float) Math.log(0.1), NEG};
        int[] counts = new int[4];
        for (int i = 0; i < 20000; i++) counts[s.sample(l)]++;
        assertThat(counts[3]).isZero();
        assertThat(counts[0] / 20000.0).isBetween(0.68, 0.72);
        assertThat(counts[2] / 20000.0).isBetween(0.09, 0.11);
        assertThat(Sampler.ARGMAX.sample(new float[]{1, 3, 3})).isEqualTo(1);
    }

    @Test
    void seededSamplingIsReproducibleAndStreams() {
        LanguageModel m = new GPTConfig(20, 8, 1, 2, 8, 0f, 1e-5f).build(5);
        m.setTraining(false);
        GenerationConfig cfg = GenerationConfig.sampling(30, 0.9f, 10, 0.95f, 11);
        StringBuilder streamed = new StringBuilder();
        int[] a = Generator.generate(m, new int[]{1, 2}, cfg, id -> streamed.append(id).append(','));
        int[] b = Generator.generate(m, new int[]{1, 2}, cfg, null);
        assertThat(a).containsExactly(b).hasSize(32); // runs past the context of 8 via the sliding window
        assertThat(streamed.toString().split(",")).hasSize(30);
        int[] c = Generator.generate(m, new int[]{1, 2}, GenerationConfig.sampling(30, 0.9f, 10, 0.95f, 12), null);
        assertThat(c).isNotEqualTo(a);
    }

    @Test
    void badOptionsAreRefused() {
        assertThatThrownBy(() -> GenerationConfig.sampling(5, 0f, 0, 1f, 1)).hasMessageContaining("temperature");
        assertThatThrownBy(() -> GenerationConfig.sampling(5, 1f, 0, 1.5f, 1)).hasMessageContaining("top_p");
        assertThatThrownBy(() -> GenerationConfig.sampling(-1, 1f, 0, 1f, 1)).hasMessageContaining("max_new_tokens");
        assertThatThrownBy(() -> new GenerationConfig(-1, false, 1f, 0, 1f, 0f, 1f, 0)).hasMessageContaining("max_new_tokens");
        assertThat(new GenerationConfig(7, true, 0.5f, 3, 0.9f, 0.1f, 1.1f, 4))
                .isEqualTo(GenerationConfig.builder().maxNewTokens(7).doSample(true).temperature(0.5f).topK(3).topP(0.9f).minP(0.1f).repetitionPenalty(1.1f).seed(4).build());
        LanguageModel m = new GPTConfig(20, 8, 1, 2, 8, 0f, 1e-5f).build(5);
        assertThatThrownBy(() -> Generator.generate(m, new int[0], GenerationConfig.greedy(3), null)).hasMessageContaining("prompt");
        assertThatThrownBy(() -> Generator.generate(m, new int[]{25}, GenerationConfig.greedy(3), null)).hasMessageContaining("token id 25");
    }
}
