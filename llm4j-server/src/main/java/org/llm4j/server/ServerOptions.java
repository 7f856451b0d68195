// The server's limits and switches, each with a safe default (loopback only, bounded everything).
package org.llm4j.server;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * @param host            interface to bind; 127.0.0.1 unless told otherwise
 * @param port            TCP port; 0 picks a free one (tests)
 * @param apiKey          when set, /v1/* and /metrics need "Authorization: Bearer apiKey"; null = open
 * @param maxBodyBytes    larger request bodies get 413
 * @param maxPromptTokens longer prompts get 400 (the model's context length bounds it too)
 * @param maxTokens       largest max_tokens a request may ask for, and the default when it asks none
 * @param maxN            largest n (choices per prompt)
 * @param queueCapacity   requests waiting for a batch slot; one more gets 429 with Retry-After
 * @param maxBatch        sequences decoded together in one stepBatch call
 * @param timeout         a request's time limit, queueing included; a choice still running then ends with finish_reason "length"
 * @param stopWords       stop strings added to every request (output ends before them, finish_reason "stop")
 * @param blockList       strings that may never appear in output: a choice reaching one ends before it, finish_reason "content_filter"
 * @param logPrompts      request log lines include the prompt text (off: only sizes and timings)
 * @param modelName       the id clients send as "model"; requests naming another model get 404
 * @param log             where request log lines go (stderr in the CLI)
 */
public record ServerOptions(String host, int port, String apiKey, long maxBodyBytes, int maxPromptTokens, int maxTokens,
                            int maxN, int queueCapacity, int maxBatch, Duration timeout, List<String> stopWords,
                            List<String> blockList, boolean logPrompts, String modelName, Consumer<String> log) {

    public ServerOptions {
        if (host == null || host.isBlank()) throw new IllegalArgumentException("--host must not be empty");
        if (port < 0 || port > 65535) throw new IllegalArgumentException("--port must be in [0, 65535], got " + port);
        if (apiKey != null && apiKey.isBlank()) throw new IllegalArgumentException("--api-key must not be blank");
        if (maxBodyBytes < 1) throw new IllegalArgumentException("--max-body-bytes must be >= 1, got " + maxBodyBytes);
        if (maxPromptTokens < 1) throw new IllegalArgumentException("--max-prompt-tokens must be >= 1, got " + maxPromptTokens);
        if (maxTokens < 1) throw new IllegalArgumentException("--max-tokens must be >= 1, got " + maxTokens);
        if (maxN < 1) throw new IllegalArgumentException("--max-n must be >= 1, got " + maxN);
        if (queueCapacity < 1) throw new IllegalArgumentException("--queue must be >= 1, got " + queueCapacity);
        if (maxBatch < 1) throw new IllegalArgumentException("--max-batch must be >= 1, got " + maxBatch);
        if (timeout == null || timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("--timeout must be > 0");
        stopWords = List.copyOf(stopWords == null ? List.of() : stopWords);
        blockList = List.copyOf(blockList == null ? List.of() : blockList);
        for (String s : stopWords) if (s.isEmpty()) throw new IllegalArgumentException("--stop must not be empty");
        for (String s : blockList) if (s.isEmpty()) throw new IllegalArgumentException("--block must not be empty");
        if (modelName == null || modelName.isBlank()) throw new IllegalArgumentException("the model name must not be empty");
        if (log == null) log = line -> {};
    }

    public static Builder builder(String modelName) {
        return new Builder(modelName);
    }

    public static final class Builder {
        private String host = "127.0.0.1", apiKey, modelName;
        private int port = 8080, maxPromptTokens = 4096, maxTokens = 512, maxN = 8, queueCapacity = 64, maxBatch = 64;
        private long maxBodyBytes = 1 << 20;
        private Duration timeout = Duration.ofMinutes(5);
        private List<String> stopWords = new ArrayList<>(), blockList = new ArrayList<>();
        private boolean logPrompts;
        private Consumer<String> log = line -> {};

        private Builder(String modelName) { this.modelName = modelName; }

        public Builder host(String v) { host = v; return this; }
        public Builder port(int v) { port = v; return this; }
        public Builder apiKey(String v) { apiKey = v; return this; }
        public Builder maxBodyBytes(long v) { maxBodyBytes = v; return this; }
        public Builder maxPromptTokens(int v) { maxPromptTokens = v; return this; }
        public Builder maxTokens(int v) { maxTokens = v; return this; }
        public Builder maxN(int v) { maxN = v; return this; }
        public Builder queueCapacity(int v) { queueCapacity = v; return this; }
        public Builder maxBatch(int v) { maxBatch = v; return this; }
        public Builder timeout(Duration v) { timeout = v; return this; }
        public Builder stopWords(List<String> v) { stopWords = new ArrayList<>(v); return this; }
        public Builder blockList(List<String> v) { blockList = new ArrayList<>(v); return this; }
        public Builder logPrompts(boolean v) { logPrompts = v; return this; }
        public Builder log(Consumer<String> v) { log = v; return this; }

        public ServerOptions build() {
            return new ServerOptions(host, port, apiKey, maxBodyBytes, maxPromptTokens, maxTokens, maxN, queueCapacity, maxBatch,
                    timeout, stopWords, blockList, logPrompts, modelName, log);
        }
    }
}
