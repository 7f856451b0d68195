// `llm4j generate`: stream a continuation of a prompt from a trained model folder.
package org.llm4j.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.llm4j.format.ModelFiles;
import org.llm4j.generate.GenerationConfig;
import org.llm4j.generate.Generator;
import org.llm4j.tokenizer.ByteLevelBpeTokenizer;
import org.llm4j.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "generate", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Generate text from a model folder (config.json, model.safetensors, tokenizer.json), streaming tokens as they come.")
public class GenerateCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model folder, e.g. runs/quickstart/model (a run folder works too).")
    Path model;
    @Option(names = "--prompt", description = "Text to continue. Default: a newline.", defaultValue = "\n")
    String prompt;
    @Option(names = "--max-new-tokens", description = "Tokens to generate. Default: ${DEFAULT-VALUE}.", defaultValue = "500")
    int maxNewTokens;
    @Option(names = "--greedy", description = "Always take the most likely token (do_sample=false).")
    boolean greedy;
    @Option(names = "--temperature", description = "Sampling temperature. Default: ${DEFAULT-VALUE}.", defaultValue = "0.8")
    float temperature;
    @Option(names = "--top-k", description = "Keep the k most likely tokens; 0 = off. Default: ${DEFAULT-VALUE}.", defaultValue = "0")
    int topK;
    @Option(names = "--top-p", description = "Nucleus sampling mass; 1 = off. Default: ${DEFAULT-VALUE}.", defaultValue = "1.0")
    float topP;
    @Option(names = "--min-p", description = "Drop tokens below min-p x the top probability; 0 = off. Default: ${DEFAULT-VALUE}.", defaultValue = "0")
    float minP;
    @Option(names = "--repetition-penalty", description = "CTRL repetition penalty; 1 = off. Default: ${DEFAULT-VALUE}.", defaultValue = "1.0")
    float repetitionPenalty;
    @Option(names = "--seed", description = "Sampling seed. Default: ${DEFAULT-VALUE}.", defaultValue = "42")
    long seed;

    @Override
    public Integer call() throws Exception {
        Path dir = model;
        if (!Files.exists(dir.resolve("config.json")) && Files.exists(dir.resolve("model").resolve("config.json"))) dir = dir.resolve("model");
        ModelFiles.Loaded loaded = ModelFiles.load(dir);
        Tokenizer tok = loaded.tokenizer();
        GenerationConfig cfg = new GenerationConfig(maxNewTokens, !greedy, temperature, topK, topP, minP, repetitionPenalty, seed);
        int[] ids = tok.encode(prompt);
        PrintWriter w = spec.commandLine().getOut();
        w.print(prompt);
        w.flush();
        long t0 = System.nanoTime();
        // Byte-level BPE splits multi-byte characters across tokens: hold bytes back until whole.
        ByteLevelBpeTokenizer.StreamDecoder bytes = tok instanceof ByteLevelBpeTokenizer b ? b.streamDecoder() : null;
        int[] out = Generator.generate(loaded.model(), ids, cfg, id -> {
            w.print(bytes != null ? bytes.next(id) : tok.decodeToken(id));
            w.flush();
        });
        if (bytes != null) w.print(bytes.finish());
        double secs = (System.nanoTime() - t0) / 1e9;
        w.println();
        System.err.printf("[%d tokens in %.2f s, %.1f tokens/s]%n", out.length - ids.length, secs, (out.length - ids.length) / secs);
        return 0;
    }
}
