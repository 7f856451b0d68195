// generate() end to end on stub and tiny models: beam search against brute force, stopping rules,
// several return sequences, batches equal to single prompts, log-probabilities, the processor order.
package org.llm4j.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.llm4j.generate.GenerationConfig.EarlyStopping;
import org.llm4j.generate.GenerationResult.FinishReason;
import org.llm4j.generate.GenerationResult.Sequence;
import org.llm4j.model.DecodeState;
import org.llm4j.model.GPTConfig;
import org.llm4j.model.LanguageModel;
import org.llm4j.model.LstmConfig;
import org.llm4j.tensor.Rng;
import org.llm4j.tokenizer.CharTokenizer;

class GenerationTest {
    static final int EOS = 2;

    static GenerationResult run(LanguageModel m, int[] prompt, GenerationConfig cfg) {
        return Generator.generate(m, prompt, cfg, null, null);
    }

    static int[] gen(Sequence s) {
        return s.generated();
    }

    // From the prompt: 1 (0.5), 2 (0.4), 0 (0.1). After 1 the next token is uniform; after 2 it is 0
    // with 0.9. Greedy takes 1 (best path 0.5 · 1/3 = 0.17); two beams find 2, 0 (0.4 · 0.9 = 0.36).
    static TableModel greedyTrap() {
        return new TableModel(3, h -> switch (h[h.length - 1]) {
            case 1 -> TableModel.logOf(1 / 3.0, 1 / 3.0, 1 / 3.0);
            case 2 -> TableModel.logOf(0.9, 0.05, 0.05);
            default -> TableModel.logOf(0.1, 0.5, 0.4);
        });
    }

    @Test
    void beamSearchFindsWhatGreedyMisses() {
        TableModel m = greedyTrap();
        assertThat(gen(run(m, new int[]{0}, GenerationConfig.greedy(2)).sequences().getFirst())).containsExactly(1, 0);
        GenerationConfig beams = GenerationConfig.builder().maxNewTokens(2).numBeams(2).numReturnSequences(2).build();
        List<Sequence> s = run(m, new int[]{0}, beams).sequences();
        assertThat(gen(s.get(0))).containsExactly(2, 0);
        assertThat(s.get(0).beamScore()).isCloseTo((Math.log(0.4) + Math.log(0.9)) / 2, within(1e-5));
        assertThat(gen(s.get(1))).startsWith(1);                          // the runner-up: 1 then a tie, 0 by index
        assertThat(s.get(1).beamScore()).isCloseTo((Math.log(0.5) + Math.log(1 / 3.0)) / 2, within(1e-5));
        assertThat(s).allMatch(q -> q.finishReason() == FinishReason.LENGTH);
    }

    @Test
    void beamSamplingIsSeededAndNearlyBeamSearchWhenCold() {
        // At temperature 0.01 the draws without replacement come out in score order with
        // overwhelming probability, so the best beam is beam search's, its score divided by T.
        GenerationConfig cold = GenerationConfig.builder().maxNewTokens(2).numBeams(2).doSample(true).temperature(0.01f).seed(5).build();
        Sequence best = run(greedyTrap(), new int[]{0}, cold).sequences().getFirst();
        assertThat(gen(best)).containsExactly(2, 0);
        assertThat(best.beamScore()).isCloseTo((Math.log(0.4) + Math.log(0.9)) / 0.01 / 2, within(1e-2));
        LanguageModel m = tinyGpt();
        GenerationConfig warm = GenerationConfig.builder().maxNewTokens(6).numBeams(3).numReturnSequences(2).doSample(true).topK(5).seed(8).build();
        List<Sequence> a = run(m, new int[]{1, 2}, warm).sequences(), b = run(m, new int[]{1, 2}, warm).sequences();
        for (int i = 0; i < 2; i++) assertThat(a.get(i).tokens()).containsExactly(b.get(i).tokens());
        assertThat(a.get(0).beamScore()).isGreaterThanOrEqualTo(a.get(1).beamScore());
        boolean differs = false;
        for (long seed = 9; seed < 14 && !differs; seed++) {
            differs = !Arrays.equals(run(m, new int[]{1, 2}, warm.toBuilder().seed(seed).build()).sequences().getFirst().tokens(), a.get(0).tokens());
        }
        assertThat(differs).as("another seed draws other beams").isTrue();
    }

