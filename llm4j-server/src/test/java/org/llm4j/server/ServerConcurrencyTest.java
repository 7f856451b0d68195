// Many streaming clients at once: each gets exactly what generating alone with the same seed gives,
// because the decode loop batches sequences with stepBatch (bit-identical to step) and samples each
// with its own processors and generator.
package org.llm4j.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.llm4j.format.ModelFiles;
import org.llm4j.generate.GenerationConfig;
import org.llm4j.generate.GenerationResult;
import org.llm4j.generate.Generator;
import org.llm4j.generate.LogitsProcessor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServerConcurrencyTest {
    static final ObjectMapper JSON = new ObjectMapper();

    /** The text streamed for one request: every chunk's choices[0].text, up to [DONE]. */
    static String streamText(int port, String body) throws Exception {
        HttpResponse<java.util.stream.Stream<String>> r = TinyModel.HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/completions"))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofLines());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
        StringBuilder sb = new StringBuilder();
        boolean done = false;
        for (String line : (Iterable<String>) r.body()::iterator) {
            if (!line.startsWith("data: ")) continue;
            String data = line.substring(6);
            if (data.equals("[DONE]")) { done = true; continue; }
            JsonNode c = JSON.readTree(data);
            for (JsonNode ch : c.get("choices")) sb.append(ch.get("text").asText());
        }
        assertThat(done).as("stream ends with data: [DONE]").isTrue();
        return sb.toString();
    }

    @Test
    void concurrentStreamsEqualSoloGeneration(@TempDir Path dir) throws Exception {
        ModelFiles.Loaded loaded = TinyModel.folder(dir);
        String[] prompts = {"The cat", "Once upon a time", "a", "Hello, world! How are you today?"};
        int clients = 12;
        try (Server server = TinyModel.start(loaded, TinyModel.options().maxBatch(8), TinyModel.log());
             ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<String>> got = new ArrayList<>();
            server.pauseDecoding(true);   // let every request queue up first, so that they surely share batches
            for (int i = 0; i < clients; i++) {
                String body = "{\"model\":\"tiny\",\"stream\":true,\"max_tokens\":" + (20 + i) + ",\"temperature\":0.9,\"top_p\":0.95,\"seed\":" + (100 + i)
                        + ",\"presence_penalty\":0.5,\"frequency_penalty\":0.25,\"prompt\":" + JSON.writeValueAsString(prompts[i % prompts.length]) + "}";
                got.add(pool.submit(() -> streamText(server.port(), body)));
            }
            while (!server.metricsText().contains("llm4j_queue_depth " + clients)) Thread.sleep(10);
            server.pauseDecoding(false);
            for (int i = 0; i < clients; i++) {
                int[] prompt = loaded.tokenizer().encode(prompts[i % prompts.length]);
                GenerationConfig cfg = GenerationConfig.builder().maxNewTokens(20 + i).doSample(true).temperature(0.9f).topP(0.95f).seed(100 + i)
                        .addLogitsProcessor(LogitsProcessor.presenceFrequencyPenalty(prompt.length, 0.5f, 0.25f)).build();
                GenerationResult solo = Generator.generate(loaded.model(), prompt, cfg, loaded.tokenizer(), null);
                String expected = loaded.tokenizer().decode(solo.sequences().getFirst().generated());
                assertThat(got.get(i).get()).as("client %d", i).isEqualTo(expected);
            }
            String metrics = server.metricsText();
            assertThat(metrics).contains("llm4j_requests_total{endpoint=\"completions\",status=\"200\"} " + clients);
            assertThat(metrics).containsPattern("llm4j_time_to_first_token_seconds_count " + clients);
            assertThat(metrics).contains("llm4j_generation_tokens_total " + (clients * 20 + clients * (clients - 1) / 2));
            // batching happened: fewer decode steps than tokens
            long steps = Long.parseLong(metrics.lines().filter(l -> l.startsWith("llm4j_decode_steps_total ")).findFirst().orElseThrow().split(" ")[1]);
            assertThat(steps).isLessThan(clients * 20L);
        }
    }
}
