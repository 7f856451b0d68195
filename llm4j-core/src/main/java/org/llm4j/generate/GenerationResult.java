// What generate() returns: every sequence with its per-token log-probabilities and why it ended.
package org.llm4j.generate;

import java.util.Arrays;
import java.util.List;

/**
 * Sequences in prompt order, num_return_sequences consecutive ones per prompt (Hugging Face's
 * (batch × num_return_sequences) layout). Sequences are not padded; {@link #padded()} pads them.
 */
public record GenerationResult(List<Sequence> sequences, int padTokenId) {

    public GenerationResult {
        sequences = List.copyOf(sequences);
    }

    /** Why a sequence stopped; {@link #hfName()} is the OpenAI/HF-style string. */
    public enum FinishReason {
        /** max_new_tokens / max_length reached (for beam search: a beam still running at the limit). */
        LENGTH("length"),
        /** An eos_token_id was generated (it ends the sequence). */
        EOS("eos"),
        /** The text came to contain one of stop_strings. */
        STOP_STRING("stop_string");

        private final String hfName;

        FinishReason(String hfName) { this.hfName = hfName; }

        public String hfName() { return hfName; }
    }

    /**
     * One generated sequence. Log-probabilities are those of each generated token (G of them):
     * <ul>
     * <li>{@code logprobs}: under the model, log_softmax of the raw logits;</li>
     * <li>{@code processedLogprobs}: under the distribution the token was chosen from. Greedy and
     *     sampling: log_softmax of the logits after every processor and warper (what HF's
     *     output_scores hold, normalised). Beam search: the processed log-probability that was added
     *     to the beam's score (HF's processed scores minus the running beam score), so that their sum
     *     is the hypothesis' sum_logprobs.</li>
     * </ul>
     *
     * @param prompt        index of the prompt this sequence continues
     * @param tokens        prompt then generated tokens (P + G)
     * @param promptLength  P
     * @param logprobs      (G) raw log-probabilities
     * @param processedLogprobs (G) processed log-probabilities
     * @param finishReason  why it stopped
     * @param beamScore     beam search only: sum(processedLogprobs) / G^length_penalty (HF
     *                      sequences_scores); NaN otherwise
     */
    public record Sequence(int prompt, int[] tokens, int promptLength, float[] logprobs, float[] processedLogprobs,
                           FinishReason finishReason, double beamScore) {

        /** The generated tokens only (G). */
        public int[] generated() {
            return Arrays.copyOfRange(tokens, promptLength, tokens.length);
        }

        /** Σ logprobs: the model's log-probability of the generated tokens given the prompt. */
        public double sumLogprobs() {
            double s = 0;
            for (float f : logprobs) s += f;
            return s;
        }
    }

    /** The sequences right-padded with pad_token_id to the longest one: (N, maxLen). */
    public int[][] padded() {
        int max = 0;
        for (Sequence s : sequences) max = Math.max(max, s.tokens().length);
        int[][] out = new int[sequences.size()][];
        for (int i = 0; i < out.length; i++) {
            int[] t = sequences.get(i).tokens();
            out[i] = Arrays.copyOf(t, max);
            Arrays.fill(out[i], t.length, max, padTokenId);
        }
        return out;
    }
}