    /** A model over {0, 1, EOS=2} whose logits depend on the position and the previous token. */
    static TableModel randomTable(long seed, int promptLength) {
        Rng rng = new Rng(seed);
        float[][][] table = new float[6][3][3];                    // (position, previous, next)
        for (float[][] a : table) for (float[] b : a) rng.fillNormal(b, 2f);
        return new TableModel(3, h -> table[Math.clamp(h.length - promptLength, 0, 5)][h[h.length - 1]]);
    }

    /** The best complete sequence (ends in EOS, or reaches maxNew) by Σ log p / G^lp, by enumeration. */
    static int[] bruteForce(TableModel m, int[] prompt, int maxNew, double lp) {
        double[] best = {Double.NEGATIVE_INFINITY};
        int[][] arg = {null};
        enumerate(m, prompt, new int[0], 0, maxNew, lp, best, arg);
        return arg[0];
    }

    static void enumerate(TableModel m, int[] prompt, int[] gen, double sum, int maxNew, double lp, double[] best, int[][] arg) {
        if (gen.length == maxNew || (gen.length > 0 && gen[gen.length - 1] == EOS)) {
            double score = sum / Math.pow(gen.length, lp);
            if (score > best[0]) { best[0] = score; arg[0] = gen; }
            return;
        }
        int[] h = Arrays.copyOf(prompt, prompt.length + gen.length);
        System.arraycopy(gen, 0, h, prompt.length, gen.length);
        float[] logits = m.logitsOf.apply(h);
        double lse = LogitsProcessor.logSumExp(logits);
        for (int t = 0; t < 3; t++) {
            int[] g = Arrays.copyOf(gen, gen.length + 1);
            g[gen.length] = t;
            enumerate(m, prompt, g, sum + (logits[t] - lse), maxNew, lp, best, arg);
        }
    }

    @Test
    void wideBeamSearchWithEarlyStoppingNeverIsExact() {
        int[] prompt = {1, 0};
        for (long seed = 1; seed <= 6; seed++) {
            TableModel m = randomTable(seed, prompt.length);
            for (float lp : new float[]{-1f, 0f, 1f, 2f}) {
                int[] want = bruteForce(m, prompt, 4, lp);
                // 81 beams hold every prefix of every length, so nothing is pruned
                GenerationConfig cfg = GenerationConfig.builder().maxNewTokens(4).numBeams(81).lengthPenalty(lp)
                        .earlyStopping(EarlyStopping.NEVER).eosTokenId(EOS).build();
                Sequence best = run(m, prompt, cfg).sequences().getFirst();
                assertThat(gen(best)).as("seed %d, length_penalty %s", seed, lp).containsExactly(want);
                assertThat(best.finishReason()).isEqualTo(want[want.length - 1] == EOS ? FinishReason.EOS : FinishReason.LENGTH);
            }
        }
    }

    // First step: EOS (0.6) or 1 (0.399); after 1, 1 (0.87); after 1 1, EOS (0.87). The short
    // sequence has the larger sum (−0.511 against −1.197), the long one the larger mean (−0.399).
    static TableModel shortOrLong() {
        return new TableModel(3, h -> {
            int g = h.length - 1;
            if (g == 0) return TableModel.logOf(0.001, 0.399, 0.6);
            if (g == 1 && h[1] == 1) return TableModel.logOf(0.065, 0.87, 0.065);
            if (g == 2 && h[1] == 1 && h[2] == 1) return TableModel.logOf(0.065, 0.065, 0.87);
            return TableModel.logOf(1 / 3.0, 1 / 3.0, 1 / 3.0);
        });
    }

    @Test
    void lengthPenaltyChoosesBetweenShortAndLong() {
        TableModel m = shortOrLong();
        GenerationConfig.Builder b = GenerationConfig.builder().maxNewTokens(3).numBeams(2).eosTokenId(EOS).earlyStopping(EarlyStopping.NEVER);
        Sequence mean = run(m, new int[]{0}, b.lengthPenalty(1f).build()).sequences().getFirst();
        assertThat(gen(mean)).containsExactly(1, 1, EOS);
        assertThat(mean.beamScore()).isCloseTo((Math.log(0.399) + 2 * Math.log(0.87)) / 3, within(1e-5));
        Sequence sum = run(m, new int[]{0}, b.lengthPenalty(0f).build()).sequences().getFirst();
        assertThat(gen(sum)).containsExactly(EOS);
        assertThat(sum.finishReason()).isEqualTo(FinishReason.EOS);
        assertThat(gen(run(m, new int[]{0}, b.lengthPenalty(-1f).build()).sequences().getFirst())).containsExactly(EOS);
        for (float lp : new float[]{-1f, 0f, 1f}) assertThat(gen(run(m, new int[]{0}, b.lengthPenalty(lp).build()).sequences().getFirst())).containsExactly(bruteForce(m, new int[]{0}, 3, lp));
        // early_stopping=true stops once num_beams hypotheses end, without waiting for the long one
        GenerationConfig eager = GenerationConfig.builder().maxNewTokens(3).numBeams(1 + 1).eosTokenId(EOS, 0).earlyStopping(EarlyStopping.TRUE).build();
        assertThat(run(m, new int[]{0}, eager).sequences().getFirst().generated()).hasSizeLessThanOrEqualTo(2);
    }

