// `llm4j info`: what a model folder or Hub repository holds: architecture, parameters, dtypes, memory.
package org.llm4j.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.llm4j.format.ModelFiles;
import org.llm4j.model.GPTConfig;
import org.llm4j.model.LanguageModel;
import org.llm4j.model.LstmConfig;
import org.llm4j.tensor.Tensor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Describe a model: configuration, parameter count, weight types and sizes, memory for inference, tokenizer.")
public class InfoCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(paramLabel = "DIR|REPO|FILE", description = "A model folder (config.json, model.safetensors, tokenizer), a Hugging Face repository id such as gpt2, a GGUF FILE.gguf, or a llama2.c FILE.bin (with tokenizer.bin beside it).")
    String model;

    @Override
    public Integer call() throws Exception {
        Path dir;
        ModelFiles.Loaded loaded;
        dir = Common.resolveModel(model);
        loaded = Common.loadModel(dir, null);
        LanguageModel m = loaded.model();
        PrintWriter w = spec.commandLine().getOut();
        w.printf("model:      %s%n", dir.toAbsolutePath());
        switch (m.config()) {
            case GPTConfig g -> {
                w.printf("type:       GPT-2 (gpt2): %d layers, %d heads, width %d, context %d, vocabulary %d, layer-norm eps %g%n",
                        g.nLayer(), g.nHead(), g.nEmbd(), g.blockSize(), g.vocabSize(), g.layerNormEps());
            }
            case org.llm4j.model.LlamaConfig l -> w.printf("type:       Llama: %d layers, %d heads (%d key/value), width %d, MLP %d, context %d, vocabulary %d, RoPE %s pairs%n",
                    l.nLayers(), l.nHeads(), l.nKvHeads(), l.dim(), l.hiddenDim(), l.seqLen(), l.vocabSize(), l.rope().name().toLowerCase());
            case LstmConfig l -> w.printf("type:       LSTM language model: %d layers, embedding %d, hidden %d, vocabulary %d%n",
                    l.numLayers(), l.embeddingDim(), l.hiddenSize(), l.vocabSize());
        }
        Map<String, long[]> byType = new TreeMap<>(); // dtype -> {tensors, elements, bytes}
        long bytes = 0;
        for (Tensor t : m.parameters().values()) {
            long[] acc = byType.computeIfAbsent(t.dtype().name(), k -> new long[3]);
            acc[0]++;
            acc[1] += t.size();
            acc[2] += t.dtype().byteSize(t.size());
            bytes += t.dtype().byteSize(t.size());
        }
        w.printf("parameters: %,d%n", m.parameterCount());
        StringBuilder types = new StringBuilder();
        byType.forEach((k, v) -> types.append(types.isEmpty() ? "" : ", ").append(String.format("%s %d tensors %s", k, v[0], mib(v[2]))));
        w.printf("weights:    %s (%s)%n", types, m instanceof org.llm4j.nn.Module mod && mod.isMapped() ? "memory-mapped, read in place" : "on the heap");
        if (m.config() instanceof GPTConfig g) {
            long kv = 2L * g.nLayer() * g.blockSize() * g.nEmbd() * 4;
            w.printf("memory:     weights %s + KV cache %s per sequence at full context (%d tokens)%n", mib(bytes), mib(kv), g.blockSize());
            w.printf("decode:     reads about %s of weights per token (bound: that / memory bandwidth)%n", mib(bytes - (long) g.blockSize() * g.nEmbd() * 4));
        } else {
            w.printf("memory:     weights %s%n", mib(bytes));
        }
        w.printf("tokenizer:  %s, %,d tokens%n", loaded.tokenizer().getClass().getSimpleName(), loaded.tokenizer().vocabSize());
        if (!loaded.generationConfig().isEmpty()) w.printf("generation: %s%n", loaded.generationConfig());
        w.flush();
        return 0;
    }

    static String mib(long bytes) {
        return String.format("%.1f MiB", bytes / (1024.0 * 1024.0));
    }
}
