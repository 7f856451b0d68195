// One validated generation request: the prompts as token ids and every sampling parameter, per OpenAI's names.
package org.llm4j.server;

import java.util.List;

/**
 * @param chat         /v1/chat/completions (true) or /v1/completions
 * @param prompts      token ids of each prompt (P each); chat has exactly one, the rendered conversation
 * @param promptText   the prompt text, for --log-prompts only
 * @param maxTokens    tokens to generate per choice at most
 * @param temperature  0 = greedy
 * @param topP         nucleus mass; 1 = off
 * @param n            choices per prompt
 * @param stop         stop strings (the request's, the server's, the chat template's)
 * @param seed         sampling seed; choice j of every prompt samples with Rng(seed + φ·j), as Generator does
 * @param topLogprobs  −1: no logprobs; else how many alternatives to list per token (0 = only the chosen one)
 * @param includeUsage streaming: send a final chunk with usage (stream_options.include_usage)
 * @param stopTokens   token ids that end a choice besides the model's EOS (a chat template's end of turn, e.g. <|eot_id|>)
 */
record GenRequest(boolean chat, List<int[]> prompts, String promptText, int maxTokens, float temperature, float topP, int n,
                  List<String> stop, long seed, float presencePenalty, float frequencyPenalty, int topLogprobs,
                  boolean stream, boolean includeUsage, String user, int[] stopTokens) {

    int promptTokens() {
        int s = 0;
        for (int[] p : prompts) s += p.length;
        return s;
    }
}
