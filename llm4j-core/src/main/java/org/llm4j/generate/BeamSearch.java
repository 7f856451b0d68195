// Beam search (and beam sampling) with Hugging Face's BeamSearchScorer semantics.
package org.llm4j.generate;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import org.llm4j.generate.GenerationConfig.EarlyStopping;
import org.llm4j.generate.GenerationResult.FinishReason;
import org.llm4j.generate.GenerationResult.Sequence;
import org.llm4j.model.DecodeState;
import org.llm4j.model.LanguageModel;
import org.llm4j.tensor.Rng;

/**
 * As transformers' {@code _beam_search} with {@code BeamSearchScorer} and {@code BeamHypotheses}.
 * Each prompt keeps B running beams, each with a score = Σ processed log-probabilities (float32, as
 * HF's tensors). A step:
 * <ol>
 * <li>each beam's scores (V) = processors(log_softmax(logits)) + beam score; at the first step only
 *     beam 0 counts (the others start at −1e9);</li>
 * <li>the K = max(2, 1 + #eos)·B best (beam, token) pairs over all B·V, best first (beam sampling:
 *     K pairs drawn without replacement from softmax over the B·V scores, then sorted);</li>
 * <li>walking them in order: a pair ending in EOS among the first B becomes a finished hypothesis
 *     with score sum / G^length_penalty (G counts the EOS); the others become the next beams until
 *     there are B;</li>
 * <li>the prompt is done once B hypotheses are finished and early_stopping allows it: TRUE at once;
 *     FALSE when the worst finished score ≥ best candidate sum / G^lp; NEVER the same but with the
 *     longest possible G when lp > 0, so no running beam could still win.</li>
 * </ol>
 * At max_new_tokens the running beams join the hypotheses (unless done), and the best
 * num_return_sequences are returned, best first.
 */
final class BeamSearch {
    private BeamSearch() {}

    private static final class Beam {
        int[] ids;          // (P + G)
        int len;
        DecodeState state;
        float[] logits;     // (V) for the next token
        float score;        // Σ processed log-probs
        float[] logprobs, processed; // (G) each, capacity maxNew
    }

    private record Hyp(double score, int[] tokens, float[] logprobs, float[] processed, FinishReason reason) {}

    /** HF BeamHypotheses: the best B finished hypotheses of one prompt. */
    private static final class Hyps {
        final List<Hyp> beams = new ArrayList<>();
        final int numBeams, maxNew;
        final double lengthPenalty;
        final EarlyStopping earlyStopping;
        double worst = 1e9;

        Hyps(GenerationConfig cfg, int maxNew) {
            numBeams = cfg.numBeams();
            lengthPenalty = cfg.lengthPenalty();
            earlyStopping = cfg.earlyStopping();
            this.maxNew = maxNew;
        }

        void add(int[] tokens, float[] logprobs, float[] processed, float sumLogprobs, int generatedLen, FinishReason reason) {
            double score = sumLogprobs / Math.pow(generatedLen, lengthPenalty);
            if (beams.size() < numBeams || score > worst) {
                beams.add(new Hyp(score, tokens, logprobs, processed, reason));
                if (beams.size() > numBeams) {
                    // HF sorts (score, index) pairs and drops the first: the lowest score, earliest on ties
                    int drop = 0;
                    for (int i = 1; i < beams.size(); i++) if (beams.get(i).score < beams.get(drop).score) drop = i;
                    beams.remove(drop);
                    worst = beams.stream().mapToDouble(Hyp::score).min().orElseThrow();
                } else {
                    worst = Math.min(score, worst);
                }
            }
        }

        boolean isDone(float bestSumLogprobs, int generatedLen) {
            if (beams.size() < numBeams) return false;
            return switch (earlyStopping) {
                case TRUE -> true;
                case FALSE -> worst >= bestSumLogprobs / Math.pow(generatedLen, lengthPenalty);
                case NEVER -> worst >= bestSumLogprobs / Math.pow(lengthPenalty > 0 ? maxNew : generatedLen, lengthPenalty);
            };
        }
    }

    /** One prompt's search. */
    private static final class Problem {
        final int prompt, promptLength, maxNew;
        final List<LogitsProcessor> procs;
        final Hyps hyps;
        final Rng rng;
        Beam[] beams;
        int generated;
        boolean done, finished;

        Problem(int prompt, int promptLength, int maxNew, List<LogitsProcessor> procs, Hyps hyps, Rng rng) {
            this.prompt = prompt;
            this.promptLength = promptLength;
            this.maxNew = maxNew;
            this.procs = procs;
            this.hyps = hyps;
            this.rng = rng;
        }
    }

