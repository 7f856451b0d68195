// The official OpenAI Java SDK, unmodified, completes, chats and streams against the server.
package org.llm4j.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OpenAiClientTest {
    @TempDir static Path dir;
    static Server server;
    static OpenAIClient client;
    static List<String> log = TinyModel.log();

    @BeforeAll
    static void start() throws Exception {
        server = TinyModel.start(TinyModel.folder(dir), TinyModel.options().apiKey("sk-test"), log);
        client = OpenAIOkHttpClient.builder().baseUrl("http://127.0.0.1:" + server.port() + "/v1").apiKey("sk-test").maxRetries(0).build();
    }

    @AfterAll
    static void stop() {
        client.close();
        server.close();
    }

    @Test
    void completes() {
        Completion c = client.completions().create(CompletionCreateParams.builder().model("tiny").prompt("Hello there")
                .maxTokens(12).temperature(0.8).seed(3).build());
        assertThat(c.choices()).hasSize(1);
        assertThat(c.choices().getFirst().text()).hasSize(12);   // one character per token, no EOS in this model
        assertThat(c.choices().getFirst().finishReason()).isEqualTo(com.openai.models.completions.CompletionChoice.FinishReason.LENGTH);
        assertThat(c.usage().orElseThrow().promptTokens()).isEqualTo(11);
        assertThat(c.usage().orElseThrow().completionTokens()).isEqualTo(12);
        Completion again = client.completions().create(CompletionCreateParams.builder().model("tiny").prompt("Hello there")
                .maxTokens(12).temperature(0.8).seed(3).build());
        assertThat(again.choices().getFirst().text()).isEqualTo(c.choices().getFirst().text());
        assertThat(client.models().list().data()).extracting(m -> m.id()).containsExactly("tiny");
    }

    @Test
    void chats() {
        ChatCompletion c = client.chat().completions().create(ChatCompletionCreateParams.builder().model("tiny")
                .addSystemMessage("Be brief.").addUserMessage("Hi!").maxCompletionTokens(10).n(2).seed(1).logprobs(true).topLogprobs(2).build());
        assertThat(c.choices()).hasSize(2);
        for (ChatCompletion.Choice ch : c.choices()) {
            assertThat(ch.message().content()).isPresent();
            assertThat(ch.logprobs().orElseThrow().content().orElseThrow()).allSatisfy(lp -> {
                assertThat(lp.logprob()).isLessThanOrEqualTo(0);
                assertThat(lp.topLogprobs()).hasSize(2);
            });
        }
        assertThat(c.usage().orElseThrow().totalTokens()).isEqualTo(c.usage().orElseThrow().promptTokens() + c.usage().orElseThrow().completionTokens());
    }

    @Test
    void streamsCompletionsAndChat() {
        CompletionCreateParams p = CompletionCreateParams.builder().model("tiny").prompt("Once upon").maxTokens(20).temperature(0.7).seed(11).build();
        StringBuilder streamed = new StringBuilder();
        try (StreamResponse<Completion> s = client.completions().createStreaming(p)) {
            s.stream().forEach(c -> c.choices().forEach(ch -> streamed.append(ch.text())));
        }
        assertThat(streamed.toString()).isEqualTo(client.completions().create(p).choices().getFirst().text());

        ChatCompletionCreateParams cp = ChatCompletionCreateParams.builder().model("tiny").addUserMessage("Tell me a story")
                .maxCompletionTokens(15).seed(5).streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build();
        StringBuilder chat = new StringBuilder();
        long[] usage = {-1};
        try (StreamResponse<ChatCompletionChunk> s = client.chat().completions().createStreaming(cp)) {
            s.stream().forEach(c -> {
                c.choices().forEach(ch -> ch.delta().content().ifPresent(chat::append));
                c.usage().ifPresent(u -> usage[0] = u.completionTokens());
            });
        }
        ChatCompletion whole = client.chat().completions().create(cp.toBuilder().streamOptions((ChatCompletionStreamOptions) null).build());
        assertThat(chat.toString()).isEqualTo(whole.choices().getFirst().message().content().orElseThrow());
        assertThat(usage[0]).isEqualTo(whole.usage().orElseThrow().completionTokens());
    }

    @Test
    void sdkSeesOpenAiErrors() {
        OpenAIClient wrongKey = OpenAIOkHttpClient.builder().baseUrl("http://127.0.0.1:" + server.port() + "/v1").apiKey("nope").maxRetries(0).build();
        try {
            assertThatThrownBy(() -> wrongKey.models().list()).isInstanceOf(com.openai.errors.UnauthorizedException.class);
        } finally {
            wrongKey.close();
        }
        assertThatThrownBy(() -> client.completions().create(CompletionCreateParams.builder().model("other").prompt("x").build()))
                .isInstanceOf(com.openai.errors.NotFoundException.class).hasMessageContaining("does not exist");
        assertThatThrownBy(() -> client.completions().create(CompletionCreateParams.builder().model("tiny").prompt("x").maxTokens(100000).build()))
                .isInstanceOf(com.openai.errors.BadRequestException.class).hasMessageContaining("max_tokens");
    }
}
