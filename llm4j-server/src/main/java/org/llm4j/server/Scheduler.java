// Continuous batching: one decode loop advances every running sequence by one token per iteration
// through LanguageModel.stepBatch, and admits waiting requests between iterations.
package org.llm4j.server;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.llm4j.generate.LogitsProcessor;
import org.llm4j.generate.Sampler;
import org.llm4j.model.DecodeState;
import org.llm4j.model.LanguageModel;
import org.llm4j.tensor.Rng;
import org.llm4j.tokenizer.StreamDecoder;
import org.llm4j.tokenizer.Tokenizer;

/**
 * Dimension legend: B running sequences, P prompt length, G generated tokens, V vocabulary.
 *
 * <p>The model and every decoding state belong to the loop thread alone; request threads only
 * offer jobs to the bounded queue and read their job's event queue. A sequence samples exactly as
 * {@link org.llm4j.generate.Generator} does (processors, then Sampler.random with the seed of
 * choice j), and stepBatch gives the same logits as step, so a request's text does not depend on
 * what else runs beside it.
 */
final class Scheduler implements AutoCloseable {
    /** What the loop tells a request thread. */
    sealed interface Event {
        /** Text released for a choice (may be empty) and, when asked for, the token's log-probabilities. */
        record Token(int choice, String text, TokenLogprob logprob) implements Event {}
        record Finish(int choice, String reason) implements Event {}
        /** Every choice finished: the usage counts. */
        record Done(int promptTokens, int completionTokens) implements Event {}
        record Failed(ApiError error) implements Event {}
    }

    /** A token with its log-probability and the top alternatives (token text, logprob). */
    record TokenLogprob(int id, String token, float logprob, List<Alt> top) {}
    record Alt(int id, String token, float logprob) {}

    /** One request in flight: n choices per prompt, and the events for its HTTP thread. */
    static final class Job {
        final GenRequest req;
        final long arrivedNanos, deadlineNanos;
        final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
        volatile boolean cancelled;
        int running, completionTokens;   // loop thread only
        boolean firstToken;

        Job(GenRequest req, long arrivedNanos, long deadlineNanos) {
            this.req = req;
            this.arrivedNanos = arrivedNanos;
            this.deadlineNanos = deadlineNanos;
        }

        /** The client went away: the loop drops the job's sequences at its next iteration. */
        void cancel() {
            cancelled = true;
        }
    }

    /** One choice being decoded. */
    private static final class Seq {
        final Job job;
        final int choice, promptLength, maxNew;
        final int[] ids;                  // (P + G)
        int len, generated;
        DecodeState state;
        float[] logits;                   // (V) for the next token
        final List<LogitsProcessor> procs;
        final Sampler sampler;
        final StreamDecoder decoder;
        final StringBuilder text = new StringBuilder();   // generated text; [0, emitted) is sent
        int emitted;

        Seq(Job job, int choice, int[] prompt, int maxNew, List<LogitsProcessor> procs, Sampler sampler, StreamDecoder decoder) {
            this.job = job;
            this.choice = choice;
            this.promptLength = prompt.length;
            this.maxNew = maxNew;
            this.ids = java.util.Arrays.copyOf(prompt, prompt.length + maxNew);
            this.len = prompt.length;
            this.procs = procs;
            this.sampler = sampler;
            this.decoder = decoder;
        }
    }

    private final LanguageModel model;
    private final Tokenizer tokenizer;
    private final int[] eos;
    private final ServerOptions opt;
    private final Metrics metrics;
    private final ArrayBlockingQueue<Job> queue;
    private final List<Seq> active = new ArrayList<>();
    private final AtomicInteger activeCount = new AtomicInteger();
    private final Thread loop;
    private volatile boolean running = true;
    private final Object pauseLock = new Object();
    private boolean paused;   // tests: hold the loop so that the queue fills deterministically