    static GenerationResult run(LanguageModel model, List<int[]> prompts, GenerationConfig cfg) {
        int v = model.vocabSize(), b = cfg.numBeams();
        int[] eos = cfg.eosArray();
        int k = Math.max(2, 1 + eos.length) * b;
        if ((long) b * v < k) throw new IllegalArgumentException("num_beams " + b + " is too large for a vocabulary of " + v + " tokens (num_beams × vocab_size must be >= " + k + ")");
        Generator.Chain chain = Generator.Chain.of(cfg, cfg.doSample());
        List<Problem> problems = new ArrayList<>();
        for (int p = 0; p < prompts.size(); p++) {
            int[] prompt = prompts.get(p);
            int maxNew = cfg.maxNewTokens(prompt.length);
            Problem pr = new Problem(p, prompt.length, maxNew, chain.forPrompt(prompt.length), new Hyps(cfg, maxNew),
                    cfg.doSample() ? Generator.rngFor(cfg.seed(), 0) : null);
            DecodeState state = model.newState();
            float[] logits = Generator.prefill(model, state, prompt);
            pr.beams = new Beam[b];
            for (int i = 0; i < b; i++) {
                Beam be = new Beam();
                be.ids = Arrays.copyOf(prompt, prompt.length + maxNew);
                be.len = prompt.length;
                be.state = state;                 // shared until forked: see the claims below
                be.logits = logits;
                be.score = i == 0 ? 0f : -1e9f;   // only the first beam is live at the start
                be.logprobs = new float[maxNew];
                be.processed = new float[maxNew];
                pr.beams[i] = be;
            }
            if (maxNew == 0) pr.finished = true;
            problems.add(pr);
        }

        // Scratch: one beam's processed log-probs (V); the running top K; for beam sampling all B·V scores.
        float[] work = new float[v];
        float[] topScore = new float[k], topProc = new float[k], topRaw = new float[k];
        int[] topBeam = new int[k], topTok = new int[k];
        float[] flat = cfg.doSample() ? new float[b * v] : null, flatProc = cfg.doSample() ? new float[b * v] : null;
        double[] lse = new double[b];

        while (true) {
            List<DecodeState> states = new ArrayList<>();
            List<Beam> stepping = new ArrayList<>();
            for (Problem pr : problems) {
                if (pr.finished) continue;
                int count = 0;
                for (int bi = 0; bi < b; bi++) {
                    Beam be = pr.beams[bi];
                    if (be.logits.length != v) throw new IllegalStateException("the model returned " + be.logits.length + " logits for a vocabulary of " + v);
                    lse[bi] = LogitsProcessor.logSumExp(be.logits);
                    for (int i = 0; i < v; i++) work[i] = (float) (be.logits[i] - lse[bi]);   // log_softmax
                    for (LogitsProcessor proc : pr.procs) proc.process(be.ids, be.len, work);
                    if (flat != null) {
                        for (int i = 0; i < v; i++) {
                            flatProc[bi * v + i] = work[i];
                            flat[bi * v + i] = work[i] + be.score;
                        }
                        continue;
                    }
                    for (int i = 0; i < v; i++) {   // keep the K best, best first; earlier (beam, token) wins ties
                        float s = work[i] + be.score;
                        if (count == k && !(s > topScore[k - 1])) continue;
                        int pos = count < k ? count++ : k - 1;
                        while (pos > 0 && topScore[pos - 1] < s) {
                            topScore[pos] = topScore[pos - 1]; topProc[pos] = topProc[pos - 1];
                            topBeam[pos] = topBeam[pos - 1]; topTok[pos] = topTok[pos - 1];
                            pos--;
                        }
                        topScore[pos] = s; topProc[pos] = work[i]; topBeam[pos] = bi; topTok[pos] = i;
                    }
                }
                if (flat != null) count = drawWithoutReplacement(flat, flatProc, v, k, pr.rng, topScore, topProc, topBeam, topTok);
                for (int c = 0; c < count; c++) topRaw[c] = (float) (pr.beams[topBeam[c]].logits[topTok[c]] - lse[topBeam[c]]);

                // HF BeamSearchScorer.process
                int generatedLen = pr.generated + 1;
                Beam[] next = new Beam[b];
                // A state goes to the first new beam that extends it and is copied for the others,
                // all before any is stepped. At the start every beam shares the prompt's one state.
                Set<DecodeState> claimed = Collections.newSetFromMap(new IdentityHashMap<>());
                int nb = 0;
                for (int c = 0; c < count && nb < b; c++) {
                    Beam src = pr.beams[topBeam[c]];
                    if (Generator.contains(eos, topTok[c])) {
                        if (c >= b) continue;   // an EOS ranked below the top B does not count
                        int[] tokens = Arrays.copyOf(src.ids, src.len + 1);
                        tokens[src.len] = topTok[c];
                        float[] lp = Arrays.copyOf(src.logprobs, generatedLen), pp = Arrays.copyOf(src.processed, generatedLen);
                        lp[generatedLen - 1] = topRaw[c];
                        pp[generatedLen - 1] = topProc[c];
                        pr.hyps.add(tokens, lp, pp, topScore[c], generatedLen, FinishReason.EOS);
                    } else {
                        Beam be = new Beam();
                        be.ids = Arrays.copyOf(src.ids, src.ids.length);
                        be.len = src.len;
                        be.ids[be.len++] = topTok[c];
                        be.logprobs = Arrays.copyOf(src.logprobs, src.logprobs.length);
                        be.processed = Arrays.copyOf(src.processed, src.processed.length);
                        be.logprobs[generatedLen - 1] = topRaw[c];
                        be.processed[generatedLen - 1] = topProc[c];
                        be.score = topScore[c];
                        be.state = claimed.add(src.state) ? src.state : src.state.copy();
                        next[nb++] = be;
                    }
                }
                if (nb < b) throw new IllegalStateException("beam search found only " + nb + " of " + b + " beams not ending in eos_token_id");
                pr.done = pr.done || pr.hyps.isDone(topScore[0], generatedLen);
                pr.beams = next;
                pr.generated++;
                if (pr.done || pr.generated == pr.maxNew) {
                    pr.finished = true;
                    continue;
                }
                for (Beam be : next) {
                    be.state = Generator.makeRoom(model, be.state, be.ids, be.len);
                    states.add(be.state);
                    stepping.add(be);
                }
            }
            if (stepping.isEmpty()) break;
            int[] tokens = new int[stepping.size()];
            for (int i = 0; i < tokens.length; i++) tokens[i] = stepping.get(i).ids[stepping.get(i).len - 1];
            List<float[]> out = model.stepBatch(states, tokens);
            for (int i = 0; i < tokens.length; i++) stepping.get(i).logits = out.get(i);
        }

        // HF BeamSearchScorer.finalize: running beams join unless the prompt is done; best first.
        List<Sequence> seqs = new ArrayList<>();
        for (Problem pr : problems) {
            if (pr.maxNew == 0) {
                int[] prompt = prompts.get(pr.prompt);
                for (int j = 0; j < cfg.numReturnSequences(); j++) seqs.add(new Sequence(pr.prompt, prompt.clone(), prompt.length, new float[0], new float[0], FinishReason.LENGTH, Double.NaN));
                continue;
            }
            if (!pr.done) {
                for (Beam be : pr.beams) {
                    pr.hyps.add(Arrays.copyOf(be.ids, be.len), Arrays.copyOf(be.logprobs, pr.generated), Arrays.copyOf(be.processed, pr.generated),
                            be.score, pr.generated, FinishReason.LENGTH);
                }
            }
            List<Hyp> sorted = new ArrayList<>(pr.hyps.beams);
            sorted.sort(Comparator.comparingDouble(Hyp::score));    // stable; HF pops from the end
            for (int j = 0; j < cfg.numReturnSequences(); j++) {
                Hyp h = sorted.get(sorted.size() - 1 - j);
                seqs.add(new Sequence(pr.prompt, h.tokens(), pr.promptLength, h.logprobs(), h.processed(), h.reason(), h.score()));
            }
        }
        return new GenerationResult(seqs, cfg.resolvedPadTokenId());
    }

