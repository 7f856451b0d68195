// Decoding options with Hugging Face generate()'s names and defaults.
package org.llm4j.generate;

/**
 * @param maxNewTokens      tokens to generate after the prompt (HF max_new_tokens)
 * @param doSample          sample from the distribution; false = greedy (HF do_sample)
 * @param temperature       divides the logits before sampling; must be > 0 when sampling
 * @param topK              keep only the k most likely tokens; 0 = off (HF top_k, default 50 in HF, 0 here)
 * @param topP              nucleus: smallest set whose probability reaches p; 1 = off (HF top_p)
 * @param minP              drop tokens less likely than minP × the top probability; 0 = off (HF min_p)
 * @param repetitionPenalty CTRL's penalty on tokens already present; 1 = off (HF repetition_penalty)
 * @param seed              seeds the sampler, so the same call gives the same text
 */
public record GenerationConfig(int maxNewTokens, boolean doSample, float temperature, int topK, float topP, float minP,
                               float repetitionPenalty, long seed) {

    public GenerationConfig {
        if (maxNewTokens < 0) throw new IllegalArgumentException("max_new_tokens must be >= 0, got " + maxNewTokens);
        if (doSample && !(temperature > 0)) throw new IllegalArgumentException("temperature must be > 0 when sampling, got " + temperature + " (use greedy decoding instead)");
        if (topK < 0) throw new IllegalArgumentException("top_k must be >= 0, got " + topK);
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("top_p must be in (0, 1], got " + topP);
        if (!(minP >= 0 && minP < 1)) throw new IllegalArgumentException("min_p must be in [0, 1), got " + minP);
        if (!(repetitionPenalty > 0)) throw new IllegalArgumentException("repetition_penalty must be > 0, got " + repetitionPenalty);
    }

    public static GenerationConfig greedy(int maxNewTokens) {
        return new GenerationConfig(maxNewTokens, false, 1f, 0, 1f, 0f, 1f, 0);
    }

    public static GenerationConfig sampling(int maxNewTokens, float temperature, int topK, float topP, long seed) {
        return new GenerationConfig(maxNewTokens, true, temperature, topK, topP, 0f, 1f, seed);
    }
}
