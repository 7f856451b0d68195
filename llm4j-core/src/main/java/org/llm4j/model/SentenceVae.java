// A sentence variational autoencoder (Bowman et al. 2016): LSTM encoder → Gaussian latent z → LSTM decoder.
package org.llm4j.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.llm4j.format.Safetensors;
import org.llm4j.io.AtomicFiles;
import org.llm4j.nn.Module;
import org.llm4j.nn.Recurrent;
import org.llm4j.tensor.Cell;
import org.llm4j.tensor.F;
import org.llm4j.tensor.Grad;
import org.llm4j.tensor.Rng;
import org.llm4j.tensor.Tensor;
import org.llm4j.tokenizer.Tokenizer;
import org.llm4j.tokenizer.WordTokenizer;

/**
 * "Generating Sentences from a Continuous Space" (Bowman, Vilnis, Vinyals, Dai, Jozefowicz,
 * Bengio 2016). For a sentence w_1..w_n:
 * <pre>
 *   h      = LSTM_enc(emb(w_1..w_n)) at step n        (B, D·H)
 *   mu     = W_mu·h + b,  logvar = W_lv·h + b          (B, Z)
 *   z      = mu + e^(logvar/2) ⊙ eps,  eps ~ N(0, I)   (B, Z)  the reparameterisation trick
 *   h0     = tanh(W_z·z + b)                           (1, B, H) the decoder's initial state
 *   y_t    = LSTM_dec([emb(w_{t-1}); z], h0)           (B, n+1, H) w_0 = &lt;s&gt;, z fed at every step
 *   p(w_t) = softmax(W_o·y_t + b)                      targets w_1..w_n, &lt;/s&gt;
 *   loss   = −log p(x|z) + β·KL(q(z|x) ‖ N(0, I))      per sentence, averaged over the batch
 * </pre>
 * Minimising the loss at β = 1 maximises the evidence lower bound; β is annealed from 0 so the
 * decoder does not learn to ignore z first (KL annealing), and word dropout replaces decoder
 * inputs by &lt;unk&gt; so that it cannot predict everything from the previous word.
 * Parameter names are those of a PyTorch module with submodules {@code encoder} and
 * {@code decoder} (nn.LSTM, batch_first) and linear layers named as below.
 */
public final class SentenceVae extends Module {
    // WordTokenizer's fixed ids (padding 0, unknown 1); IGNORE marks targets the loss skips.
    public static final int PAD = 0, UNK = 1, IGNORE = -100;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final SentenceVaeConfig cfg;
    private final Tensor emb, muW, muB, lvW, lvB, zhW, zhB, headW, headB;
    private final Recurrent encoder, decoder;

    public SentenceVae(SentenceVaeConfig cfg, long seed) {
        this.cfg = cfg;
        int v = cfg.vocabSize(), e = cfg.embeddingDim(), h = cfg.hiddenSize(), z = cfg.latentDim();
        int summary = (cfg.bidirectionalEncoder() ? 2 : 1) * h;
        emb = param("embedding.weight", v, e);
        encoder = register("encoder", new Recurrent(new Recurrent.Config(Cell.LSTM, e, h, 1, cfg.bidirectionalEncoder(), 0f, true), seed + 1));
        muW = param("hidden_to_mean.weight", z, summary);
        muB = param("hidden_to_mean.bias", z);
        lvW = param("hidden_to_logvar.weight", z, summary);
        lvB = param("hidden_to_logvar.bias", z);
        zhW = param("latent_to_hidden.weight", h, z);
        zhB = param("latent_to_hidden.bias", h);
        decoder = register("decoder", new Recurrent(Recurrent.Config.of(Cell.LSTM, e + z, h), seed + 2));
        headW = param("head.weight", v, h);
        headB = param("head.bias", v);
        // PyTorch's defaults: embedding N(0, 1), Linear U(−1/√fan_in, 1/√fan_in).
        Rng rng = new Rng(seed);
        rng.fillNormal(emb.data, 1f);
        uniform(rng, summary, muW, muB, lvW, lvB);
        uniform(rng, z, zhW, zhB);
        uniform(rng, h, headW, headB);
    }

    private static void uniform(Rng rng, int fanIn, Tensor... ts) {
        float bound = (float) (1 / Math.sqrt(fanIn));
        for (Tensor t : ts) for (int i = 0; i < t.size(); i++) t.data[i] = (rng.nextFloat() * 2f - 1f) * bound;
    }

    public SentenceVaeConfig config() {
        return cfg;
    }

    // ---------------------------------------------------------------- training

