// `llm4j convert`: bring a model from another framework's files into an llm4j model folder.
package org.llm4j.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.llm4j.format.ModelFiles;
import org.llm4j.format.PyTorchLstm;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "convert", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Convert a model into an llm4j model folder (config.json, model.safetensors, tokenizer.json) for 'llm4j generate'.",
                "--from pytorch-lstm: a character LSTM saved from PyTorch (state dict with modules embedding, lstm, head as safetensors)",
                "and its vocabulary as JSON mapping each character to its id."})
public class ConvertCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--from", required = true, paramLabel = "pytorch-lstm", description = "Source format.")
    String from;
    @Option(names = "--weights", required = true, paramLabel = "FILE", description = "model.safetensors")
    Path weights;
    @Option(names = "--vocab", paramLabel = "FILE", description = "vocab.json (pytorch-lstm)")
    Path vocab;
    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Model folder to write.")
    Path out;

    @Override
    public Integer call() throws Exception {
        ModelFiles.Loaded m = switch (from) {
            case "pytorch-lstm" -> {
                if (vocab == null) throw new IllegalArgumentException("--from pytorch-lstm needs --vocab");
                yield PyTorchLstm.load(weights, vocab);
            }
            default -> throw new IllegalArgumentException("--from must be pytorch-lstm, got '" + from + "'");
        };
        ModelFiles.save(out, m.model(), m.tokenizer());
        spec.commandLine().getOut().printf("wrote %s: %s, %,d parameters%n", out, m.model().config(), m.model().parameterCount());
        return 0;
    }
}