    @Test
    void minNewTokensHoldsBackEosAndEosStops() {
        TableModel m = new TableModel(4, h -> TableModel.logOf(0.1, 0.2, 0.6, 0.1)); // EOS most likely always
        Sequence now = run(m, new int[]{0}, GenerationConfig.builder().maxNewTokens(10).eosTokenId(EOS).build()).sequences().getFirst();
        assertThat(gen(now)).containsExactly(EOS);
        assertThat(now.finishReason()).isEqualTo(FinishReason.EOS);
        Sequence later = run(m, new int[]{0}, GenerationConfig.builder().maxNewTokens(10).minNewTokens(3).eosTokenId(EOS).build()).sequences().getFirst();
        assertThat(gen(later)).containsExactly(1, 1, 1, EOS);
        Sequence other = run(m, new int[]{0}, GenerationConfig.builder().maxNewTokens(10).minNewTokens(3).eosTokenId(1, EOS).build()).sequences().getFirst();
        assertThat(gen(other)).containsExactly(0, 0, 0, EOS);              // both EOS ids banned, either one stops
        Sequence none = run(m, new int[]{0}, GenerationConfig.builder().maxNewTokens(5).build()).sequences().getFirst();
        assertThat(gen(none)).containsExactly(2, 2, 2, 2, 2);
        assertThat(none.finishReason()).isEqualTo(FinishReason.LENGTH);
        // max_length counts the prompt
        assertThat(run(m, new int[]{0, 1, 3}, GenerationConfig.builder().maxLength(7).build()).sequences().getFirst().tokens()).hasSize(7);
        assertThat(run(m, new int[]{0, 1, 3}, GenerationConfig.builder().maxLength(2).build()).sequences().getFirst().tokens()).hasSize(3);
        GenerationResult padded = Generator.generate(m, List.of(new int[]{0}, new int[]{0, 3}), GenerationConfig.builder().maxNewTokens(4).minNewTokens(2).eosTokenId(EOS).padTokenId(3).build(), null, null);
        assertThat(padded.padded()).isDeepEqualTo(new int[][]{{0, 1, 1, 2, 3}, {0, 3, 1, 1, 2}});
    }

    @Test
    void stopStringsEndSequencesEvenAcrossTokensAndThePrompt() {
        CharTokenizer tok = CharTokenizer.fit("abcdefgh");
        int[] prompt = tok.encode("ab");
        TableModel m = TableModel.forcing(tok.vocabSize(), prompt.length, tok.encode("cdefgh"));
        GenerationConfig.Builder b = GenerationConfig.builder().maxNewTokens(6);
        Sequence s = Generator.generate(m, prompt, b.stopStrings("de").build(), tok, null).sequences().getFirst();
        assertThat(tok.decode(s.generated())).isEqualTo("cde");
        assertThat(s.finishReason()).isEqualTo(FinishReason.STOP_STRING);
        Sequence p = Generator.generate(m, prompt, b.stopStrings("xyz", "bc").build(), tok, null).sequences().getFirst();
        assertThat(tok.decode(p.generated())).isEqualTo("c");               // begins in the prompt
        Sequence in = Generator.generate(m, prompt, b.stopStrings("ab").build(), tok, null).sequences().getFirst();
        assertThat(tok.decode(in.generated())).isEqualTo("cdefgh");        // wholly inside the prompt: no stop
        assertThat(in.finishReason()).isEqualTo(FinishReason.LENGTH);
        assertThatThrownBy(() -> Generator.generate(m, prompt, b.stopStrings("de").build(), null, null)).hasMessageContaining("stop_strings");
    }

    static LanguageModel tinyGpt() {
        LanguageModel m = new GPTConfig(20, 16, 2, 2, 8, 0f, 1e-5f).build(5);
        m.setTraining(false);
        return m;
    }

