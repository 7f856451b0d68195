// Autoregressive decoding over any LanguageModel with Hugging Face generate() semantics: greedy,
// sampling and beam search, several prompts in lockstep, streaming, stop conditions, log-probs.
package org.llm4j.generate;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;
import org.llm4j.generate.GenerationResult.FinishReason;
import org.llm4j.generate.GenerationResult.Sequence;
import org.llm4j.model.DecodeState;
import org.llm4j.model.LanguageModel;
import org.llm4j.tensor.Rng;
import org.llm4j.tokenizer.StreamDecoder;
import org.llm4j.tokenizer.Tokenizer;

/**
 * Dimension legend: P prompt length, G generated tokens, V vocabulary, N sequences
 * (prompts × num_return_sequences).
 *
 * <p>Several prompts of different lengths are decoded in lockstep: each sequence has its own
 * decoding state (KV cache or hidden state), all advanced together by
 * {@link LanguageModel#stepBatch}. That is what Hugging Face gets with left padding and an
 * attention mask, without the padding: each sequence sees exactly its own tokens, so a batch gives
 * the same tokens as each prompt alone (with max_length, each prompt's budget counts its own
 * length, not the padded one).
 *
 * <p>When a transformer's context is full, the last half of the window is re-read into a fresh
 * state (a sliding window, as nanoGPT crops its context); HF would refuse to go on instead.
 */
public final class Generator {
    private Generator() {}

    /** Receives tokens as they are chosen (greedy and sampling; beam search cannot stream, as in HF). */
    public interface TokenListener {
        /**
         * @param sequence index into {@link GenerationResult#sequences()}
         * @param text     the text this token completes, never part of a multi-byte character (may be
         *                 empty while a character is unfinished); null when no tokenizer was given
         */
        void onToken(int sequence, int token, String text);

        /** The sequence ended; tail is what the stream decoder still held (usually ""; null without a tokenizer). */
        default void onFinish(int sequence, String tail, FinishReason reason) {}
    }

    /**
     * One prompt, no tokenizer: returns prompt + generated ids of the first sequence; each new
     * token goes to onToken (may be null) as soon as it is chosen.
     */
    public static int[] generate(LanguageModel model, int[] prompt, GenerationConfig cfg, IntConsumer onToken) {
        TokenListener l = onToken == null ? null : (s, t, text) -> onToken.accept(t);
        return generate(model, List.of(prompt), cfg, null, l).sequences().getFirst().tokens();
    }

    /** One prompt; tokenizer (may be null unless stop_strings are set) decodes the stream. */
    public static GenerationResult generate(LanguageModel model, int[] prompt, GenerationConfig cfg, Tokenizer tokenizer, TokenListener listener) {
        return generate(model, List.of(prompt), cfg, tokenizer, listener);
    }

    /**
     * The full generate(): every prompt continued under cfg. The tokenizer (may be null) turns the
     * token stream into text for the listener and for stop_strings; listener may be null.
     */
    public static GenerationResult generate(LanguageModel model, List<int[]> prompts, GenerationConfig cfg, Tokenizer tokenizer, TokenListener listener) {
        if (prompts.isEmpty()) throw new IllegalArgumentException("at least one prompt is needed");
        for (int p = 0; p < prompts.size(); p++) {
            if (prompts.get(p) == null || prompts.get(p).length == 0)
                throw new IllegalArgumentException(prompts.size() == 1 ? "the prompt must hold at least one token" : "prompt " + p + " must hold at least one token");
        }
        if (!cfg.stopStrings().isEmpty() && tokenizer == null) throw new IllegalArgumentException("stop_strings need a tokenizer to decode the generated text");
        if (cfg.numBeams() > 1) {
            if (listener != null) throw new IllegalArgumentException("streaming is not supported with beam search (num_beams = " + cfg.numBeams() + ")");
            return BeamSearch.run(model, prompts, cfg);
        }
        return sample(model, prompts, cfg, tokenizer, listener);
    }

