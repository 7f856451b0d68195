// `llm4j convert`: between Hugging Face model folders, llm4j training checkpoints and PyTorch LSTM exports.
package org.llm4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.llm4j.format.ModelFiles;
import org.llm4j.format.PyTorchLstm;
import org.llm4j.kernels.DType;
import org.llm4j.model.LanguageModel;
import org.llm4j.optim.AdamW;
import org.llm4j.tensor.Rng;
import org.llm4j.train.Checkpoint;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "convert", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Convert a model between formats.",
                "--from hf: a Hugging Face model folder or repository id (--model); --from checkpoint: an llm4j training checkpoint (--checkpoint);",
                "--from pytorch-lstm: a character LSTM saved from PyTorch (--weights, --vocab).",
                "--to hf (default) writes a model folder (config.json, model.safetensors, tokenizer.json) in --dtype;",
                "--to checkpoint writes OUT/checkpoint.safetensors, which 'llm4j train --resume --out OUT' continues from."})
public class ConvertCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--from", required = true, paramLabel = "hf|checkpoint|pytorch-lstm", description = "Source format.")
    String from;
    @Option(names = "--to", paramLabel = "hf|checkpoint", description = "Target format. Default: ${DEFAULT-VALUE}.", defaultValue = "hf")
    String to;
    @Option(names = "--model", paramLabel = "DIR|REPO", description = "Hugging Face model folder or repository id (--from hf).")
    String model;
    @Option(names = "--checkpoint", paramLabel = "FILE", description = "llm4j training checkpoint (--from checkpoint), e.g. runs/train/checkpoint.safetensors.")
    Path checkpoint;
    @Option(names = "--weights", paramLabel = "FILE", description = "model.safetensors (--from pytorch-lstm)")
    Path weights;
    @Option(names = "--vocab", paramLabel = "FILE", description = "vocab.json (--from pytorch-lstm)")
    Path vocab;
    @Option(names = "--dtype", paramLabel = "f32|f16|bf16", description = "Weight type of the written model folder (vectors stay f32). Default: ${DEFAULT-VALUE}.", defaultValue = "f32")
    String dtype;
    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Folder to write.")
    Path out;

    @Override
    public Integer call() throws Exception {
        DType type = switch (dtype.toLowerCase(Locale.ROOT)) {
            case "f32", "float32" -> DType.F32;
            case "f16", "float16" -> DType.F16;
            case "bf16", "bfloat16" -> DType.BF16;
            default -> throw new IllegalArgumentException("--dtype must be f32, f16 or bf16, got '" + dtype + "'");
        };
        if (!to.equals("hf") && !to.equals("checkpoint")) throw new IllegalArgumentException("--to must be hf or checkpoint, got '" + to + "'");
        ModelFiles.Loaded m = switch (from) {
            case "hf" -> {
                if (model == null) throw new IllegalArgumentException("--from hf needs --model DIR|REPO");
                yield ModelFiles.load(Common.modelFolder(model), to.equals("checkpoint"));
            }
            case "checkpoint" -> {
                if (checkpoint == null) throw new IllegalArgumentException("--from checkpoint needs --checkpoint FILE");
                if (!Files.isRegularFile(checkpoint)) throw new IllegalArgumentException("--checkpoint " + checkpoint + ": no such file");
                Checkpoint.Loaded ck = Checkpoint.load(checkpoint);
                LanguageModel lm = ck.config().build(0);
                lm.loadParameters(ck.model(), false, checkpoint.toString());
                yield new ModelFiles.Loaded(lm, ck.tokenizer());
            }
            case "pytorch-lstm" -> {
                if (weights == null || vocab == null) throw new IllegalArgumentException("--from pytorch-lstm needs --weights and --vocab");
                yield PyTorchLstm.load(weights, vocab);
            }
            default -> throw new IllegalArgumentException("--from must be hf, checkpoint or pytorch-lstm, got '" + from + "'");
        };
        LanguageModel lm = m.model();
        if (to.equals("checkpoint")) {
            if (type != DType.F32) throw new IllegalArgumentException("--to checkpoint stores float32 weights and moments; drop --dtype");
            Files.createDirectories(out);
            AdamW opt = AdamW.forModel(lm, 0.9f, 0.99f, 1e-8f, 0.1f); // zero moments: a fresh start from these weights
            Checkpoint.save(out.resolve(Checkpoint.FILE), lm, opt, m.tokenizer(),
                    new Checkpoint.State(0, 0, new Rng(1337).state(), lm.dropoutRng().state(), Double.NaN));
            spec.commandLine().getOut().printf("wrote %s: %s, %,d parameters; continue with: bin/llm4j train --resume --out %s%n",
                    out.resolve(Checkpoint.FILE), lm.config(), lm.parameterCount(), out);
        } else {
            ModelFiles.save(out, lm, m.tokenizer(), type, m.generationConfig());
            spec.commandLine().getOut().printf("wrote %s: %s, %,d parameters, %s weights%n", out, lm.config(), lm.parameterCount(), type);
        }
        return 0;
    }
}
