// /v1/chat/completions renders with the model's own chat template: its text, its refusals (HTTP 400) and its end-of-turn stop ids.
package org.llm4j.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.llm4j.chat.ChatTemplate;
import org.llm4j.format.ModelFiles;
import org.llm4j.tokenizer.ByteLevel;
import org.llm4j.tokenizer.ByteLevelBpeTokenizer;

class ChatTemplateServerTest {
    static final ObjectMapper JSON = new ObjectMapper();
    // Mistral-style: user/assistant must alternate; only characters of TinyModel's alphabet
    static final String TEMPLATE = "{% for m in messages %}{% if (m.role == 'user') != (loop.index0 % 2 == 0) %}"
            + "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
            + "{{ m.role | upper }}: {{ m.content | trim }}\n{% endfor %}{% if add_generation_prompt %}ASSISTANT:{% endif %}";
    static ModelFiles.Loaded loaded;

    @BeforeAll
    static void model(@TempDir Path dir) throws Exception {
        TinyModel.folder(dir);
        Files.writeString(dir.resolve("tokenizer_config.json"), JSON.createObjectNode().put("chat_template", TEMPLATE).toString());
        loaded = ModelFiles.load(dir);
        assertThat(loaded.chatTemplate().isModelTemplate()).isTrue();
    }

    static String chat(String messages) {
        return "{\"model\":\"tiny\",\"max_tokens\":3,\"temperature\":0,\"messages\":" + messages + "}";
    }

    @Test
    void rendersTheConversationWithTheModelsTemplate() throws Exception {
        List<String> log = TinyModel.log();
        try (Server s = TinyModel.start(loaded, TinyModel.options().logPrompts(true), log)) {
            var r = TinyModel.post(s.port(), "/v1/chat/completions", chat("[{\"role\":\"user\",\"content\":\" hi \"},{\"role\":\"assistant\",\"content\":\"yo\"},{\"role\":\"user\",\"content\":\"ok?\"}]"));
            assertThat(r.statusCode()).isEqualTo(200);
            String prompt = "USER: hi\nASSISTANT: yo\nUSER: ok?\nASSISTANT:";
            assertThat(JSON.readTree(r.body()).at("/usage/prompt_tokens").asInt()).isEqualTo(prompt.length());   // one character, one token
            assertThat(log).anySatisfy(l -> assertThat(l).contains("prompt=" + JSON.writeValueAsString(prompt)));
        }
    }

    @Test
    void aConversationTheTemplateRefusesIs400WithItsMessage() throws Exception {
        try (Server s = TinyModel.start(loaded, TinyModel.options(), TinyModel.log())) {
            for (String stream : new String[] {"false", "true"}) {
                var r = TinyModel.post(s.port(), "/v1/chat/completions",
                        chat("[{\"role\":\"user\",\"content\":\"a\"},{\"role\":\"user\",\"content\":\"b\"}]").replaceFirst("\\{", "{\"stream\":" + stream + ","));
                assertThat(r.statusCode()).isEqualTo(400);
                JsonNode e = JSON.readTree(r.body()).get("error");
                assertThat(e.get("message").asText()).contains("chat template refused").contains("Conversation roles must alternate");
                assertThat(e.get("param").asText()).isEqualTo("messages");
                assertThat(e.get("type").asText()).isEqualTo("invalid_request_error");
            }
            // the completions endpoint does not use the template
            assertThat(TinyModel.post(s.port(), "/v1/completions", "{\"model\":\"tiny\",\"prompt\":\"hi\",\"max_tokens\":2}").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void chatRequestsStopAtTheTemplatesEndOfTurnTokens() {
        List<String> vocab = new ArrayList<>();
        for (int b = 0; b < 256; b++) vocab.add(String.valueOf(ByteLevel.charOf(b)));
        List<String> specials = List.of("<|begin_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>");
        vocab.addAll(specials);
        ByteLevelBpeTokenizer tok = ByteLevelBpeTokenizer.of(vocab, List.of(), specials);
        ChatTemplate llama3 = ChatTemplate.of("{{ bos_token }}{% for m in messages %}{{ '<|start_header_id|>' + m.role + '<|end_header_id|>\\n\\n' + m.content + '<|eot_id|>' }}{% endfor %}"
                + "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}", tok,
                Map.of("bos_token", "<|begin_of_text|>", "eos_token", "<|eot_id|>"), new int[0], "test");
        ServerOptions opt = ServerOptions.builder("m").build();
        JsonNode body = Requests.parseBody(chat("[{\"role\":\"user\",\"content\":\"hi\"}]").replace("tiny", "m").getBytes());
        GenRequest chat = Requests.parse(body, true, tok, llama3, opt, 1000);
        assertThat(chat.stopTokens()).containsExactly(259);
        assertThat(chat.prompts().getFirst()).startsWith(256, 257).endsWith(258, '\n', '\n');
        assertThat(chat.stop()).isEmpty();
        GenRequest plain = Requests.parse(Requests.parseBody("{\"model\":\"m\",\"prompt\":\"hi\"}".getBytes()), false, tok, llama3, opt, 1000);
        assertThat(plain.stopTokens()).isEmpty();
    }
}
