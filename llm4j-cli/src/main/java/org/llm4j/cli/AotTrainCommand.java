// `llm4j aot-train` (hidden): the workload bin/llm4j runs once per build to record the JDK's
// ahead-of-time cache (JEP 483/515): classes loaded and linked, and method profiles, so that later
// starts reach the first generated token sooner.
package org.llm4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.llm4j.format.ModelFiles;
import org.llm4j.generate.GenerationConfig;
import org.llm4j.generate.Generator;
import org.llm4j.model.GPTConfig;
import org.llm4j.model.LanguageModel;
import org.llm4j.tokenizer.BpeTrainer;
import org.llm4j.tokenizer.Tokenizer;
import picocli.CommandLine.Command;

@Command(name = "aot-train", hidden = true, description = "Exercise loading and generation once (bin/llm4j records the start-up cache with it).")
public class AotTrainCommand implements Callable<Integer> {
    static final String TEXT = "The quick brown fox jumps over the lazy dog. A language model predicts the next token; "
            + "it learns by reading text and generates by sampling. 0123456789 — naïve café, 東京, emoji 🙂.\n";

    @Override
    public Integer call() throws Exception {
        Path dir = Files.createTempDirectory("llm4j-aot");
        try {
            Tokenizer tok = BpeTrainer.train(TEXT.repeat(20), 300, List.of("<|endoftext|>"));
            LanguageModel m = new GPTConfig(tok.vocabSize(), 128, 2, 2, 64, 0f, 1e-5f).build(1);
            ModelFiles.save(dir, m, tok);
            // Twice, the second time from the binary tokenizer copy (kept in the temporary folder,
            // not the user's cache), as every later start of the same model loads it.
            String cache = System.getProperty("llm4j.cache");
            System.setProperty("llm4j.cache", dir.resolve("cache").toString());
            ModelFiles.Loaded loaded;
            try {
                ModelFiles.load(dir);
                loaded = ModelFiles.load(dir);
            } finally {
                if (cache == null) System.clearProperty("llm4j.cache");
                else System.setProperty("llm4j.cache", cache);
            }
            Tokenizer t2 = loaded.tokenizer();
            for (int r = 0; r < 3; r++) {
                // A long prompt (the batched prefill) and a short one (the decoding loops).
                int[] prompt = t2.encode(r == 1 ? "The quick brown fox" : TEXT);
                int[] out = Generator.generate(loaded.model(), prompt, GenerationConfig.sampling(24, 0.8f, 40, 0.95f, r), null);
                t2.decode(out);
            }
            // A tiny Llama through GGUF (Q8_0, F32 and Q4_K_M) and its SentencePiece vocabulary: the classes
            // and profiles of `llm4j generate|chat --model FILE.gguf`.
            var llama = new org.llm4j.model.LlamaConfig(300, 64, 128, 2, 4, 2, 64, 1e-5f, 10000f,
                    org.llm4j.model.LlamaConfig.RopeStyle.INTERLEAVED, false).build(1);
            llama.setTraining(false);
            // Q4_K_M needs rows of whole 256-value super-blocks: a 256-wide model for the K-quant kernels.
            var wide = new org.llm4j.model.LlamaConfig(300, 256, 256, 1, 4, 2, 64, 1e-5f, 10000f,
                    org.llm4j.model.LlamaConfig.RopeStyle.INTERLEAVED, false).build(1);
            wide.setTraining(false);
            for (org.llm4j.format.Quantization t : new org.llm4j.format.Quantization[] {
                    org.llm4j.format.Quantization.Q8_0, org.llm4j.format.Quantization.F32, org.llm4j.format.Quantization.Q4_K_M}) {
                Path gguf = dir.resolve("tiny-" + t + ".gguf");
                org.llm4j.format.GgufModels.write(gguf, t == org.llm4j.format.Quantization.Q4_K_M ? wide : llama, BenchCommand.placeholderVocabulary(300), t, "aot-train");
                ModelFiles.Loaded g = org.llm4j.format.GgufModels.load(gguf);
                int[] prompt = g.tokenizer().encode("The quick brown fox");
                int[] out = Generator.generate(g.model(), java.util.Arrays.copyOf(prompt, Math.min(prompt.length, 6)), GenerationConfig.sampling(16, 0.8f, 40, 0.95f, 7), null);
                g.tokenizer().decode(out);
            }
            return 0;
        } finally {
            try (var files = Files.walk(dir)) {
                for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
            }
        }
    }
}
