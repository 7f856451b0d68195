// `llm4j quantize`: writes a llama-architecture GGUF (F32, F16, Q8_0 or Q4_0) from a llama2.c checkpoint or a GGUF.
package org.llm4j.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.llm4j.format.GgufModels;
import org.llm4j.format.Llama2c;
import org.llm4j.format.ModelFiles;
import org.llm4j.kernels.DType;
import org.llm4j.model.Llama;
import org.llm4j.tokenizer.SentencePieceBpeTokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "quantize", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Write a Llama model as a GGUF file that llama.cpp's llama architecture reads.",
                "Matrices whose rows are whole 32-value blocks take the type; norm gains and odd widths stay F32."})
public class QuantizeCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "FILE", description = "A llama2.c checkpoint FILE.bin or a GGUF FILE.gguf (llama, SentencePiece tokenizer).")
    Path model;
    @Option(names = "--tokenizer", paramLabel = "FILE", description = "With FILE.bin: llama2.c's tokenizer.bin. Default: tokenizer.bin beside the checkpoint.")
    Path tokenizer;
    @Option(names = "--type", required = true, paramLabel = "TYPE", description = "f32 | f16 | q8_0 | q4_0")
    String type;
    @Option(names = "--out", required = true, paramLabel = "FILE.gguf", description = "Where to write (atomically).")
    Path out;

    @Override
    public Integer call() throws Exception {
        DType t = switch (type.toLowerCase()) {
            case "f32" -> DType.F32;
            case "f16" -> DType.F16;
            case "q8_0" -> DType.Q8_0;
            case "q4_0" -> DType.Q4_0;
            default -> throw new IllegalArgumentException("--type must be f32, f16, q8_0 or q4_0, got '" + type + "'");
        };
        if (!Files.isRegularFile(model)) throw new IllegalArgumentException("--model " + model + ": no such file");
        String name = model.getFileName().toString();
        ModelFiles.Loaded loaded = name.endsWith(".gguf") ? GgufModels.load(model) : Llama2c.loadWithTokenizer(model, tokenizer);
        if (!(loaded.model() instanceof Llama llama) || !(loaded.tokenizer() instanceof SentencePieceBpeTokenizer tok)) {
            throw new IllegalArgumentException(model + ": quantize writes Llama models with a SentencePiece tokenizer");
        }
        GgufModels.writeLlama(out, llama, tok, t, name.replaceFirst("\\.(bin|gguf)$", ""));
        PrintWriter w = spec.commandLine().getOut();
        w.printf("wrote %s: %s, %,d parameters, %s, %.2f MiB%n", out, llama.config(), llama.parameterCount(), t, Files.size(out) / (1024.0 * 1024.0));
        w.flush();
        return 0;
    }
}