    /**
     * The terms of the loss of one batch. loss = reconstruction + β·kl, a scalar to call
     * backward on; reconstruction is −log p(x|z) summed over each sentence's tokens (its words
     * and &lt;/s&gt;) and kl is KL(q(z|x) ‖ N(0, I)), both averaged over the batch; tokens counts
     * the predicted tokens of the whole batch, for perplexities.
     */
    public record Losses(Tensor loss, double reconstruction, double kl, float beta, int sentences, int tokens) {}

    /**
     * Encodes and reconstructs a batch of sentences (token ids of the tokenizer, at least one
     * each). sampleLatent draws z from q(z|x) with rng (the ELBO); false decodes from the mean.
     * Word dropout applies only while training, also drawn from rng.
     */
    public Losses forward(List<int[]> sentences, float beta, boolean sampleLatent, Rng rng) {
        int b = sentences.size();
        if (b == 0) throw new IllegalArgumentException("sentence VAE: empty batch");
        int t = 0;
        for (int[] s : sentences) t = Math.max(t, s.length);
        int[] lengths = new int[b], encIds = new int[b * t], decIds = new int[b * (t + 1)], targets = new int[b * (t + 1)], decLengths = new int[b];
        Arrays.fill(targets, IGNORE);
        boolean drop = training && cfg.wordDropout() > 0f;
        int tokens = 0;
        for (int i = 0; i < b; i++) {
            int[] s = sentences.get(i);
            if (s.length == 0) throw new IllegalArgumentException("sentence VAE: sentence " + i + " of the batch has no tokens");
            checkIds(s);
            lengths[i] = s.length;
            decLengths[i] = s.length + 1;
            System.arraycopy(s, 0, encIds, i * t, s.length);
            int row = i * (t + 1);
            decIds[row] = cfg.bosId();
            for (int j = 0; j < s.length; j++) {
                decIds[row + j + 1] = drop && rng.nextFloat() < cfg.wordDropout() ? UNK : s[j];
                targets[row + j] = s[j];
            }
            targets[row + s.length] = cfg.eosId();
            tokens += s.length + 1;
        }
        Latent q = posterior(F.embedding(emb, encIds, b, t), lengths);
        Tensor z = q.mu;
        if (sampleLatent) {
            Tensor eps = Tensor.zeros(b, cfg.latentDim());
            rng.fillNormal(eps.data, 1f);
            z = F.add(q.mu, F.mul(F.exp(F.scale(q.logvar, 0.5f)), eps)); // z = mu + σ ⊙ eps
        }
        Tensor logits = teacherForced(z, decIds, b, t + 1, decLengths);        // (B, T+1, V)
        Tensor ce = F.crossEntropy(logits, targets, IGNORE);            // mean over the tokens
        Tensor rec = F.scale(ce, (float) tokens / b);                   // per sentence
        Tensor kl = F.gaussianKl(q.mu, q.logvar);
        Tensor loss = beta == 0f ? rec : F.add(rec, F.scale(kl, beta));
        return new Losses(loss, rec.item(), kl.item(), beta, b, tokens);
    }

    private void checkIds(int[] s) {
        for (int id : s) {
            if (id <= PAD || id >= cfg.bosId()) throw new IllegalArgumentException("sentence VAE: token id " + id + " is not a word of the vocabulary [1, " + cfg.bosId() + ")");
        }
    }

    /** mu and logvar (B, Z) of q(z|x). */
    private record Latent(Tensor mu, Tensor logvar) {}

    private Latent posterior(Tensor x, int[] lengths) {
        Tensor h = encoder.forward(x, lengths, null, null, null).last(); // (B, D·H) at each true end
        return new Latent(F.linear(h, muW, muB), F.linear(h, lvW, lvB));
    }

    /** Teacher-forced decoder: ids (B, T) with lengths, z (B, Z) → logits (B, T, V). */
    private Tensor teacherForced(Tensor z, int[] ids, int b, int t, int[] lengths) {
        int zd = cfg.latentDim(), h = cfg.hiddenSize();
        Tensor h0 = F.reshape(F.tanh(F.linear(z, zhW, zhB)), 1, b, h);
        Tensor zSteps = F.add(Tensor.zeros(b, t, zd), F.reshape(z, b, 1, zd)); // z broadcast to every step
        Tensor in = F.concat(List.of(F.embedding(emb, ids, b, t), zSteps), 2);  // (B, T, E+Z)
        Tensor y = decoder.forward(in, lengths, h0, null, null).output();      // (B, T, H)
        return F.linear(y, headW, headB);
    }

