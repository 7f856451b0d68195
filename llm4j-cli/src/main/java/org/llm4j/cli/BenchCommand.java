// `llm4j bench`: end-to-end figures (training tokens/s, decoding tokens/s) and the kernel benchmark.
package org.llm4j.cli;

import java.io.PrintWriter;
import java.util.Arrays;
import java.util.concurrent.Callable;
import org.llm4j.generate.GenerationConfig;
import org.llm4j.generate.Generator;
import org.llm4j.model.GPTConfig;
import org.llm4j.model.LanguageModel;
import org.llm4j.model.LstmConfig;
import org.llm4j.model.ModelConfig;
import org.llm4j.tensor.F;
import org.llm4j.tensor.Rng;
import org.llm4j.train.DataParallelStep;
import org.llm4j.train.TokenData;
import org.llm4j.util.Machine;
import org.llm4j.optim.AdamW;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Benchmarks. WHAT is one of:",
                "  train     training tokens/s of a GPT (nanoGPT's shakespeare-char CPU config by default) or LSTM",
                "  generate  decoding tokens/s with the KV cache, and prompt processing tokens/s with --prompt-tokens N",
                "            (random weights, or a model folder with --model-dir, read memory-mapped; --write-model DIR saves the random one)",
                "  matmul    matrix-multiply GFLOP/s at GPT-2 shapes (kernel benchmark)",
                "Each prints the machine, the configuration and the figure (median over repetitions)."})