    /**
     * The processors of one call in Hugging Face's order: repetition_penalty, no_repeat_ngram_size,
     * [min_new_tokens, which depends on the prompt length], the user's processors, then (when
     * sampling) the warpers temperature, top_k, top_p, min_p, typical_p. The instances hold scratch
     * arrays and are shared by every sequence of the call (one thread).
     */
    record Chain(List<LogitsProcessor> beforeMinNew, List<LogitsProcessor> afterMinNew, GenerationConfig cfg) {
        static Chain of(GenerationConfig cfg, boolean warpers) {
            List<LogitsProcessor> before = new ArrayList<>(), after = new ArrayList<>(cfg.logitsProcessors());
            if (cfg.repetitionPenalty() != 1f) before.add(LogitsProcessor.repetitionPenalty(cfg.repetitionPenalty()));
            if (cfg.noRepeatNgramSize() > 0) before.add(LogitsProcessor.noRepeatNgram(cfg.noRepeatNgramSize()));
            if (warpers) {
                // HF min_tokens_to_keep: beam sampling keeps a non-EOS continuation for every beam
                int keep = cfg.numBeams() > 1 ? Math.max(2, cfg.eosTokenIds().size() + 1) : 1;
                if (cfg.temperature() != 1f) after.add(LogitsProcessor.temperature(cfg.temperature()));
                if (cfg.topK() > 0) after.add(LogitsProcessor.topK(cfg.topK(), keep));
                if (cfg.topP() < 1f) after.add(LogitsProcessor.topP(cfg.topP(), keep));
                if (cfg.minP() > 0f) after.add(LogitsProcessor.minP(cfg.minP(), keep));
                if (cfg.typicalP() < 1f) after.add(LogitsProcessor.typicalP(cfg.typicalP(), keep));
            }
            return new Chain(before, after, cfg);
        }

        /** The whole chain for a prompt of this length. */
        List<LogitsProcessor> forPrompt(int promptLength) {
            List<LogitsProcessor> ps = new ArrayList<>(beforeMinNew);
            if (cfg.minNewTokens() > 0 && !cfg.eosTokenIds().isEmpty()) ps.add(LogitsProcessor.minNewTokens(promptLength, cfg.minNewTokens(), cfg.eosArray()));
            ps.addAll(afterMinNew);
            return ps;
        }
    }

    /**
     * The generator behind sample j of every prompt: sample 0 uses the seed itself, so one prompt
     * and one sample give what a single generator seeded with cfg.seed() gives, and a prompt's
     * samples do not depend on the other prompts of the batch.
     */
    static Rng rngFor(long seed, int sample) {
        return new Rng(seed + 0x9E3779B97F4A7C15L * sample);
    }

    /** One sequence of greedy or sampled decoding. */
    private static final class Row {
        final int index, prompt, promptLength, maxNew;
        final int[] ids;                     // (P + G) prompt then generated
        int len, generated;
        DecodeState state;
        float[] logits;                      // (V) for the next token
        final float[] logprobs, processed;   // (G) each
        final Sampler sampler;
        final List<LogitsProcessor> procs;
        final StreamDecoder decoder;
        final StringBuilder text;            // tail of the decoded text, for stop_strings
        FinishReason reason;

        Row(int index, int prompt, int[] promptIds, int maxNew, Sampler sampler, List<LogitsProcessor> procs, StreamDecoder decoder, StringBuilder text) {
            this.index = index;
            this.prompt = prompt;
            this.promptLength = promptIds.length;
            this.maxNew = maxNew;
            this.ids = java.util.Arrays.copyOf(promptIds, promptIds.length + maxNew);
            this.len = promptIds.length;
            this.logprobs = new float[maxNew];
            this.processed = new float[maxNew];
            this.sampler = sampler;
            this.procs = procs;
            this.decoder = decoder;
            this.text = text;
        }
    }

