// Autoregressive decoding over any LanguageModel: prompt prefill, processors, sampler, streaming callback.
package org.llm4j.generate;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntConsumer;
import org.llm4j.model.DecodeState;
import org.llm4j.model.LanguageModel;
import org.llm4j.tensor.Rng;

public final class Generator {
    private Generator() {}

    /** The processors a config asks for, in Hugging Face's order. */
    public static List<LogitsProcessor> processors(GenerationConfig cfg) {
        List<LogitsProcessor> ps = new ArrayList<>();
        if (cfg.repetitionPenalty() != 1f) ps.add(LogitsProcessor.repetitionPenalty(cfg.repetitionPenalty()));
        if (cfg.doSample()) {
            if (cfg.temperature() != 1f) ps.add(LogitsProcessor.temperature(cfg.temperature()));
            if (cfg.topK() > 0) ps.add(LogitsProcessor.topK(cfg.topK()));
            if (cfg.topP() < 1f) ps.add(LogitsProcessor.topP(cfg.topP()));
            if (cfg.minP() > 0f) ps.add(LogitsProcessor.minP(cfg.minP()));
        }
        return ps;
    }

    /**
     * Generates up to maxNewTokens after prompt; each new token goes to onToken as soon as it is
     * chosen (streaming). Returns prompt + generated ids. The KV cache or hidden state carries the
     * context; when a transformer's context is full, the last half of the window is re-read into a
     * fresh cache (a sliding window, as nanoGPT crops its context).
     */
    public static int[] generate(LanguageModel model, int[] prompt, GenerationConfig cfg, IntConsumer onToken) {
        if (prompt.length == 0) throw new IllegalArgumentException("the prompt must hold at least one token");
        List<LogitsProcessor> procs = processors(cfg);
        Sampler sampler = cfg.doSample() ? Sampler.random(new Rng(cfg.seed())) : Sampler.ARGMAX;
        int[] ids = Arrays.copyOf(prompt, prompt.length + cfg.maxNewTokens());
        int len = prompt.length;
        int ctx = model.contextLength();
        int from = Math.max(0, len - ctx);
        DecodeState state = model.newState();
        float[] logits = null;
        for (int i = from; i < len; i++) logits = model.step(state, ids[i]);
        for (int n = 0; n < cfg.maxNewTokens(); n++) {
            float[] work = logits.clone();
            for (LogitsProcessor p : procs) p.process(ids, len, work);
            int next = sampler.sample(work);
            ids[len++] = next;
            if (onToken != null) onToken.accept(next);
            if (n == cfg.maxNewTokens() - 1) break;
            if (state.position() >= ctx) { // context full: re-read the last half of the window
                state = model.newState();
                for (int i = len - ctx / 2; i < len - 1; i++) model.step(state, ids[i]);
            }
            logits = model.step(state, next);
        }
        return Arrays.copyOf(ids, len);
    }
}