    // ---------------------------------------------------------------- using a trained model

    /** The posterior mean of a sentence (token ids): its point in the latent space. */
    public float[] encode(int[] ids) {
        if (ids.length == 0) throw new IllegalArgumentException("sentence VAE: cannot encode an empty sentence");
        checkIds(ids);
        try (var g = Grad.off()) {
            return posterior(F.embedding(emb, ids, 1, ids.length), null).mu.data.clone();
        }
    }

    /**
     * Decodes a latent point into token ids (without &lt;s&gt; and &lt;/s&gt;), at most maxTokens:
     * greedy when temperature is 0, else sampled from softmax(logits/temperature) with rng.
     * Padding and &lt;s&gt; are never produced.
     */
    public int[] decode(float[] z, int maxTokens, float temperature, Rng rng) {
        return decode(z, maxTokens, temperature, rng, true);
    }

    /**
     * As {@link #decode(float[], int, float, Rng)}; allowUnknown false never emits &lt;unk&gt;
     * (its logit is set to −∞): a small vocabulary makes &lt;unk&gt; the likeliest word in many
     * places, and greedy decoding then shows little else.
     */
    public int[] decode(float[] z, int maxTokens, float temperature, Rng rng, boolean allowUnknown) {
        if (temperature > 0f && rng == null) throw new IllegalArgumentException("sentence VAE: sampling at temperature " + temperature + " needs a random generator");
        if (z.length != cfg.latentDim()) throw new IllegalArgumentException("sentence VAE: latent point has " + z.length + " values, the model " + cfg.latentDim());
        int h = cfg.hiddenSize();
        List<Integer> out = new ArrayList<>();
        try (var g = Grad.off()) {
            Tensor zt = Tensor.of(z.clone(), 1, z.length);
            Tensor hs = F.reshape(F.tanh(F.linear(zt, zhW, zhB)), 1, 1, h), cs = Tensor.zeros(1, 1, h);
            int token = cfg.bosId();
            while (out.size() < maxTokens) {
                Tensor x = F.concat(List.of(F.embedding(emb, new int[]{token}, 1, 1), F.reshape(zt, 1, 1, z.length)), 2); // (1, 1, E+Z)
                Recurrent.Output o = decoder.forward(x, null, hs, cs, null);
                hs = o.hN();
                cs = o.cN();
                float[] logits = F.linear(o.output(), headW, headB).data; // (V)
                logits[PAD] = Float.NEGATIVE_INFINITY;
                logits[cfg.bosId()] = Float.NEGATIVE_INFINITY;
                if (!allowUnknown) logits[UNK] = Float.NEGATIVE_INFINITY;
                token = temperature == 0f ? argmax(logits) : sample(logits, temperature, rng);
                if (token == cfg.eosId()) break;
                out.add(token);
            }
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    private static int argmax(float[] a) {
        int best = 0;
        for (int i = 1; i < a.length; i++) if (a[i] > a[best]) best = i;
        return best;
    }

    private static int sample(float[] logits, float temperature, Rng rng) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) max = Math.max(max, l);
        double[] p = new double[logits.length];
        double sum = 0;
        for (int i = 0; i < p.length; i++) sum += p[i] = Math.exp((logits[i] - max) / temperature);
        double r = rng.nextDouble() * sum;
        for (int i = 0; i < p.length; i++) if ((r -= p[i]) < 0) return i;
        return argmax(logits);
    }

    /** Greedy decoding from the posterior mean of a sentence. */
    public int[] reconstruct(int[] ids, int maxTokens) {
        return reconstruct(ids, maxTokens, true);
    }

    public int[] reconstruct(int[] ids, int maxTokens, boolean allowUnknown) {
        return decode(encode(ids), maxTokens, 0f, null, allowUnknown);
    }

    /** A point of the prior N(0, I), drawn with rng. */
    public float[] samplePrior(Rng rng) {
        float[] z = new float[cfg.latentDim()];
        rng.fillNormal(z, 1f);
        return z;
    }

    /**
     * Homotopy between two sentences (Bowman et al. 2016, section 5.2): greedy decodings of
     * (1−t)·mu_a + t·mu_b at {@code points} evenly spaced t from 0 to 1.
     */
    public List<int[]> interpolate(int[] a, int[] b, int points, int maxTokens) {
        return interpolate(a, b, points, maxTokens, true);
    }