    @Test
    void numReturnSequencesGivesIndependentSeededSamples() {
        LanguageModel m = tinyGpt();
        GenerationConfig cfg = GenerationConfig.builder().maxNewTokens(8).doSample(true).numReturnSequences(3).seed(9).build();
        List<Sequence> a = run(m, new int[]{1, 2}, cfg).sequences();
        assertThat(a).hasSize(3);
        assertThat(a.stream().map(q -> Arrays.toString(q.tokens())).distinct()).hasSizeGreaterThan(1);
        List<Sequence> again = run(m, new int[]{1, 2}, cfg).sequences();
        for (int i = 0; i < 3; i++) assertThat(again.get(i).tokens()).containsExactly(a.get(i).tokens());
        // sample 0 is what a single sample with the same seed gives
        assertThat(run(m, new int[]{1, 2}, cfg.toBuilder().numReturnSequences(1).build()).sequences().getFirst().tokens()).containsExactly(a.get(0).tokens());
        assertThat(run(m, new int[]{1, 2}, cfg.toBuilder().seed(10).build()).sequences().getFirst().tokens()).isNotEqualTo(a.get(0).tokens());
        // beams: the best hypotheses, best first, all different
        List<Sequence> beams = run(m, new int[]{1, 2}, GenerationConfig.builder().maxNewTokens(5).numBeams(4).numReturnSequences(3).build()).sequences();
        assertThat(beams).hasSize(3);
        assertThat(beams.get(0).beamScore()).isGreaterThanOrEqualTo(beams.get(1).beamScore());
        assertThat(beams.get(1).beamScore()).isGreaterThanOrEqualTo(beams.get(2).beamScore());
        assertThat(beams.stream().map(q -> Arrays.toString(q.tokens())).distinct()).hasSize(3);
    }

    @Test
    void batchedPromptsOfDifferentLengthsEqualEachPromptAlone() {
        List<int[]> prompts = List.of(new int[]{3}, new int[]{1, 2, 3, 4, 5, 6, 7}, new int[]{9, 8, 7, 6});
        LanguageModel lstm = new LstmConfig(20, 8, 12, 2, 0f).build(3);
        lstm.setTraining(false);
        List<GenerationConfig> cfgs = List.of(
                GenerationConfig.builder().maxNewTokens(12).build(),
                GenerationConfig.builder().maxNewTokens(12).doSample(true).temperature(0.8f).topK(8).topP(0.9f).typicalP(0.95f)
                        .repetitionPenalty(1.2f).noRepeatNgramSize(2).numReturnSequences(2).seed(4).build(),
                GenerationConfig.builder().maxLength(14).numBeams(3).numReturnSequences(2).eosTokenId(5).lengthPenalty(0.7f).build());
        for (LanguageModel m : List.of(tinyGpt(), lstm)) {
            for (GenerationConfig cfg : cfgs) {
                List<Sequence> batch = Generator.generate(m, prompts, cfg, null, null).sequences();
                List<Sequence> alone = new ArrayList<>();
                for (int[] p : prompts) alone.addAll(run(m, p, cfg).sequences());
                assertThat(batch).hasSameSizeAs(alone).hasSize(prompts.size() * cfg.numReturnSequences());
                for (int i = 0; i < batch.size(); i++) {
                    assertThat(batch.get(i).tokens()).as("sequence %d, %s", i, cfg).containsExactly(alone.get(i).tokens());
                    assertThat(batch.get(i).logprobs()).containsExactly(alone.get(i).logprobs());
                    assertThat(batch.get(i).prompt()).isEqualTo(i / cfg.numReturnSequences());
                }
            }
        }
    }

