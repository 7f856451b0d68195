// `llm4j serve`: an OpenAI-compatible HTTP API and a web playground for one model (folder, repository id, GGUF or llama2.c file).
package org.llm4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.llm4j.format.ModelFiles;
import org.llm4j.server.Server;
import org.llm4j.server.ServerOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Serve a model over the OpenAI API (/v1/models, /v1/completions, /v1/chat/completions; stream=true as server-sent events),",
                "with /health, /metrics (Prometheus) and a playground page at /. Concurrent requests share decode steps (continuous batching)."})
public class ServeCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR|REPO|FILE", description = "Model folder (a run folder works too), a Hugging Face repository id, a GGUF FILE.gguf or a llama2.c FILE.bin (memory-mapped).")
    String model;
    @Option(names = "--tokenizer", paramLabel = "FILE", description = "With a llama2.c FILE.bin: its tokenizer.bin. Default: tokenizer.bin beside the checkpoint.")
    Path tokenizer;
    @Option(names = "--model-name", description = "The id clients send as \"model\". Default: the folder's name or the repository id.")
    String modelName;
    @Option(names = "--host", description = "Interface to bind; use 0.0.0.0 to accept other machines. Default: ${DEFAULT-VALUE}.", defaultValue = "127.0.0.1")
    String host;
    @Option(names = "--port", description = "TCP port (0: any free one). Default: ${DEFAULT-VALUE}.", defaultValue = "8080")
    int port;
    @Option(names = "--api-key", description = "Require 'Authorization: Bearer KEY' on /v1/* and /metrics. Default: the LLM4J_API_KEY environment variable, else none.")
    String apiKey;
    @Option(names = "--max-body-bytes", description = "Larger request bodies get 413. Default: ${DEFAULT-VALUE}.", defaultValue = "1048576")
    long maxBodyBytes;
    @Option(names = "--max-prompt-tokens", description = "Longer prompts get 400. Default: ${DEFAULT-VALUE}.", defaultValue = "4096")
    int maxPromptTokens;
    @Option(names = "--max-tokens", description = "Largest max_tokens a request may ask for (and chat's default). Default: ${DEFAULT-VALUE}.", defaultValue = "512")
    int maxTokens;
    @Option(names = "--max-n", description = "Largest n (choices per prompt). Default: ${DEFAULT-VALUE}.", defaultValue = "8")
    int maxN;
    @Option(names = "--queue", description = "Requests that may wait for a batch slot; more get 429 with Retry-After. Default: ${DEFAULT-VALUE}.", defaultValue = "64")
    int queue;
    @Option(names = "--max-batch", description = "Sequences decoded together per step. Default: ${DEFAULT-VALUE}.", defaultValue = "64")
    int maxBatch;
    @Option(names = "--timeout", paramLabel = "SECONDS", description = "Time limit per request, queueing included. Default: ${DEFAULT-VALUE}.", defaultValue = "300")
    long timeout;
    @Option(names = "--stop", paramLabel = "TEXT", description = "A stop string added to every request; repeatable.")
    List<String> stop = new ArrayList<>();
    @Option(names = "--block", paramLabel = "TEXT", description = "Text that must never appear in output: a choice reaching it ends before it (finish_reason content_filter); repeatable.")
    List<String> block = new ArrayList<>();
    @Option(names = "--log-prompts", description = "Include prompt text in the request log lines (off: sizes and timings only).")
    boolean logPrompts;

    @Override
    public Integer call() throws Exception {
        ModelFiles.Loaded loaded = Common.loadModel(model, tokenizer);
        String name = modelName != null ? modelName
                : Files.isDirectory(Path.of(model)) || Common.isModelFile(model) ? Path.of(model).toAbsolutePath().normalize().getFileName().toString().replaceFirst("\\.(bin|gguf)$", "")
                : model;
        String key = apiKey != null ? apiKey : System.getenv("LLM4J_API_KEY");
        java.io.PrintWriter err = spec.commandLine().getErr();
        ServerOptions opt = ServerOptions.builder(name).host(host).port(port).apiKey(key).maxBodyBytes(maxBodyBytes)
                .maxPromptTokens(maxPromptTokens).maxTokens(maxTokens).maxN(maxN).queueCapacity(queue).maxBatch(maxBatch)
                .timeout(Duration.ofSeconds(timeout)).stopWords(stop).blockList(block).logPrompts(logPrompts)
                .log(line -> { synchronized (err) { err.println(line); err.flush(); } }).build();
        Server server;
        try {
            server = new Server(loaded, opt).start();
        } catch (RuntimeException e) {
            throw new IllegalStateException("cannot serve on " + host + ":" + port + ": " + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage()));
        }
        String base = "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + server.port();
        err.printf("llm4j: serving '%s' (%,d parameters) at %s/v1 (OpenAI API), playground at %s/%s%n", name, loaded.model().parameterCount(), base, base,
                key != null ? "; API key required" : "");
        err.printf("llm4j: /v1/chat/completions uses %s%n", loaded.chatTemplate());
        err.flush();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> { server.close(); stopped.countDown(); }));
        stopped.await();
        return 0;
    }
}
