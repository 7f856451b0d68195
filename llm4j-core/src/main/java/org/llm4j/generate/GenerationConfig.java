// Decoding options with Hugging Face generate()'s names, meanings and (mostly) defaults.
package org.llm4j.generate;

import java.util.ArrayList;
import java.util.List;

/**
 * One record per call; build it with {@link #builder()} (or {@link #toBuilder()} to change a few
 * fields), or the {@link #greedy} and {@link #sampling} shortcuts. Each field names the Hugging
 * Face {@code GenerationConfig} attribute it stands for; defaults are HF's except top_k (0 here,
 * 50 in HF). Checked on construction, with messages that name the HF parameter.
 *
 * @param maxLength          longest sequence, prompt included (HF max_length, default 20); used
 *                           only when maxNewTokens is unset (−1). A prompt already that long gets
 *                           no new tokens (HF would still make one, with a warning)
 * @param maxNewTokens       tokens to generate after the prompt; −1 = unset (HF max_new_tokens,
 *                           which wins over max_length)
 * @param minNewTokens       EOS is banned until this many tokens are generated (HF min_new_tokens)
 * @param doSample           sample from the processed distribution; false = greedy or beam search (HF do_sample)
 * @param temperature        divides the logits when sampling; must be > 0 then (HF temperature)
 * @param topK               keep only the k most likely tokens when sampling; 0 = off (HF top_k)
 * @param topP               nucleus: keep the smallest set whose probability reaches p; 1 = off (HF top_p)
 * @param minP               drop tokens less likely than minP × the top probability; 0 = off (HF min_p)
 * @param typicalP           locally typical sampling mass (Meister et al. 2022); 1 = off (HF typical_p)
 * @param repetitionPenalty  CTRL's penalty on tokens already in the sequence; 1 = off (HF repetition_penalty)
 * @param noRepeatNgramSize  no n-gram of this size may occur twice in the sequence; 0 = off (HF no_repeat_ngram_size)
 * @param numBeams           beam width; 1 = no beam search (HF num_beams)
 * @param lengthPenalty      a finished beam scores sum(logprob) / generated_length^lengthPenalty; > 0
 *                           favours longer sequences, < 0 shorter ones (HF length_penalty, default 1)
 * @param earlyStopping      when beam search stops (HF early_stopping: True, False or "never")
 * @param numReturnSequences sequences per prompt: independent samples, or the best finished beams
 *                           (HF num_return_sequences); greedy decoding allows only 1
 * @param eosTokenIds        end-of-sequence ids, any of which ends a sequence; empty = none (HF eos_token_id)
 * @param padTokenId         fills finished sequences in {@link GenerationResult#padded()}; −1 = the
 *                           first EOS id, else 0 (HF pad_token_id)
 * @param stopStrings        generation of a sequence stops once its text contains one of these,
 *                           completed by the last token; needs a tokenizer (HF stop_strings)
 * @param seed               seeds sampling: the same call gives the same text (HF: torch.manual_seed)
 * @param logitsProcessors   extra processors, run after the built-in ones and before the sampling
 *                           warpers, as HF merges a user's logits_processor list
 */
