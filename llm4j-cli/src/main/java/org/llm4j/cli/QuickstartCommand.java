// `llm4j quickstart`: fetch tiny Shakespeare, train a small character-level GPT for a few minutes, show samples.
package org.llm4j.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "quickstart", mixinStandardHelpOptions = true,
        description = {"Download tiny Shakespeare (or use the mirror), train nanoGPT's small character-level GPT",
                "(4 layers, 4 heads, 128 channels, block 64) with a progress bar, then print the validation loss and samples."})
public class QuickstartCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin Common.DataOptions data = new Common.DataOptions();

    @Option(names = "--max-iters", description = "Training steps (2000 reaches a validation loss near 1.9). Default: ${DEFAULT-VALUE}.", defaultValue = "2000")
    int maxIters;
    @Option(names = "--out", paramLabel = "DIR", description = "Run folder. Default: ${DEFAULT-VALUE}.", defaultValue = "runs/quickstart")
    Path out;

    @Override
    public Integer call() throws Exception {
        TrainCommand t = new TrainCommand();
        t.spec = spec;
        t.data = data;
        t.corpus = "tinyshakespeare";
        t.out = out;
        t.arch = "gpt";
        t.nHead = 4;
        t.nEmbd = 128;
        t.hidden = 256;
        t.blockSize = 64;
        t.batchSize = 12;
        t.maxIters = maxIters;
        t.lr = 1e-3f;
        t.minLr = 1e-4f;
        t.warmup = Math.min(100, maxIters / 10);
        t.weightDecay = 0.1f;
        t.beta2 = 0.99f;
        t.gradClip = 1f;
        t.evalInterval = Math.max(1, Math.min(250, maxIters));
        t.evalIters = 20;
        t.logInterval = 10;
        t.valFraction = 0.1;
        t.seed = 1337;
        return t.train(spec.commandLine().getOut(), 200);
    }
}