    @Test
    void logprobsAreTheModelsAndTheProcessedDistributions() {
        LanguageModel m = tinyGpt();
        int[] prompt = {4, 5};
        Sequence g = run(m, prompt, GenerationConfig.greedy(6)).sequences().getFirst();
        assertThat(g.logprobs()).containsExactly(g.processedLogprobs());   // greedy without processors
        Sequence t = run(m, prompt, GenerationConfig.builder().maxNewTokens(6).doSample(true).temperature(0.5f).seed(3).build()).sequences().getFirst();
        // recompute both from the model's own logits, token by token
        DecodeState st = m.newState();
        float[] logits = null;
        for (int id : prompt) logits = m.step(st, id);
        double sum = 0;
        for (int i = 0; i < 6; i++) {
            int tok = t.generated()[i];
            double lse = LogitsProcessor.logSumExp(logits);
            assertThat((double) t.logprobs()[i]).isCloseTo(logits[tok] - lse, within(1e-5));
            float[] hot = logits.clone();
            for (int j = 0; j < hot.length; j++) hot[j] /= 0.5f;
            assertThat((double) t.processedLogprobs()[i]).isCloseTo(hot[tok] - LogitsProcessor.logSumExp(hot), within(1e-5));
            sum += logits[tok] - lse;
            logits = m.step(st, tok);
        }
        assertThat(t.sumLogprobs()).isCloseTo(sum, within(1e-4));
        // beam search: processed log-probs sum to the hypothesis' score × G^length_penalty
        Sequence b = run(m, prompt, GenerationConfig.builder().maxNewTokens(5).numBeams(3).lengthPenalty(2f).repetitionPenalty(1.3f).build()).sequences().getFirst();
        double processed = 0;
        for (float f : b.processedLogprobs()) processed += f;
        assertThat(b.beamScore()).isCloseTo(processed / Math.pow(5, 2), within(1e-5));
        assertThat(b.logprobs()).hasSize(5);
        for (float f : b.logprobs()) assertThat(f).isLessThanOrEqualTo(0f);
    }

    @Test
    void userProcessorsRunAfterTheProcessorsAndBeforeTheWarpers() {
        TableModel m = new TableModel(3, h -> new float[]{2f, 1f, -1f});
        float[][] seen = new float[1][];
        GenerationConfig cfg = GenerationConfig.builder().maxNewTokens(1).doSample(true).temperature(0.25f)
                .repetitionPenalty(2f).addLogitsProcessor((h, n, s) -> seen[0] = s.clone()).build();
        run(m, new int[]{0, 2}, cfg);
        assertThat(seen[0]).containsExactly(1f, 1f, -2f);                 // penalised, not yet divided by the temperature
    }

    @Test
    void badOptionsAreRefusedNamingTheParameter() {
        assertThatThrownBy(() -> GenerationConfig.builder().numReturnSequences(2).build()).hasMessageContaining("num_return_sequences");
        assertThatThrownBy(() -> GenerationConfig.builder().numBeams(2).numReturnSequences(3).build()).hasMessageContaining("num_return_sequences");
        assertThatThrownBy(() -> GenerationConfig.builder().numBeams(0).build()).hasMessageContaining("num_beams");
        assertThatThrownBy(() -> GenerationConfig.builder().typicalP(0f).build()).hasMessageContaining("typical_p");
        assertThatThrownBy(() -> GenerationConfig.builder().minP(1.5f).build()).hasMessageContaining("min_p");
        assertThatThrownBy(() -> GenerationConfig.builder().noRepeatNgramSize(-1).build()).hasMessageContaining("no_repeat_ngram_size");
        assertThatThrownBy(() -> GenerationConfig.builder().minNewTokens(-1).build()).hasMessageContaining("min_new_tokens");
        assertThatThrownBy(() -> GenerationConfig.builder().maxLength(0).build()).hasMessageContaining("max_length");
        assertThatThrownBy(() -> GenerationConfig.builder().eosTokenId(-3).build()).hasMessageContaining("eos_token_id");
        assertThatThrownBy(() -> GenerationConfig.builder().stopStrings("").build()).hasMessageContaining("stop_strings");
        assertThatThrownBy(() -> GenerationConfig.builder().lengthPenalty(Float.NaN).build()).hasMessageContaining("length_penalty");
        assertThatThrownBy(() -> GenerationConfig.EarlyStopping.parse("sometimes")).hasMessageContaining("early_stopping");
        assertThat(GenerationConfig.EarlyStopping.parse("Never")).isEqualTo(EarlyStopping.NEVER);
        TableModel m = greedyTrap();
        assertThatThrownBy(() -> Generator.generate(m, List.of(new int[]{0}, new int[0]), GenerationConfig.greedy(1), null, null)).hasMessageContaining("prompt 1");
        assertThatThrownBy(() -> Generator.generate(m, new int[]{0}, GenerationConfig.builder().numBeams(2).build(), null, (s, t, x) -> {}))
                .hasMessageContaining("beam");
        assertThatThrownBy(() -> run(m, new int[]{0}, GenerationConfig.builder().numBeams(2).eosTokenId(0, 1, 2).build())).hasMessageContaining("num_beams");
    }
}