    public List<int[]> interpolate(int[] a, int[] b, int points, int maxTokens, boolean allowUnknown) {
        if (points < 2) throw new IllegalArgumentException("sentence VAE: an interpolation needs at least 2 points, got " + points);
        float[] za = encode(a), zb = encode(b);
        List<int[]> out = new ArrayList<>(points);
        for (int k = 0; k < points; k++) {
            float t = (float) k / (points - 1);
            float[] z = new float[za.length];
            for (int i = 0; i < z.length; i++) z[i] = (1 - t) * za[i] + t * zb[i];
            out.add(decode(z, maxTokens, 0f, null, allowUnknown));
        }
        return out;
    }

    // ---------------------------------------------------------------- files

    public static final String MODEL_TYPE = "sentence_vae";

    /** A saved model and the tokenizer whose ids it reads. */
    public record Loaded(SentenceVae model, WordTokenizer tokenizer) {}

    /** Writes config.json, model.safetensors and tokenizer.json into dir, each atomically (temporary file, fsync, rename). */
    public void save(Path dir, WordTokenizer tokenizer) throws IOException {
        if (tokenizer.vocabSize() + 2 != cfg.vocabSize()) {
            throw new IllegalArgumentException("sentence VAE: the tokenizer has " + tokenizer.vocabSize() + " ids but the model expects " + (cfg.vocabSize() - 2));
        }
        Files.createDirectories(dir);
        ObjectNode c = JSON.createObjectNode();
        c.put("model_type", MODEL_TYPE);
        c.put("vocab_size", cfg.vocabSize());
        c.put("embedding_dim", cfg.embeddingDim());
        c.put("hidden_size", cfg.hiddenSize());
        c.put("latent_dim", cfg.latentDim());
        c.put("bidirectional_encoder", cfg.bidirectionalEncoder());
        c.put("word_dropout", cfg.wordDropout());
        c.put("pad_token_id", PAD);
        c.put("bos_token_id", cfg.bosId());
        c.put("eos_token_id", cfg.eosId());
        AtomicFiles.writeString(dir.resolve("config.json"), c.toPrettyString());
        Safetensors.write(dir.resolve("model.safetensors"), parameters(), Map.of("format", "pt"));
        AtomicFiles.writeString(dir.resolve("tokenizer.json"), tokenizer.toJson());
    }

    /** Reads a folder written by {@link #save}, validating the configuration and every tensor by name and shape. */
    public static Loaded load(Path dir) throws IOException {
        Path cfgFile = dir.resolve("config.json");
        if (!Files.isRegularFile(cfgFile)) throw new IOException(dir + ": not a sentence VAE folder (missing config.json)");
        JsonNode n;
        try {
            n = JSON.readTree(Files.readString(cfgFile));
        } catch (IOException e) {
            throw new IOException(cfgFile + ": not valid JSON: " + e.getMessage());
        }
        if (n == null || !n.isObject()) throw new IOException(cfgFile + ": not a JSON object");
        if (!MODEL_TYPE.equals(n.path("model_type").asText())) {
            throw new IOException(cfgFile + ": model_type is '" + n.path("model_type").asText() + "', expected '" + MODEL_TYPE + "'");
        }
        SentenceVaeConfig cfg;
        try {
            cfg = new SentenceVaeConfig(integer(n, "vocab_size", cfgFile), integer(n, "embedding_dim", cfgFile), integer(n, "hidden_size", cfgFile),
                    integer(n, "latent_dim", cfgFile), n.path("bidirectional_encoder").asBoolean(false), (float) n.path("word_dropout").asDouble(0));
        } catch (IllegalArgumentException e) {
            throw new IOException(cfgFile + ": " + e.getMessage());
        }
        Tokenizer tok = Tokenizer.load(dir.resolve("tokenizer.json"));
        if (!(tok instanceof WordTokenizer words)) throw new IOException(dir.resolve("tokenizer.json") + ": a sentence VAE needs a word tokenizer");
        if (words.vocabSize() + 2 != cfg.vocabSize()) {
            throw new IOException(dir + ": the tokenizer has " + words.vocabSize() + " words but config.json says vocab_size " + cfg.vocabSize() + " (words + <s> + </s>)");
        }
        SentenceVae m = new SentenceVae(cfg, 0);
        Path weights = dir.resolve("model.safetensors");
        m.loadParameters(Safetensors.readTensors(weights), false, weights.toString());
        m.setTraining(false);
        return new Loaded(m, words);
    }

    private static int integer(JsonNode n, String field, Path file) throws IOException {
        JsonNode v = n.get(field);
        if (v == null || !v.canConvertToInt()) throw new IOException(file + ": field '" + field + "' must be an integer");
        return v.asInt();
    }

}
