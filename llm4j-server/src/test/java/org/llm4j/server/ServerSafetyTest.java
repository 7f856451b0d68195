// Hostile and broken requests get OpenAI-shaped errors with the right status, and the next normal
// request still succeeds; the queue bound answers 429; limits, filters and the request log.
package org.llm4j.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.llm4j.format.ModelFiles;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServerSafetyTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String OK = "{\"model\":\"tiny\",\"prompt\":\"hello\",\"max_tokens\":4,\"seed\":1}";
    @TempDir static Path dir;
    static ModelFiles.Loaded loaded;
    static Server server;
    static List<String> log = TinyModel.log();

    @BeforeAll
    static void start() throws Exception {
        loaded = TinyModel.folder(dir);
        server = TinyModel.start(loaded, TinyModel.options().maxTokens(64).maxN(4).maxPromptTokens(100).maxBodyBytes(64 * 1024), log);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /** Posts body and checks the error's status, type and the field it names; then a normal request succeeds. */
    static JsonNode expectError(String path, byte[] body, int status, String param) throws Exception {
        HttpResponse<String> r = TinyModel.post(server.port(), path, body);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        JsonNode e = JSON.readTree(r.body()).get("error");
        assertThat(e.get("message").asText()).isNotBlank();
        assertThat(e.has("type") && e.has("param") && e.has("code")).isTrue();
        if (param != null) assertThat(e.get("param").asText()).isEqualTo(param);
        assertOk();
        return e;
    }

    static JsonNode expectError(String body, int status, String param) throws Exception {
        return expectError("/v1/completions", body.getBytes(StandardCharsets.UTF_8), status, param);
    }

    static void assertOk() throws Exception {
        HttpResponse<String> ok = TinyModel.post(server.port(), "/v1/completions", OK);
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
        assertThat(JSON.readTree(ok.body()).at("/choices/0/text").asText()).hasSize(4);
    }

    @Test
    void malformedBodiesAndWrongTypes() throws Exception {
        assertThat(expectError("{\"model\": \"tiny\", \"prompt\": ", 400, null).get("message").asText()).contains("JSON");
        expectError("[1, 2]", 400, null);
        expectError("{\"model\":\"tiny\",\"prompt\":\"x\"} trailing", 400, null);
        expectError("{\"model\":\"tiny\",\"prompt\":\"x\",\"max_tokens\":\"5\"}", 400, "max_tokens");
        expectError("{\"model\":\"tiny\",\"prompt\":\"x\",\"max_tokens\":2.5}", 400, "max_tokens");
        expectError("{\"model\":\"tiny\",\"prompt\":\"x\",\"max_tokens\":-1}", 400, "max_tokens");
        expectError("{\"model\":\"tiny\",\"prompt\":\"x\",\"max_tokens\":99999999999999999999999}", 400, "max_tokens");
        expectError("{\"model\":\"tiny\",\"prompt\":\"x\",\"max_tokens\":65}", 400, "max_tokens");
        expectError("{\"model\":\"tiny\",\"prompt\":\"x\",\"temperature\":NaN}", 400, null);
        expectError("{\"model\":\"tiny\",\"prompt\":\"x\",\"temperature\":1e999}", 400, "temperature");
        expectError("{\"model\":\"tiny\",\"prompt\":\"x\",\"temperature\":-0.5}", 400, "temperature");
        expectError("{\"model\":\"tiny\",\"prompt\":\"x\",\"top_p\":true}", 400, "top_p");
        expectError("{\"model\":\"tiny\",\"prompt\":\"x\",\"n\":0}", 400, "n");
        expectError("{\"model\":\"tiny\",\"prompt\":\"x\",\"n\":5}", 400, "n");
        expectError("{\"model\":\"tiny\",\"prompt\":\"x\",\"stop\":[\"a\",1]}", 400, "stop");
        expectError("{\"model\":\"tiny\",\"prompt\":\"x\",\"stop\":[\"a\",\"b\",\"c\",\"d\",\"e\"]}", 400, "stop");
        expectError("{\"model\":\"tiny\",\"prompt\":\"x\",\"seed\":\"1\"}", 400, "seed");
        expectError("{\"model\":\"tiny\",\"prompt\":\"x\",\"presence_penalty\":3}", 400, "presence_penalty");
        expectError("{\"model\":\"tiny\",\"prompt\":\"x\",\"logprobs\":6}", 400, "logprobs");
        expectError("{\"model\":\"tiny\",\"prompt\":\"x\",\"stream\":\"yes\"}", 400, "stream");
        expectError("{\"model\":\"tiny\",\"prompt\":\"x\",\"bogus\":1}", 400, "bogus");
        expectError("{\"model\":\"tiny\",\"prompt\":\"\"}", 400, "prompt");
        expectError("{\"model\":\"tiny\",\"prompt\":\"\u00e9\"}", 400, "prompt");          // outside the character vocabulary
        expectError("{\"model\":\"tiny\",\"prompt\":\"" + "a".repeat(101) + "\"}", 400, "prompt");
        expectError("{\"prompt\":\"x\"}", 400, "model");
        expectError("{\"model\":\"gpt-4\",\"prompt\":\"x\"}", 404, null);
        String deep = "[".repeat(5000) + "]".repeat(5000);
        expectError("{\"model\":\"tiny\",\"prompt\":" + deep + "}", 400, null);
    }

    @Test
    void chatFieldsAreCheckedToo() throws Exception {
        byte[] role = "{\"model\":\"tiny\",\"messages\":[{\"role\":\"wizard\",\"content\":\"hi\"}]}".getBytes(StandardCharsets.UTF_8);
        assertThat(expectError("/v1/chat/completions", role, 400, "messages[0].role").get("message").asText()).contains("wizard");
        expectError("/v1/chat/completions", "{\"model\":\"tiny\",\"messages\":[]}".getBytes(StandardCharsets.UTF_8), 400, "messages");
        expectError("/v1/chat/completions", "{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":5}]}".getBytes(StandardCharsets.UTF_8), 400, "messages[0].content");
        expectError("/v1/chat/completions", "{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"top_logprobs\":2}".getBytes(StandardCharsets.UTF_8), 400, "top_logprobs");
        expectError("/v1/chat/completions", "{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"logprobs\":1}".getBytes(StandardCharsets.UTF_8), 400, "logprobs");
    }

    @Test
    void invalidUtf8AndHugeBodies() throws Exception {
        byte[] bad = "{\"model\":\"tiny\",\"prompt\":\"a\u0000\"}".getBytes(StandardCharsets.UTF_8);
        bad[bad.length - 3] = (byte) 0xC3;   // a lead byte followed by '"': not UTF-8
        assertThat(expectError("/v1/completions", bad, 400, null).get("message").asText()).contains("UTF-8");
        byte[] huge = new byte[10 << 20];
        java.util.Arrays.fill(huge, (byte) 'a');
        // With "Expect: 100-continue" (as curl sends for large bodies) the client waits for the
        // server's verdict before uploading: the 413 arrives deterministically. Without it, the
        // server answers and closes while 10 MB are still being sent, and whether the client
        // reads the 413 or a reset first is a race (it failed one CI run).
        HttpResponse<String> r = TinyModel.HTTP.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + server.port() + "/v1/completions"))
                .expectContinue(true).header("Content-Type", "application/json")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(huge)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(413);
        assertThat(JSON.readTree(r.body()).get("error").get("code").asText()).isEqualTo("request_too_large");
        assertOk();
    }

    @Test
    void abruptDisconnectMidStreamLeavesTheServerServing() throws Exception {
        for (int i = 0; i < 3; i++) {
            try (Socket s = new Socket("127.0.0.1", server.port())) {
                String body = "{\"model\":\"tiny\",\"prompt\":\"hello\",\"max_tokens\":64,\"stream\":true}";
                OutputStream out = s.getOutputStream();
                out.write(("POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8));
                out.flush();
                InputStream in = s.getInputStream();
                in.read(new byte[64]);   // the stream has begun; now vanish
                s.setSoLinger(true, 0);  // RST, not FIN
            }
            try (Socket s = new Socket("127.0.0.1", server.port())) {   // and a request cut off inside its body
                s.getOutputStream().write("POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"model\":".getBytes(StandardCharsets.UTF_8));
            }
            assertOk();
        }
    }

    @Test
    void unknownPathsAndMetrics() throws Exception {
        HttpResponse<String> r = TinyModel.get(server.port(), "/v1/nothing");
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(JSON.readTree(r.body()).at("/error/type").asText()).isEqualTo("invalid_request_error");
        assertOk();
        HttpResponse<String> m = TinyModel.get(server.port(), "/metrics");
        assertThat(m.statusCode()).isEqualTo(200);
        assertThat(m.body()).contains("# TYPE llm4j_requests_total counter", "llm4j_requests_total{endpoint=\"completions\",status=\"200\"}",
                "llm4j_prompt_tokens_total", "llm4j_generation_tokens_total", "llm4j_queue_depth 0",
                "llm4j_time_to_first_token_seconds_bucket{le=\"+Inf\"}", "llm4j_request_duration_seconds_count", "# TYPE llm4j_request_duration_seconds histogram");
        assertThat(TinyModel.get(server.port(), "/health").body()).contains("\"ok\"");
        assertThat(TinyModel.get(server.port(), "/").body()).contains("<html");
        // the log has sizes and timings, never the prompt
        assertThat(log).anySatisfy(l -> assertThat(l).contains("POST /v1/completions 200").contains("prompt_tokens=5"));
        assertThat(log).noneSatisfy(l -> assertThat(l).contains("hello"));
    }

    @Test
    void fullQueueAnswers429WithRetryAfter(@TempDir Path other) throws Exception {
        try (Server small = TinyModel.start(loaded, TinyModel.options().queueCapacity(1), TinyModel.log())) {
            small.pauseDecoding(true);
            CompletableFuture<HttpResponse<String>> first = TinyModel.HTTP.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + small.port() + "/v1/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString(OK)).build(), HttpResponse.BodyHandlers.ofString());
            while (!small.metricsText().contains("llm4j_queue_depth 1")) Thread.sleep(10);
            HttpResponse<String> busy = TinyModel.post(small.port(), "/v1/completions", OK);
            assertThat(busy.statusCode()).isEqualTo(429);
            assertThat(busy.headers().firstValue("Retry-After")).hasValue("1");
            assertThat(JSON.readTree(busy.body()).at("/error/type").asText()).isEqualTo("rate_limit_error");
            small.pauseDecoding(false);
            assertThat(first.get().statusCode()).isEqualTo(200);
            assertThat(TinyModel.post(small.port(), "/v1/completions", OK).statusCode()).isEqualTo(200);
        }
    }

    @Test
    void logPromptsPutsThePromptInTheLogLine() throws Exception {
        List<String> lines = TinyModel.log();
        try (Server verbose = TinyModel.start(loaded, TinyModel.options().logPrompts(true), lines)) {
            assertThat(TinyModel.post(verbose.port(), "/v1/completions", OK.replace("}", ",\"user\":\"u-42\"}")).statusCode()).isEqualTo(200);
            assertThat(lines).anySatisfy(l -> assertThat(l).contains("prompt=\"hello\"", "user=\"u-42\"", "completion_tokens=4", "finish=length"));
        }
    }

    @Test
    void aRequestPastItsTimeLimitGets504() throws Exception {
        try (Server slow = TinyModel.start(loaded, TinyModel.options().timeout(java.time.Duration.ofMillis(1)), TinyModel.log())) {
            slow.pauseDecoding(true);   // the request waits in the queue past its limit
            CompletableFuture<HttpResponse<String>> r = TinyModel.HTTP.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + slow.port() + "/v1/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString(OK)).build(), HttpResponse.BodyHandlers.ofString());
            while (!slow.metricsText().contains("llm4j_queue_depth 1")) Thread.sleep(10);
            Thread.sleep(5);
            slow.pauseDecoding(false);
            assertThat(r.get().statusCode()).isEqualTo(504);
            assertThat(JSON.readTree(r.get().body()).at("/error/code").asText()).isEqualTo("timeout");
        }
    }

    @Test
    void stopStringsAndBlockListCutTheOutput(@TempDir Path other) throws Exception {
        // greedy text of the model, then the same request with a stop string taken from inside it
        JsonNode plain = JSON.readTree(TinyModel.post(server.port(), "/v1/completions", "{\"model\":\"tiny\",\"prompt\":\"hello\",\"max_tokens\":30,\"temperature\":0}").body());
        String text = plain.at("/choices/0/text").asText();
        String stop = text.substring(10, 13);
        int at = text.indexOf(stop);
        String body = "{\"model\":\"tiny\",\"prompt\":\"hello\",\"max_tokens\":30,\"temperature\":0,\"stop\":" + JSON.writeValueAsString(stop) + "}";
        JsonNode cut = JSON.readTree(TinyModel.post(server.port(), "/v1/completions", body).body());
        assertThat(cut.at("/choices/0/text").asText()).isEqualTo(text.substring(0, at));
        assertThat(cut.at("/choices/0/finish_reason").asText()).isEqualTo("stop");
        assertThat(ServerConcurrencyTest.streamText(server.port(), body.replace("}", ",\"stream\":true}"))).isEqualTo(text.substring(0, at));
        try (Server filtered = TinyModel.start(loaded, TinyModel.options().blockList(List.of(stop)), TinyModel.log())) {
            JsonNode f = JSON.readTree(TinyModel.post(filtered.port(), "/v1/completions", body.replace(",\"stop\":" + JSON.writeValueAsString(stop), "")).body());
            assertThat(f.at("/choices/0/text").asText()).isEqualTo(text.substring(0, at));
            assertThat(f.at("/choices/0/finish_reason").asText()).isEqualTo("content_filter");
        }
    }

    @Test
    void apiKeyIsRequiredWhenSet() throws Exception {
        try (Server keyed = TinyModel.start(loaded, TinyModel.options().apiKey("secret"), TinyModel.log())) {
            HttpResponse<String> no = TinyModel.post(keyed.port(), "/v1/completions", OK);
            assertThat(no.statusCode()).isEqualTo(401);
            assertThat(JSON.readTree(no.body()).at("/error/code").asText()).isEqualTo("invalid_api_key");
            HttpResponse<String> yes = TinyModel.HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + keyed.port() + "/v1/completions"))
                    .header("Authorization", "Bearer secret").POST(HttpRequest.BodyPublishers.ofString(OK)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(yes.statusCode()).isEqualTo(200);
            assertThat(TinyModel.get(keyed.port(), "/health").statusCode()).isEqualTo(200);
        }
    }
}