    private static GenerationResult sample(LanguageModel model, List<int[]> prompts, GenerationConfig cfg, Tokenizer tokenizer, TokenListener listener) {
        int v = model.vocabSize(), n = cfg.numReturnSequences();
        int[] eos = cfg.eosArray();
        Chain chain = Chain.of(cfg, cfg.doSample());
        boolean decode = tokenizer != null && (listener != null || !cfg.stopStrings().isEmpty());
        int maxStop = 0;
        for (String s : cfg.stopStrings()) maxStop = Math.max(maxStop, s.length());
        List<Row> rows = new ArrayList<>();
        for (int p = 0; p < prompts.size(); p++) {
            int[] prompt = prompts.get(p);
            List<LogitsProcessor> procs = chain.forPrompt(prompt.length);
            if (tokenizer != null && tokenizer.vocabSize() < model.vocabSize()) {
                procs = new ArrayList<>(procs);
                procs.addFirst(LogitsProcessor.suppressIdsFrom(tokenizer.vocabSize()));
            }
            DecodeState state = model.newState();
            float[] logits = prefill(model, state, prompt);
            String promptTail = "";
            if (maxStop > 0) {
                String t = tokenizer.decode(prompt);
                promptTail = t.substring(Math.max(0, t.length() - maxStop));
            }
            for (int j = 0; j < n; j++) {
                Sampler sampler = cfg.doSample() ? Sampler.random(rngFor(cfg.seed(), j)) : Sampler.ARGMAX;
                Row r = new Row(rows.size(), p, prompt, cfg.maxNewTokens(prompt.length), sampler, procs,
                        decode ? tokenizer.streamDecoder().after(prompt.length > 0 ? prompt[prompt.length - 1] : -1) : null,
                        maxStop > 0 ? new StringBuilder(promptTail) : null);
                r.state = j == n - 1 ? state : state.copy();  // the samples share one prefill
                r.logits = logits;                            // read-only: processors work on a copy
                rows.add(r);
            }
        }
        float[] work = new float[v];                          // (V) processed scores, reused by every row
        List<Row> active = new ArrayList<>();
        for (Row r : rows) {
            if (r.maxNew == 0) finish(r, FinishReason.LENGTH, listener);
            else active.add(r);
        }
        while (!active.isEmpty()) {
            List<Row> next = new ArrayList<>(active.size());
            for (Row r : active) {
                if (r.logits.length != v) throw new IllegalStateException("the model returned " + r.logits.length + " logits for a vocabulary of " + v);
                System.arraycopy(r.logits, 0, work, 0, v);
                for (LogitsProcessor p : r.procs) p.process(r.ids, r.len, work);
                int t = r.sampler.sample(work);
                double lse = LogitsProcessor.logSumExp(r.logits);
                r.logprobs[r.generated] = (float) (r.logits[t] - lse);
                // without processors the processed scores are the logits: one log-sum-exp serves both
                r.processed[r.generated] = r.procs.isEmpty() ? r.logprobs[r.generated] : (float) (work[t] - LogitsProcessor.logSumExp(work));
                r.ids[r.len++] = t;
                r.generated++;
                String piece = r.decoder == null ? null : r.decoder.next(t);
                if (listener != null) listener.onToken(r.index, t, piece);
                if (contains(eos, t)) finish(r, FinishReason.EOS, listener);
                else if (r.text != null && stopStringEnds(r.text, piece, cfg.stopStrings(), maxStop)) finish(r, FinishReason.STOP_STRING, listener);
                else if (r.generated == r.maxNew) finish(r, FinishReason.LENGTH, listener);
                else next.add(r);
            }
            if (next.isEmpty()) break;
            List<DecodeState> states = new ArrayList<>(next.size());
            int[] tokens = new int[next.size()];
            for (int i = 0; i < tokens.length; i++) {
                Row r = next.get(i);
                r.state = makeRoom(model, r.state, r.ids, r.len);
                states.add(r.state);
                tokens[i] = r.ids[r.len - 1];
            }
            List<float[]> out = model.stepBatch(states, tokens);
            for (int i = 0; i < tokens.length; i++) next.get(i).logits = out.get(i);
            active = next;
        }
        List<Sequence> seqs = new ArrayList<>(rows.size());
        for (Row r : rows) {
            seqs.add(new Sequence(r.prompt, java.util.Arrays.copyOf(r.ids, r.len), r.promptLength,
                    java.util.Arrays.copyOf(r.logprobs, r.generated), java.util.Arrays.copyOf(r.processed, r.generated), r.reason, Double.NaN));
        }
        return new GenerationResult(seqs, cfg.resolvedPadTokenId());
    }

    private static void finish(Row r, FinishReason reason, TokenListener listener) {
        r.reason = reason;
        if (listener != null) listener.onFinish(r.index, r.decoder == null ? null : r.decoder.finish(), reason);
    }

    /**
     * Feeds the prompt (its last contextLength tokens) in one batch (LanguageModel.prefill: matrix
     * products for a transformer) and returns the logits (V) for the first new token.
     */
    static float[] prefill(LanguageModel model, DecodeState state, int[] prompt) {
        int from = Math.max(0, prompt.length - model.contextLength());
        return model.prefill(state, from == 0 ? prompt : java.util.Arrays.copyOfRange(prompt, from, prompt.length));
    }

    /**
     * The state to feed ids[len − 1] to: this one, or when the context is full a fresh one that
     * has re-read the last half window before that token.
     */
    static DecodeState makeRoom(LanguageModel model, DecodeState state, int[] ids, int len) {
        int ctx = model.contextLength();
        if (state.position() < ctx) return state;
        DecodeState fresh = model.newState();
        if (len - 1 > len - ctx / 2) model.prefill(fresh, java.util.Arrays.copyOfRange(ids, len - ctx / 2, len - 1));
        return fresh;
    }

    /**
     * Appends the new piece of text and says whether a stop string now occurs that ends inside it
     * (HF StopStringCriteria: the string may begin in earlier tokens, the prompt included, but the
     * newest token must complete it). Keeps only a bounded tail of the text.
     */
    static boolean stopStringEnds(StringBuilder text, String piece, List<String> stops, int maxStop) {
        if (piece == null || piece.isEmpty()) return false;
        int before = text.length();
        text.append(piece);
        boolean hit = false;
        for (String s : stops) {
            if (text.indexOf(s, Math.max(0, before - s.length() + 1)) >= 0) { hit = true; break; }
        }
        if (text.length() > 4 * maxStop + 256) text.delete(0, text.length() - maxStop);
        return hit;
    }

    static boolean contains(int[] a, int x) {
        for (int y : a) if (y == x) return true;
        return false;
    }
}
