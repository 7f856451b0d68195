// Load generator for `llm4j serve`: C concurrent streaming clients against an in-process server;
// aggregate tokens/s, p50/p99 time to first token and per-token latency, and heap, for each C.
package org.llm4j.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.llm4j.format.ModelFiles;
import org.llm4j.model.GPT;
import org.llm4j.model.GPTConfig;
import org.llm4j.model.LanguageModel;
import org.llm4j.server.Server;
import org.llm4j.server.ServerOptions;
import org.llm4j.tokenizer.CharTokenizer;
import org.llm4j.tokenizer.Tokenizer;
import org.llm4j.util.Machine;

/**
 * Usage: java -cp llm4j-bench/target/benchmarks.jar org.llm4j.bench.ServeLoad [--model DIR|FILE.gguf]
 * [--clients 1,4,16,64] [--max-tokens 64] [--requests 2]. Without --model: a random GPT of
 * nanoGPT's shakespeare_char shape (6 layers, C = 384, context 256, 65 characters), so no download is needed. Each
 * client sends its requests one after another (stream=true, greedy), timing every SSE chunk.
 */
public final class ServeLoad {
    static final ObjectMapper JSON = new ObjectMapper();

    record Sample(double ttft, List<Double> gaps, int tokens) {}

    public static void main(String[] args) throws Exception {
        String modelDir = null, clientList = "1,4,16,64";
        int maxTokens = 64, requests = 2;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--model" -> modelDir = args[++i];
                case "--clients" -> clientList = args[++i];
                case "--max-tokens" -> maxTokens = Integer.parseInt(args[++i]);
                case "--requests" -> requests = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        LanguageModel model;
        Tokenizer tok;
        int[] eos = new int[0];
        if (modelDir != null) {
            ModelFiles.Loaded l = modelDir.endsWith(".gguf") ? org.llm4j.format.GgufModels.load(Path.of(modelDir)) : ModelFiles.load(Path.of(modelDir));
            model = l.model();
            tok = l.tokenizer();
        } else {
            CharTokenizer c = CharTokenizer.fit("\n !$&',-.3:;?ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");
            model = new GPT(new GPTConfig(c.vocabSize(), 256, 6, 6, 384, 0f, 1e-5f), 1);   // nanoGPT's shakespeare_char shape
            model.setTraining(false);
            tok = c;
        }
        System.out.printf("machine: %s%nmodel: %s, %,d parameters; %d new tokens per request, %d requests per client, greedy, stream=true%n",
                Machine.describe(), modelDir == null ? "random GPT (6 layers, C = 384, context 256, 65 characters)" : modelDir, model.parameterCount(), maxTokens, requests);
        MemoryMXBean mem = ManagementFactory.getMemoryMXBean();
        try (Server server = new Server(model, tok, eos, ServerOptions.builder("bench").port(0).maxBatch(64).queueCapacity(256).maxTokens(maxTokens).build()).start()) {
            HttpClient http = HttpClient.newBuilder().executor(Executors.newVirtualThreadPerTaskExecutor()).build();
            run(http, server.port(), 2, maxTokens, 1);   // warm-up: JIT the decode loop and the HTTP path
            System.out.println("| clients | aggregate tokens/s | TTFT p50 (ms) | TTFT p99 (ms) | per-token p50 (ms) | per-token p99 (ms) | heap used (MB) |");
            System.out.println("|---:|---:|---:|---:|---:|---:|---:|");
            for (String cs : clientList.split(",")) {
                int clients = Integer.parseInt(cs.trim());
                System.gc();
                AtomicLong peak = new AtomicLong();
                Thread sampler = Thread.ofPlatform().daemon().start(() -> {
                    while (!Thread.currentThread().isInterrupted()) {
                        peak.accumulateAndGet(mem.getHeapMemoryUsage().getUsed(), Math::max);
                        try { Thread.sleep(20); } catch (InterruptedException e) { return; }
                    }
                });
                long t0 = System.nanoTime();
                List<Sample> samples = run(http, server.port(), clients, maxTokens, requests);
                double secs = (System.nanoTime() - t0) / 1e9;
                sampler.interrupt();
                long tokens = samples.stream().mapToLong(Sample::tokens).sum();
                List<Double> ttft = new ArrayList<>(), gaps = new ArrayList<>();
                for (Sample s : samples) { ttft.add(s.ttft); gaps.addAll(s.gaps); }
                System.out.printf("| %d | %.1f | %.1f | %.1f | %.2f | %.2f | %d |%n", clients, tokens / secs, pct(ttft, 50) * 1e3, pct(ttft, 99) * 1e3,
                        pct(gaps, 50) * 1e3, pct(gaps, 99) * 1e3, peak.get() >> 20);
            }
        }
        System.exit(0);
    }

    static double pct(List<Double> xs, double p) {
        if (xs.isEmpty()) return Double.NaN;
        List<Double> s = new ArrayList<>(xs);
        Collections.sort(s);
        return s.get(Math.min(s.size() - 1, (int) Math.ceil(p / 100 * s.size()) - 1));
    }

    static List<Sample> run(HttpClient http, int port, int clients, int maxTokens, int requests) throws Exception {
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<List<Sample>>> fs = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                int client = c;
                fs.add(pool.submit(() -> {
                    List<Sample> out = new ArrayList<>();
                    for (int r = 0; r < requests; r++) out.add(one(http, port, maxTokens, "ROMEO:\nWhat light is " + client + "?" + r));
                    return out;
                }));
            }
            List<Sample> all = new ArrayList<>();
            for (Future<List<Sample>> f : fs) all.addAll(f.get());
            return all;
        }
    }

    /** One streaming request: the time to the first chunk with text, the gaps between later ones, the tokens generated. */
    static Sample one(HttpClient http, int port, int maxTokens, String prompt) throws Exception {
        String body = "{\"model\":\"bench\",\"stream\":true,\"stream_options\":{\"include_usage\":true},\"temperature\":0,\"max_tokens\":" + maxTokens
                + ",\"prompt\":" + JSON.writeValueAsString(prompt.replaceAll("[0-9]", "")) + "}";
        long t0 = System.nanoTime(), last = 0;
        HttpResponse<java.util.stream.Stream<String>> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/completions"))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofLines());
        if (r.statusCode() != 200) throw new IllegalStateException("HTTP " + r.statusCode());
        double ttft = Double.NaN;
        List<Double> gaps = new ArrayList<>();
        int tokens = 0;
        for (String line : (Iterable<String>) r.body()::iterator) {
            if (!line.startsWith("data: ") || line.equals("data: [DONE]")) continue;
            JsonNode c = JSON.readTree(line.substring(6));
            if (c.hasNonNull("usage")) tokens = c.get("usage").get("completion_tokens").asInt();
            JsonNode ch = c.path("choices").path(0);
            if (ch.path("text").asText("").isEmpty()) continue;
            long now = System.nanoTime();
            if (Double.isNaN(ttft)) ttft = (now - t0) / 1e9;
            else gaps.add((now - last) / 1e9);
            last = now;
        }
        return new Sample(ttft, gaps, tokens);
    }
}