public class BenchCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @picocli.CommandLine.Mixin Common.DataOptions data = new Common.DataOptions();

    @Parameters(index = "0", paramLabel = "WHAT", description = "train | generate | matmul")
    String what;
    // matmul: the kernel benchmark's own options (--threads 1,2 --reps 9 --warmup-ms 300 --ops NN,NT,TN --shapes MxKxN,... --csv)
    @picocli.CommandLine.Unmatched
    java.util.List<String> rest = new java.util.ArrayList<>();

    @Option(names = "--model", description = "gpt | lstm | gpt2-124m | llama (sizes from --n-layer, --n-head, --kv-heads, --n-embd, --hidden, --vocab, --block-size). Default: ${DEFAULT-VALUE}.", defaultValue = "gpt")
    String model;
    @Option(names = "--n-layer", defaultValue = "4", description = "Default: ${DEFAULT-VALUE}.") int nLayer;
    @Option(names = "--n-head", defaultValue = "4", description = "Default: ${DEFAULT-VALUE}.") int nHead;
    @Option(names = "--n-embd", defaultValue = "128", description = "GPT width or LSTM embedding. Default: ${DEFAULT-VALUE}.") int nEmbd;
    @Option(names = "--hidden", defaultValue = "512", description = "LSTM hidden size, or Llama MLP width. Default: ${DEFAULT-VALUE}.") int hidden;
    @Option(names = "--kv-heads", defaultValue = "0", description = "Llama key/value heads; 0 = --n-head. Default: ${DEFAULT-VALUE}.") int kvHeads;
    @Option(names = "--write-gguf", paramLabel = "FILE", description = "generate --model llama|gpt: save the random-weight model as a GGUF (with a placeholder vocabulary of byte tokens) in --dtype and stop.")
    java.nio.file.Path writeGguf;
    @Option(names = "--dtype", defaultValue = "f32", description = "With --write-gguf: f32 | f16 | bf16 | q8_0 | q4_0 | q4_k | q4_k_m | q6_k (as llm4j quantize --type). Default: ${DEFAULT-VALUE}.") String dtype;
    @Option(names = "--vocab", defaultValue = "65", description = "Vocabulary size. Default: ${DEFAULT-VALUE}.") int vocab;
    @Option(names = "--block-size", defaultValue = "64", description = "T. Default: ${DEFAULT-VALUE}.") int blockSize;
    @Option(names = "--batch-size", defaultValue = "12", description = "B. Default: ${DEFAULT-VALUE}.") int batchSize;
    @Option(names = "--warmup", defaultValue = "10", description = "Untimed steps first. Default: ${DEFAULT-VALUE}.") int warmup;
    @Option(names = "--iters", defaultValue = "50", description = "Timed steps (or tokens for generate). Default: ${DEFAULT-VALUE}.") int iters;
    @Option(names = "--model-dir", paramLabel = "DIR|FILE.bin", description = "generate: benchmark this model folder, llama2.c FILE.bin or GGUF FILE.gguf (weights memory-mapped) instead of random weights.")
    java.nio.file.Path modelDir;
    @Option(names = "--write-model", paramLabel = "DIR", description = "generate: save the random-weight model as a model folder and stop (with GPT-2's tokenizer from the mirror when the vocabulary is 50257).")
    java.nio.file.Path writeModel;
    @Option(names = "--prompt-tokens", defaultValue = "0", description = "generate: also time processing a prompt of N tokens in one batch; 0 = off. Default: ${DEFAULT-VALUE}.") int promptTokens;
    @Option(names = "--warmup-runs", defaultValue = "5", description = "Untimed whole generations before the timed one. Default: ${DEFAULT-VALUE}.") int warmupRuns;

    @Override
    public Integer call() throws Exception {
        PrintWriter w = spec.commandLine().getOut();
        if (!what.equals("matmul") && !rest.isEmpty()) throw new IllegalArgumentException("bench " + what + ": unknown options " + rest);
        w.println("machine: " + Machine.describe() + ", kernels " + F.kernels().getClass().getSimpleName());
        switch (what) {
            case "train" -> benchTrain(w);
            case "generate" -> benchGenerate(w);
            case "matmul" -> w.print(org.llm4j.kernels.KernelBench.run(rest.toArray(new String[0])));
            default -> throw new IllegalArgumentException("bench: WHAT must be train, generate or matmul, got '" + what + "'");
        }
        w.flush();
        return 0;
    }

    ModelConfig config() {
        return switch (model) {
            case "gpt" -> new GPTConfig(vocab, blockSize, nLayer, nHead, nEmbd, 0f, 1e-5f);
            case "gpt2-124m" -> GPTConfig.gpt2Small();
            case "lstm" -> new LstmConfig(vocab, nEmbd, hidden, nLayer, 0f);
            case "llama" -> new org.llm4j.model.LlamaConfig(vocab, nEmbd, hidden, nLayer, nHead, kvHeads > 0 ? kvHeads : nHead, blockSize,
                    1e-5f, 10000f, org.llm4j.model.LlamaConfig.RopeStyle.INTERLEAVED, false);
            default -> throw new IllegalArgumentException("--model must be gpt, gpt2-124m, lstm or llama, got '" + model + "'");
        };
    }

    void benchTrain(PrintWriter w) {
        ModelConfig cfg = config();
        LanguageModel m = cfg.build(1);
        w.printf("config: %s, %,d parameters, B=%d T=%d, %d data-parallel shards, AdamW + clip%n", cfg, m.parameterCount(),
                batchSize, blockSize, DataParallelStep.shardsFor(batchSize, m.parameterCount()));
        w.flush();
        Rng rng = new Rng(1);
        int[] data = new int[200_000];
        for (int i = 0; i < data.length; i++) data[i] = rng.nextInt(cfg.vocabSize());
        AdamW opt = AdamW.forModel(m, 0.9f, 0.99f, 1e-8f, 0.1f);
        int[] x = new int[batchSize * blockSize], y = new int[batchSize * blockSize];
        DataParallelStep step = new DataParallelStep(m, batchSize, blockSize);
        double[] ms = new double[iters];
        for (int i = -warmup; i < iters; i++) {
            long t0 = System.nanoTime();
            TokenData.sample(data, batchSize, blockSize, rng, x, y);
            step.run(m, x, y);
            opt.clipGradNorm(1.0);
            opt.step(1e-4f);
            m.zeroGrad();
            if (i >= 0) ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        double med = median(ms);
        w.printf("train: median %.2f ms/step, %.0f tokens/s (p10 %.2f ms, p90 %.2f ms over %d steps)%n", med,
                batchSize * blockSize / (med / 1000), pct(ms, 0.1), pct(ms, 0.9), iters);
    }

    void benchGenerate(PrintWriter w) throws java.io.IOException {
        LanguageModel m;
        if (modelDir != null) {
            String f = modelDir.toString();
            boolean file = java.nio.file.Files.isRegularFile(modelDir);
            m = file && f.endsWith(".bin") ? org.llm4j.format.Llama2c.load(modelDir)
                    : file && f.endsWith(".gguf") ? org.llm4j.format.GgufModels.load(modelDir).model()
                    : org.llm4j.format.ModelFiles.load(modelDir).model();
        } else {
            m = config().build(1);
        }
        m.setTraining(false);
        if (writeGguf != null) {
            if (!(m instanceof org.llm4j.model.Llama) && !(m instanceof org.llm4j.model.GPT)) throw new IllegalArgumentException("--write-gguf needs --model llama, gpt or gpt2-124m");
            org.llm4j.format.Quantization t = org.llm4j.format.Quantization.parse("--dtype", dtype);
            org.llm4j.tokenizer.Tokenizer vocabulary = m instanceof org.llm4j.model.Llama ? placeholderVocabulary(m.vocabSize()) : byteLevelPlaceholder(m.vocabSize());
            org.llm4j.format.GgufModels.write(writeGguf, m, vocabulary, t, m instanceof org.llm4j.model.Llama ? "random-llama" : "random-gpt2");
            w.printf("wrote %s: %s, %,d parameters, %s, %.1f MiB%n", writeGguf, m.config(), m.parameterCount(), t, java.nio.file.Files.size(writeGguf) / 1048576.0);
            return;
        }
        if (writeModel != null) {
            java.nio.file.Path gpt2 = data.store().mirror().map(p -> p.resolve("gpt2-tokenizer")).orElse(null);
            org.llm4j.tokenizer.Tokenizer tok = m.vocabSize() == 50257 && gpt2 != null && java.nio.file.Files.isDirectory(gpt2)
                    ? org.llm4j.tokenizer.Tokenizer.load(gpt2.resolve("tokenizer.json"))
                    : org.llm4j.tokenizer.CharTokenizer.fit("abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ.,;:!?'\n-");
            org.llm4j.format.ModelFiles.save(writeModel, m, tok);
            w.printf("wrote %s: %s, %,d parameters%n", writeModel, m.config(), m.parameterCount());
            return;
        }
        w.printf("config: %s, %,d parameters, batch 1, %s%n", m.config(), m.parameterCount(),
                m instanceof org.llm4j.nn.Module mod && mod.isMapped() ? "weights memory-mapped from " + modelDir : "f32 on the heap");
        if (promptTokens > 0) benchPrefill(w, m);
        int n = Math.min(iters, m.contextLength() - 1);
        // whole untimed generations first, so that the timed one runs JIT-compiled code
        for (int r = 0; r < warmupRuns; r++) Generator.generate(m, new int[]{0}, GenerationConfig.greedy(n), null);
        double[] perTok = new double[n];
        long[] last = {System.nanoTime()};
        int[] k = {0};
        Generator.generate(m, new int[]{0}, GenerationConfig.greedy(n), id -> {
            long now = System.nanoTime();
            perTok[k[0]++] = (now - last[0]) / 1e6;
            last[0] = now;
        });
        double med = median(Arrays.copyOfRange(perTok, 1, n));
        w.printf("generate: median %.2f ms/token, %.1f tokens/s over %d tokens%n", med, 1000 / med, n);
        // The memory-bandwidth bound: every weight matrix is read once per token (the position
        // table only one row), so tokens/s cannot exceed copy bandwidth / those bytes.
        long bytes = 0;
        for (var e : m.parameters().entrySet()) {
            if (e.getKey().endsWith("wpe.weight")) continue;
            bytes += e.getValue().dtype().byteSize(e.getValue().size());
        }
        double gbs = copyBandwidth();
        w.printf("bound: %.1f MB of weights per token, memory bandwidth %.1f GB/s (copy: read + write) -> at most %.1f tokens/s (%.0f%% reached)%n",
                bytes / 1e6, gbs, gbs * 1e9 / bytes, 100 * (1000 / med) / (gbs * 1e9 / bytes));
    }

    // Prompt processing: promptTokens random ids through prefill (one batch), median of several runs.
    void benchPrefill(PrintWriter w, LanguageModel m) {
        int n = Math.min(promptTokens, m.contextLength());
        Rng rng = new Rng(7);
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) ids[i] = (int) (rng.nextDouble() * m.vocabSize());
        for (int r = 0; r < Math.max(1, warmupRuns / 2); r++) m.prefill(m.newState(), ids);
        int runs = 5;
        double[] ms = new double[runs];
        for (int r = 0; r < runs; r++) {
            long t0 = System.nanoTime();
            m.prefill(m.newState(), ids);
            ms[r] = (System.nanoTime() - t0) / 1e6;
        }
        double med = median(ms);
        w.printf("prompt: %d tokens in median %.1f ms = %.1f tokens/s (min %.1f ms over %d runs)%n", n, med, n / (med / 1000), pct(ms, 0), runs);
        w.flush();
    }

    // Memory bandwidth in GB/s from copying a 256 MB array into another with every core (each thread
    // one slice, System.arraycopy): bytes read plus bytes written per second, best of 5. Decoding
    // only reads the weights, so tokens/s is bounded by this traffic / weight bytes per token.
    static double copyBandwidth() {
        float[] a = new float[64 << 20], b = new float[64 << 20];
        java.util.Arrays.fill(a, 1f);
        int threads = Runtime.getRuntime().availableProcessors(), slice = a.length / threads;
        double best = 0;
        for (int r = 0; r < 6; r++) {
            Thread[] ts = new Thread[threads];
            long t0 = System.nanoTime();
            for (int i = 0; i < threads; i++) {
                int from = i * slice, len = i == threads - 1 ? a.length - from : slice;
                ts[i] = Thread.ofPlatform().start(() -> System.arraycopy(a, from, b, from, len));
            }
            for (Thread t : ts) {
                try {
                    t.join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return best;
                }
            }
            double sec = (System.nanoTime() - t0) / 1e9;
            if (r > 0) best = Math.max(best, 2 * 4.0 * a.length / sec / 1e9); // read + write traffic
        }
        return best;
    }

    // <unk>, <s>, </s>, the 256 byte tokens, "▁" (a space: without it, the dummy-prefix space falls back to bytes, which
    // llm4j spells <0x20> as llama2.c and llama.cpp as the UTF-8 of U+2581), then "t260".."tN": enough for a GGUF that
    // loads; not a real vocabulary.
    static org.llm4j.tokenizer.SentencePieceBpeTokenizer placeholderVocabulary(int n) {
        if (n < 260) throw new IllegalArgumentException("--write-gguf needs --vocab of at least 260 (control, byte and space tokens)");
        java.util.List<String> pieces = new java.util.ArrayList<>(n);
        var types = new org.llm4j.tokenizer.SentencePieceBpeTokenizer.TokenType[n];
        for (int i = 0; i < n; i++) {
            pieces.add(i == 0 ? "<unk>" : i == 1 ? "<s>" : i == 2 ? "</s>" : i < 259 ? String.format("<0x%02X>", i - 3) : i == 259 ? " " : "t" + i);
            types[i] = i == 0 ? org.llm4j.tokenizer.SentencePieceBpeTokenizer.TokenType.UNKNOWN : i < 3 ? org.llm4j.tokenizer.SentencePieceBpeTokenizer.TokenType.CONTROL
                    : i < 259 ? org.llm4j.tokenizer.SentencePieceBpeTokenizer.TokenType.BYTE : org.llm4j.tokenizer.SentencePieceBpeTokenizer.TokenType.NORMAL;
        }
        return new org.llm4j.tokenizer.SentencePieceBpeTokenizer(pieces, new float[n], types, 1, 2, 0, true, true);
    }

    // The 256 byte tokens and <|endoftext|>, no merges (the GGUF pads the rest with [PAD] tokens).
    static org.llm4j.tokenizer.ByteLevelBpeTokenizer byteLevelPlaceholder(int n) {
        if (n < 257) throw new IllegalArgumentException("--write-gguf needs --vocab of at least 257 (byte tokens and <|endoftext|>)");
        java.util.List<String> tokens = new java.util.ArrayList<>(257);
        for (int b = 0; b < 256; b++) tokens.add(org.llm4j.tokenizer.ByteLevel.toUnicode(new byte[] {(byte) b}));
        tokens.add("<|endoftext|>");
        return org.llm4j.tokenizer.ByteLevelBpeTokenizer.of(tokens, java.util.List.of(), java.util.List.of("<|endoftext|>"));
    }

    static double median(double[] a) {
        return pct(a, 0.5);
    }

    static double pct(double[] a, double q) {
        double[] s = a.clone();
        Arrays.sort(s);
        return s[Math.min(s.length - 1, (int) Math.floor(q * (s.length - 1) + 0.5))];
    }

}
