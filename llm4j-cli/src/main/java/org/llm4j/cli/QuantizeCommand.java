// `llm4j quantize`: writes a GGUF (F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q4_K_M, Q6_K) in llama.cpp's architecture for the model (llama, qwen2, gpt2)
// from a llama2.c checkpoint, a GGUF, or a Hugging Face folder or repository id.
package org.llm4j.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.llm4j.format.GgufModels;
import org.llm4j.format.ModelFiles;
import org.llm4j.format.Quantization;
import org.llm4j.model.LanguageModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "quantize", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Write a model as a GGUF file in the llama.cpp architecture for it: llama (Llama, Mistral), qwen2 or gpt2.",
                "Matrices whose rows are whole blocks take the type; norm gains, biases and odd widths stay F32."})
public class QuantizeCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "FILE|DIR|REPO", description = "A llama2.c checkpoint FILE.bin, a GGUF FILE.gguf, or a Hugging Face model folder or repository id (gpt2, llama, mistral, qwen2).")
    String model;
    @Option(names = "--tokenizer", paramLabel = "FILE", description = "With FILE.bin: llama2.c's tokenizer.bin. Default: tokenizer.bin beside the checkpoint.")
    Path tokenizer;
    @Option(names = "--type", required = true, paramLabel = "TYPE", description = "f32 | f16 | bf16 | q8_0 | q4_0 | q4_k | q4_k_m | q6_k. q4_k_m is llama.cpp's mix (Q6_K for the output head and for attn_v/ffn_down in some layers, Q4_K elsewhere); K-quant matrices whose rows are not whole 256-value super-blocks take Q8_0.")
    String type;
    @Option(names = "--out", required = true, paramLabel = "FILE.gguf", description = "Where to write (atomically).")
    Path out;

    @Override
    public Integer call() throws Exception {
        Quantization t = Quantization.parse("--type", type);
        Path file = Path.of(model);
        ModelFiles.Loaded loaded = Common.loadModel(model, tokenizer);
        LanguageModel lm = loaded.model();
        String name = file.getFileName() == null ? model : file.getFileName().toString().replaceFirst("\\.(bin|gguf)$", "");
        GgufModels.write(out, lm, loaded.tokenizer(), t, name);
        PrintWriter w = spec.commandLine().getOut();
        w.printf("wrote %s: %s, %,d parameters, %s, %.2f MiB%n", out, lm.config(), lm.parameterCount(), t, Files.size(out) / (1024.0 * 1024.0));
        w.flush();
        return 0;
    }
}