public record GenerationConfig(int maxLength, int maxNewTokens, int minNewTokens, boolean doSample,
                               float temperature, int topK, float topP, float minP, float typicalP,
                               float repetitionPenalty, int noRepeatNgramSize,
                               int numBeams, float lengthPenalty, EarlyStopping earlyStopping,
                               int numReturnSequences, List<Integer> eosTokenIds, int padTokenId,
                               List<String> stopStrings, long seed, List<LogitsProcessor> logitsProcessors) {

    /** HF early_stopping: True, False or "never"; see BeamSearch for what each does. */
    public enum EarlyStopping {
        /** Stop as soon as num_beams hypotheses are finished. */
        TRUE,
        /** Stop when no running beam can beat the worst finished one, judged at the current length (a heuristic). */
        FALSE,
        /** Stop only when no running beam can beat them at any length up to the limit: the canonical beam search. */
        NEVER;

        /** Parses HF's spellings: true, false, never (any case). */
        public static EarlyStopping parse(String s) {
            return switch (s.trim().toLowerCase(java.util.Locale.ROOT)) {
                case "true" -> TRUE;
                case "false" -> FALSE;
                case "never" -> NEVER;
                default -> throw new IllegalArgumentException("early_stopping must be true, false or \"never\", got \"" + s + "\"");
            };
        }
    }

    public GenerationConfig {
        if (maxLength < 1) throw new IllegalArgumentException("max_length must be >= 1, got " + maxLength);
        if (maxNewTokens < -1) throw new IllegalArgumentException("max_new_tokens must be >= 0 (or -1 for unset), got " + maxNewTokens);
        if (minNewTokens < 0) throw new IllegalArgumentException("min_new_tokens must be >= 0, got " + minNewTokens);
        if (doSample && !(temperature > 0 && Float.isFinite(temperature)))
            throw new IllegalArgumentException("temperature must be > 0 when sampling (do_sample=true), got " + temperature + " (use greedy decoding instead)");
        if (topK < 0) throw new IllegalArgumentException("top_k must be >= 0, got " + topK);
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("top_p must be in (0, 1], got " + topP);
        if (!(minP >= 0 && minP <= 1)) throw new IllegalArgumentException("min_p must be in [0, 1], got " + minP);
        if (!(typicalP > 0 && typicalP <= 1)) throw new IllegalArgumentException("typical_p must be in (0, 1], got " + typicalP);
        if (!(repetitionPenalty > 0 && Float.isFinite(repetitionPenalty))) throw new IllegalArgumentException("repetition_penalty must be > 0, got " + repetitionPenalty);
        if (noRepeatNgramSize < 0) throw new IllegalArgumentException("no_repeat_ngram_size must be >= 0, got " + noRepeatNgramSize);
        if (numBeams < 1) throw new IllegalArgumentException("num_beams must be >= 1, got " + numBeams);
        if (!Float.isFinite(lengthPenalty)) throw new IllegalArgumentException("length_penalty must be finite, got " + lengthPenalty);
        if (earlyStopping == null) throw new IllegalArgumentException("early_stopping must be true, false or \"never\", got null");
        if (numReturnSequences < 1) throw new IllegalArgumentException("num_return_sequences must be >= 1, got " + numReturnSequences);
        if (numBeams == 1 && !doSample && numReturnSequences > 1)
            throw new IllegalArgumentException("num_return_sequences must be 1 for greedy decoding (got " + numReturnSequences + "): use do_sample=true or num_beams >= num_return_sequences");
        if (numBeams > 1 && numReturnSequences > numBeams)
            throw new IllegalArgumentException("num_return_sequences (" + numReturnSequences + ") must be <= num_beams (" + numBeams + ")");
        eosTokenIds = List.copyOf(eosTokenIds == null ? List.of() : eosTokenIds);
        for (int id : eosTokenIds) if (id < 0) throw new IllegalArgumentException("eos_token_id must be >= 0, got " + id);
        if (padTokenId < -1) throw new IllegalArgumentException("pad_token_id must be >= 0 (or -1 for unset), got " + padTokenId);
        stopStrings = List.copyOf(stopStrings == null ? List.of() : stopStrings);
        for (String s : stopStrings) if (s.isEmpty()) throw new IllegalArgumentException("stop_strings must not contain an empty string");
        if (numBeams > 1 && !stopStrings.isEmpty()) throw new IllegalArgumentException("stop_strings are not supported with num_beams > 1 (got " + numBeams + ")");
        logitsProcessors = List.copyOf(logitsProcessors == null ? List.of() : logitsProcessors);
    }

    /**
     * The former eight-field form (max_new_tokens, do_sample, temperature, top_k, top_p, min_p,
     * repetition_penalty, seed), kept for callers written before the builder; the rest at defaults.
     */
    public GenerationConfig(int maxNewTokens, boolean doSample, float temperature, int topK, float topP, float minP,
                            float repetitionPenalty, long seed) {
        this(20, requireMaxNewTokens(maxNewTokens), 0, doSample, temperature, topK, topP, minP, 1f, repetitionPenalty, 0,
                1, 1f, EarlyStopping.FALSE, 1, List.of(), -1, List.of(), seed, List.of());
    }

    private static int requireMaxNewTokens(int v) {
        if (v < 0) throw new IllegalArgumentException("max_new_tokens must be >= 0, got " + v);
        return v;
    }

    /** Greedy decoding of maxNewTokens tokens. */
    public static GenerationConfig greedy(int maxNewTokens) {
        return builder().maxNewTokens(maxNewTokens).build();
    }

    /** Sampling with temperature, top_k (0 = off), top_p (1 = off) and a seed. */
    public static GenerationConfig sampling(int maxNewTokens, float temperature, int topK, float topP, long seed) {
        return builder().maxNewTokens(maxNewTokens).doSample(true).temperature(temperature).topK(topK).topP(topP).seed(seed).build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.maxLength = maxLength; b.maxNewTokens = maxNewTokens; b.minNewTokens = minNewTokens; b.doSample = doSample;
        b.temperature = temperature; b.topK = topK; b.topP = topP; b.minP = minP; b.typicalP = typicalP;
        b.repetitionPenalty = repetitionPenalty; b.noRepeatNgramSize = noRepeatNgramSize; b.numBeams = numBeams;
        b.lengthPenalty = lengthPenalty; b.earlyStopping = earlyStopping; b.numReturnSequences = numReturnSequences;
        b.eosTokenIds = new ArrayList<>(eosTokenIds); b.padTokenId = padTokenId; b.stopStrings = new ArrayList<>(stopStrings);
        b.seed = seed; b.logitsProcessors = new ArrayList<>(logitsProcessors);
        return b;
    }

    /** How many tokens to generate after a prompt of this length: max_new_tokens, else max_length − prompt. */
    public int maxNewTokens(int promptLength) {
        return maxNewTokens >= 0 ? maxNewTokens : Math.max(0, maxLength - promptLength);
    }

    /** The pad id used for finished sequences: pad_token_id, else the first eos_token_id, else 0. */
    public int resolvedPadTokenId() {
        return padTokenId >= 0 ? padTokenId : eosTokenIds.isEmpty() ? 0 : eosTokenIds.getFirst();
    }

    int[] eosArray() {
        int[] a = new int[eosTokenIds.size()];
        for (int i = 0; i < a.length; i++) a[i] = eosTokenIds.get(i);
        return a;
    }

    /** Mutable builder with HF's defaults; set only what differs. */
    public static final class Builder {
        private int maxLength = 20, maxNewTokens = -1, minNewTokens = 0;
        private boolean doSample = false;
        private float temperature = 1f, topP = 1f, minP = 0f, typicalP = 1f, repetitionPenalty = 1f, lengthPenalty = 1f;
        private int topK = 0, noRepeatNgramSize = 0, numBeams = 1, numReturnSequences = 1, padTokenId = -1;
        private EarlyStopping earlyStopping = EarlyStopping.FALSE;
        private List<Integer> eosTokenIds = new ArrayList<>();
        private List<String> stopStrings = new ArrayList<>();
        private long seed = 0;
        private List<LogitsProcessor> logitsProcessors = new ArrayList<>();

        private Builder() {}

        public Builder maxLength(int v) { maxLength = v; return this; }
        /** Sets max_new_tokens (>= 0); it then wins over max_length. */
        public Builder maxNewTokens(int v) {
            maxNewTokens = requireMaxNewTokens(v);
            return this;
        }
        public Builder minNewTokens(int v) { minNewTokens = v; return this; }
        public Builder doSample(boolean v) { doSample = v; return this; }
        public Builder temperature(float v) { temperature = v; return this; }
        public Builder topK(int v) { topK = v; return this; }
        public Builder topP(float v) { topP = v; return this; }
        public Builder minP(float v) { minP = v; return this; }
        public Builder typicalP(float v) { typicalP = v; return this; }
        public Builder repetitionPenalty(float v) { repetitionPenalty = v; return this; }
        public Builder noRepeatNgramSize(int v) { noRepeatNgramSize = v; return this; }
        public Builder numBeams(int v) { numBeams = v; return this; }
        public Builder lengthPenalty(float v) { lengthPenalty = v; return this; }
        public Builder earlyStopping(EarlyStopping v) { earlyStopping = v; return this; }
        public Builder numReturnSequences(int v) { numReturnSequences = v; return this; }
        public Builder padTokenId(int v) { padTokenId = v; return this; }
        public Builder seed(long v) { seed = v; return this; }

        /** Replaces the EOS ids (HF eos_token_id: one id or a list). */
        public Builder eosTokenId(int... ids) {
            eosTokenIds = new ArrayList<>();
            for (int id : ids) eosTokenIds.add(id);
            return this;
        }

        public Builder stopStrings(List<String> v) { stopStrings = new ArrayList<>(v); return this; }
        public Builder stopStrings(String... v) { return stopStrings(List.of(v)); }
        public Builder addLogitsProcessor(LogitsProcessor p) { logitsProcessors.add(p); return this; }

        public GenerationConfig build() {
            return new GenerationConfig(maxLength, maxNewTokens, minNewTokens, doSample, temperature, topK, topP, minP, typicalP,
                    repetitionPenalty, noRepeatNgramSize, numBeams, lengthPenalty, earlyStopping, numReturnSequences,
                    eosTokenIds, padTokenId, stopStrings, seed, logitsProcessors);
        }
    }
}