    /**
     * Beam sampling (HF do_sample with num_beams): K (beam, token) pairs drawn without replacement
     * from softmax(flat) over B·V, then sorted by score, best first. flat is consumed (drawn entries
     * set to −∞). Returns K.
     */
    private static int drawWithoutReplacement(float[] flat, float[] flatProc, int v, int k, Rng rng,
                                              float[] topScore, float[] topProc, int[] topBeam, int[] topTok) {
        float[] score = new float[k];
        int[] idx = new int[k];
        for (int c = 0; c < k; c++) {
            float max = Float.NEGATIVE_INFINITY;
            for (float f : flat) max = Math.max(max, f);
            double total = 0;
            for (float f : flat) total += Math.exp(f - max);
            double target = rng.nextDouble() * total, cum = 0;
            int pick = -1;
            for (int i = 0; i < flat.length; i++) {
                if (flat[i] == Float.NEGATIVE_INFINITY) continue;
                cum += Math.exp(flat[i] - max);
                pick = i;
                if (target < cum) break;
            }
            if (pick < 0) throw new IllegalStateException("beam sampling ran out of tokens with non-zero probability");
            score[c] = flat[pick];
            idx[c] = pick;
            flat[pick] = Float.NEGATIVE_INFINITY;
        }
        long[] order = new long[k];
        for (int c = 0; c < k; c++) order[c] = ((long) ~Sorting.sortableBits(score[c]) << 32) | c; // descending by score
        Arrays.sort(order);
        for (int r = 0; r < k; r++) {
            int c = Sorting.index(order[r]);
            topScore[r] = score[c];
            topProc[r] = flatProc[idx[c]];
            topBeam[r] = idx[c] / v;
            topTok[r] = idx[c] % v;
        }
        return k;
    }
}
