// Options and helpers shared by the commands: the data mirror, corpus loading, tokenizing.
package org.llm4j.cli;

import java.nio.file.Path;
import org.llm4j.data.DatasetStore;
import picocli.CommandLine.Option;

final class Common {
    private Common() {}

    /** Where corpora come from: a folder mirroring the download URLs, for offline machines and CI. */
    /**
     * The model folder a --model argument names: a folder or a Hugging Face repository id (see
     * Hub), and for a run folder of `llm4j train` its model/ subfolder.
     */
    /**
     * The model an argument names: a GGUF FILE.gguf, a llama2.c FILE.bin (with tokenizer, or
     * tokenizer.bin beside it), a model or run folder, or a Hugging Face repository id;
     * memory-mapped for inference. tokenizer is only for a llama2.c checkpoint.
     */
    static org.llm4j.format.ModelFiles.Loaded loadModel(String model, Path tokenizer) throws java.io.IOException {
        Path file = Path.of(model);
        if (isModelFile(model)) {
            if (model.endsWith(".gguf") && tokenizer != null) throw new IllegalArgumentException("--tokenizer goes with a llama2.c FILE.bin; a GGUF file brings its own tokenizer");
            return model.endsWith(".gguf") ? org.llm4j.format.GgufModels.load(file) : org.llm4j.format.Llama2c.loadWithTokenizer(file, tokenizer);
        }
        if (tokenizer != null) throw new IllegalArgumentException("--tokenizer goes with a llama2.c FILE.bin; a model folder brings its own tokenizer");
        return org.llm4j.format.ModelFiles.load(modelFolder(model), true);
    }

    /** Whether the argument is a single-file model (GGUF or llama2.c) rather than a folder or repository id. */
    static boolean isModelFile(String model) {
        return java.nio.file.Files.isRegularFile(Path.of(model)) && (model.endsWith(".bin") || model.endsWith(".gguf"));
    }

    static Path modelFolder(String model) throws java.io.IOException {
        Path dir = org.llm4j.format.Hub.fromEnvironment().modelFolder(model);
        boolean runFolder = !java.nio.file.Files.exists(dir.resolve("config.json")) && java.nio.file.Files.exists(dir.resolve("model").resolve("config.json"));
        return runFolder ? dir.resolve("model") : dir;
    }

    static final class DataOptions {
        @Option(names = "--mirror", paramLabel = "DIR", description = "Folder holding local copies of the named corpora (<name>/<file>); default $LLM4J_DATA_MIRROR.")
        Path mirror;

        @Option(names = "--offline", description = "Never download; use the cache or the mirror only (also $LLM4J_OFFLINE=1).")
        boolean offline;

        DatasetStore store() {
            DatasetStore s = DatasetStore.fromEnvironment();
            if (mirror != null) {
                if (!java.nio.file.Files.isDirectory(mirror)) throw new IllegalArgumentException("--mirror: " + mirror + " is not a folder");
                s = s.withMirror(mirror);
            }
            if (offline) s = s.withOffline(true);
            return s;
        }
    }
}
