// Options and helpers shared by the commands: the data mirror, corpus loading, tokenizing.
package org.llm4j.cli;

import java.nio.file.Path;
import org.llm4j.data.DatasetStore;
import picocli.CommandLine.Option;

final class Common {
    private Common() {}

    /**
     * The model an argument names, memory-mapped for inference: a GGUF FILE.gguf, a llama2.c
     * FILE.bin (with tokenizer, or tokenizer.bin beside it), a model or run folder, or a Hugging
     * Face repository id. tokenizer is only for a llama2.c checkpoint.
     */
    static org.llm4j.format.ModelFiles.Loaded loadModel(String model, Path tokenizer) throws java.io.IOException {
        return loadModel(resolveModel(model), tokenizer);
    }

    /** As above, for what {@link #resolveModel} returned (so a caller that needs the path resolves once). */
    static org.llm4j.format.ModelFiles.Loaded loadModel(Path resolved, Path tokenizer) throws java.io.IOException {
        String name = resolved.toString();
        if (java.nio.file.Files.isRegularFile(resolved) && (name.endsWith(".bin") || name.endsWith(".gguf"))) {
            if (name.endsWith(".gguf") && tokenizer != null) throw new IllegalArgumentException("--tokenizer goes with a llama2.c FILE.bin; a GGUF file brings its own tokenizer");
            return name.endsWith(".gguf") ? org.llm4j.format.GgufModels.load(resolved) : org.llm4j.format.Llama2c.loadWithTokenizer(resolved, tokenizer);
        }
        if (tokenizer != null) throw new IllegalArgumentException("--tokenizer goes with a llama2.c FILE.bin; a model folder brings its own tokenizer");
        return org.llm4j.format.ModelFiles.load(resolved, true);
    }

    /** The file (GGUF, llama2.c) or the model folder an argument names; see {@link #modelFolder}. */
    static Path resolveModel(String model) throws java.io.IOException {
        return isModelFile(model) ? Path.of(model) : modelFolder(model);
    }

    /** Whether the argument is a single-file model (GGUF or llama2.c) rather than a folder or repository id. */
    static boolean isModelFile(String model) {
        return java.nio.file.Files.isRegularFile(Path.of(model)) && (model.endsWith(".bin") || model.endsWith(".gguf"));
    }

    /**
     * The model folder a --model argument names: a folder or a Hugging Face repository id (see
     * Hub), and for a run folder of `llm4j train` its model/ subfolder.
     */
    static Path modelFolder(String model) throws java.io.IOException {
        Path dir = org.llm4j.format.Hub.fromEnvironment().modelFolder(model);
        boolean runFolder = !java.nio.file.Files.exists(dir.resolve("config.json")) && java.nio.file.Files.exists(dir.resolve("model").resolve("config.json"));
        return runFolder ? dir.resolve("model") : dir;
    }

    /** Where corpora come from: a folder mirroring the download URLs, for offline machines and CI. */
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