    Scheduler(LanguageModel model, Tokenizer tokenizer, int[] eos, ServerOptions opt, Metrics metrics) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.eos = eos.clone();
        this.opt = opt;
        this.metrics = metrics;
        this.queue = new ArrayBlockingQueue<>(opt.queueCapacity());
        this.loop = Thread.ofPlatform().name("llm4j-decode").daemon().unstarted(this::run);
    }

    void start() {
        loop.start();
    }

    int queueDepth() {
        return queue.size();
    }

    int activeSequences() {
        return activeCount.get();
    }

    /** Queues a validated request; 429 when the queue is full. */
    Job submit(GenRequest req, long arrivedNanos) {
        Job job = new Job(req, arrivedNanos, arrivedNanos + opt.timeout().toNanos());
        if (!queue.offer(job)) throw ApiError.busy(1);
        synchronized (pauseLock) {
            pauseLock.notifyAll();   // wake an idle loop
        }
        return job;
    }

    void pause(boolean p) {
        synchronized (pauseLock) {
            paused = p;
            pauseLock.notifyAll();
        }
    }

    @Override
    public void close() {
        running = false;
        pause(false);
        loop.interrupt();
        try {
            loop.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Job j; (j = queue.poll()) != null; ) j.events.add(new Event.Failed(ApiError.internal("The server is shutting down.")));
    }

    private void run() {
        float[] work = new float[model.vocabSize()];   // (V) processed scores, reused by every sequence
        while (running) {
            try {
                admit();
                if (active.isEmpty()) continue;
                iterate(work);
            } catch (InterruptedException e) {
                if (!running) break;
            } catch (RuntimeException | Error e) {
                // NOTE: a failure inside the model fails every running request rather than killing the loop.
                for (Seq s : active) fail(s.job, ApiError.internal("Generation failed: " + e));
                active.clear();
                activeCount.set(0);
            }
        }
        for (Seq s : active) fail(s.job, ApiError.internal("The server is shutting down."));
    }

    /** Moves queued jobs into the batch (prefilling their prompts) while there is room; waits when idle. */
    private void admit() throws InterruptedException {
        while (active.size() < opt.maxBatch()) {
            Job job;
            synchronized (pauseLock) {   // NOTE: polled under the lock, so that after pause(true) no job leaves the queue
                while (running && (paused || (active.isEmpty() && queue.isEmpty()))) pauseLock.wait(200);
                job = running ? queue.poll() : null;
            }
            if (job == null) return;
            if (job.cancelled) {
                metrics.cancelled.increment();
                continue;
            }
            if (System.nanoTime() > job.deadlineNanos) {
                fail(job, ApiError.timeout("The request waited longer than the server's time limit of " + opt.timeout().toSeconds() + " s."));
                continue;
            }
            GenRequest r = job.req;
            metrics.promptTokens.add(r.promptTokens());
            try {
                List<Seq> seqs = new ArrayList<>();
                for (int p = 0; p < r.prompts().size(); p++) {
                    int[] prompt = r.prompts().get(p);
                    DecodeState state = model.newState();
                    float[] logits = model.prefill(state, prompt);
                    for (int j = 0; j < r.n(); j++) {
                        Seq s = new Seq(job, p * r.n() + j, prompt, r.maxTokens(), processors(r, prompt.length, tokenizer.vocabSize(), model.vocabSize()), sampler(r, j), tokenizer.streamDecoder());
                        s.state = j == r.n() - 1 ? state : state.copy();   // the choices share one prefill
                        s.logits = logits;                                  // read-only: processors work on a copy
                        seqs.add(s);
                    }
                }
                job.running = seqs.size();
                active.addAll(seqs);
                activeCount.set(active.size());
            } catch (RuntimeException e) {
                fail(job, ApiError.internal("Prompt processing failed: " + e));
            }
        }
    }

    /** The processors of one choice in Generator's order: the penalties (a user processor), then temperature and top_p. */
    static List<LogitsProcessor> processors(GenRequest r, int promptLength, int tokenizerVocab, int modelVocab) {
        List<LogitsProcessor> ps = new ArrayList<>();
        if (tokenizerVocab < modelVocab) ps.add(LogitsProcessor.suppressIdsFrom(tokenizerVocab)); // ids the tokenizer cannot decode
        if (r.presencePenalty() != 0f || r.frequencyPenalty() != 0f)
            ps.add(LogitsProcessor.presenceFrequencyPenalty(promptLength, r.presencePenalty(), r.frequencyPenalty()));
        if (greedy(r)) return ps;
        if (r.temperature() != 1f) ps.add(LogitsProcessor.temperature(r.temperature()));
        if (r.topP() < 1f) ps.add(LogitsProcessor.topP(r.topP()));
        return ps;
    }

    /** temperature 0 (or top_p 0) means the most likely token, as OpenAI documents. */
    static boolean greedy(GenRequest r) {
        return r.temperature() == 0f || r.topP() == 0f;
    }

    /** Choice j samples with Rng(seed + φ·j), Generator's generator for sample j (φ = 2^64 / golden ratio). */
    static Sampler sampler(GenRequest r, int j) {
        return greedy(r) ? Sampler.ARGMAX : Sampler.random(new Rng(r.seed() + 0x9E3779B97F4A7C15L * j));
    }

    /** One token for every running sequence, then one batched forward pass for those that go on. */
    private void iterate(float[] work) {
        int v = work.length;
        long now = System.nanoTime();
        List<Seq> next = new ArrayList<>(active.size());
        for (Seq s : active) {
            Job job = s.job;
            if (job.cancelled) {
                if (job.running > 0) metrics.cancelled.increment();
                job.running = 0;
                continue;
            }
            if (job.running == 0) continue;             // the job failed or was closed
            if (now > job.deadlineNanos) {
                finish(s, "length", true);
                continue;
            }
            System.arraycopy(s.logits, 0, work, 0, v);
            for (LogitsProcessor p : s.procs) p.process(s.ids, s.len, work);
            int t = s.sampler.sample(work);
            s.ids[s.len++] = t;
            s.generated++;
            job.completionTokens++;
            metrics.generationTokens.increment();
            if (!job.firstToken) {
                job.firstToken = true;
                metrics.timeToFirstToken.observe((System.nanoTime() - job.arrivedNanos) / 1e9);
            }
            TokenLogprob lp = job.req.topLogprobs() >= 0 ? logprob(s.logits, t, job.req.topLogprobs()) : null;
            if (contains(eos, t) || contains(job.req.stopTokens(), t)) {
                if (lp != null) job.events.add(new Event.Token(s.choice, "", lp));
                finish(s, "stop", true);
                continue;
            }
            String reason = release(s, s.decoder.next(t), lp);
            if (reason != null) finish(s, reason, false);
            else if (s.generated == s.maxNew) finish(s, "length", true);
            else next.add(s);
        }
        active.clear();
        if (!next.isEmpty()) {
            List<DecodeState> states = new ArrayList<>(next.size());
            int[] tokens = new int[next.size()];   // (B) each sequence's newest token
            for (int i = 0; i < tokens.length; i++) {
                states.add(next.get(i).state);
                tokens[i] = next.get(i).ids[next.get(i).len - 1];
            }
            List<float[]> out = model.stepBatch(states, tokens);
            metrics.batchSteps.increment();
            for (int i = 0; i < tokens.length; i++) next.get(i).logits = out.get(i);
            active.addAll(next);
        }
        activeCount.set(active.size());
    }

    /**
     * Appends a decoded piece and sends what is safe: text that can no longer become part of a stop
     * string or a blocked string is released; a suffix that could still grow into one is held back.
     * Returns "stop" or "content_filter" when one now occurs (the text before it is sent, it is not).
     */
    private String release(Seq s, String piece, TokenLogprob lp) {
        s.text.append(piece);
        int hit = -1;
        String reason = null;
        for (String stop : s.job.req.stop()) {
            int i = s.text.indexOf(stop, s.emitted);
            if (i >= 0 && (hit < 0 || i < hit)) { hit = i; reason = "stop"; }
        }
        for (String blocked : opt.blockList()) {
            int i = s.text.indexOf(blocked, s.emitted);
            if (i >= 0 && (hit < 0 || i <= hit)) { hit = i; reason = "content_filter"; }
        }
        int upto = hit >= 0 ? hit : s.text.length() - heldBack(s);
        send(s, upto, lp);
        return reason;
    }

    /** The longest unsent suffix of the text that is a proper prefix of a stop or blocked string. */
    private int heldBack(Seq s) {
        int best = 0, avail = s.text.length() - s.emitted;
        for (List<String> patterns : List.of(s.job.req.stop(), opt.blockList())) {
            for (String p : patterns) {
                for (int k = Math.min(p.length() - 1, avail); k > best; k--) {
                    if (endsWith(s.text, p, k)) { best = k; break; }
                }
            }
        }
        return best;
    }

    /** Whether text ends with p[0, k). */
    private static boolean endsWith(StringBuilder text, String p, int k) {
        int from = text.length() - k;
        for (int i = 0; i < k; i++) if (text.charAt(from + i) != p.charAt(i)) return false;
        return true;
    }

    private void send(Seq s, int upto, TokenLogprob lp) {
        String out = s.text.substring(s.emitted, upto);
        s.emitted = upto;
        if (!out.isEmpty() || lp != null) s.job.events.add(new Event.Token(s.choice, out, lp));
    }

    /** Ends a choice; flush = send what was held back (not after a stop or blocked string). */
    private void finish(Seq s, String reason, boolean flush) {
        if (flush) {
            s.text.append(s.decoder.finish());
            String tail = s.text.substring(s.emitted);
            // held-back text may still hold a blocked string's start only, never a whole one: checked on release
            if (!tail.isEmpty()) s.job.events.add(new Event.Token(s.choice, tail, null));
            s.emitted = s.text.length();
        }
        s.job.events.add(new Event.Finish(s.choice, reason));
        if (--s.job.running == 0) s.job.events.add(new Event.Done(s.job.req.promptTokens(), s.job.completionTokens));
    }

    private void fail(Job job, ApiError e) {
        job.running = 0;
        job.events.add(new Event.Failed(e));
    }

    /** log-softmax of the raw logits at the chosen token, and the k most likely tokens. */
    private TokenLogprob logprob(float[] logits, int chosen, int k) {
        double lse = logSumExp(logits);
        List<Alt> top = new ArrayList<>(k);
        if (k > 0) {
            boolean[] taken = new boolean[logits.length];
            for (int r = 0; r < k && r < logits.length; r++) {
                int best = -1;
                for (int i = 0; i < logits.length; i++) if (!taken[i] && (best < 0 || logits[i] > logits[best])) best = i;
                taken[best] = true;
                top.add(new Alt(best, tokenizer.decodeToken(best), (float) (logits[best] - lse)));
            }
        }
        return new TokenLogprob(chosen, tokenizer.decodeToken(chosen), (float) (logits[chosen] - lse), top);
    }

    private static double logSumExp(float[] x) {
        float max = Float.NEGATIVE_INFINITY;
        for (float f : x) max = Math.max(max, f);
        double sum = 0;
        for (float f : x) sum += Math.exp(f - max);
        return max + Math.log(sum);
    }

    private static boolean contains(int[] a, int x) {
        for (int y : a) if (y == x) return true;
        return false;
    }
}
