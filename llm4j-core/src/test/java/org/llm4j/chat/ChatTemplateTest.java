// Real chat templates (Llama 3, Qwen2, Mistral v0.1 and v0.3) against Python jinja2 with Hugging Face's settings, byte for byte.
package org.llm4j.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.llm4j.tokenizer.ByteLevelBpeTokenizer;
import org.llm4j.tokenizer.CharTokenizer;
import org.llm4j.tokenizer.SentencePieceBpeTokenizer;
import org.llm4j.tokenizer.SentencePieceBpeTokenizer.TokenType;

class ChatTemplateTest {
    static String template(String file) throws IOException {
        try (InputStream in = ChatTemplateTest.class.getResourceAsStream("/chat-templates/" + file)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    static Stream<JsonNode> cases() throws IOException {
        List<JsonNode> out = new ArrayList<>();
        JinjaTest.resource("chat-fixtures.json").get("cases").forEach(out::add);
        return out.stream();
    }

    static List<ChatTemplate.Message> messages(JsonNode c) {
        List<ChatTemplate.Message> out = new ArrayList<>();
        for (JsonNode m : c.get("messages")) out.add(new ChatTemplate.Message(m.get("role").asText(), m.get("content").asText()));
        return out;
    }

    static Map<String, String> tokens(JsonNode c) {
        Map<String, String> out = new HashMap<>();
        c.get("special_tokens").properties().forEach(e -> out.put(e.getKey(), e.getValue().isNull() ? null : e.getValue().asText()));
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void rendersAsHuggingFace(JsonNode c) throws IOException {
        ChatTemplate t = ChatTemplate.of(template(c.get("file").asText()), CharTokenizer.fit("ab"), tokens(c), new int[0], c.get("file").asText());
        boolean agp = c.get("add_generation_prompt").asBoolean();
        if (c.has("expected")) {
            assertThat(t.render(messages(c), agp)).isEqualTo(c.get("expected").asText());
        } else {
            // Mistral refuses conversations whose roles do not alternate: its own message, marked as the template's refusal
            assertThatThrownBy(() -> t.render(messages(c), agp)).isInstanceOfSatisfying(ChatTemplate.TemplateError.class,
                    e -> assertThat(e.raisedByTemplate()).isTrue()).hasMessage(c.get("error").asText());
        }
    }

    @Test
    void coversEachTemplateWithSeveralConversationsAndAnError() throws IOException {
        Map<String, Integer> rendered = new HashMap<>(), refused = new HashMap<>();
        cases().forEach(c -> (c.has("expected") ? rendered : refused).merge(c.get("template").asText(), 1, Integer::sum));
        assertThat(rendered.keySet()).containsExactlyInAnyOrder("llama3-instruct", "qwen2-instruct", "mistral-instruct-v0.1", "mistral-instruct-v0.3");
        assertThat(refused.keySet()).contains("mistral-instruct-v0.1", "mistral-instruct-v0.3");
        rendered.values().forEach(n -> assertThat(n).isGreaterThanOrEqualTo(6));
    }

    /** A byte-level vocabulary with Llama 3's special tokens: the rendered prompt's specials become ids, no BOS is added twice. */
    @Test
    void llama3EncodesSpecialsAndStopsAtEndOfTurn() throws IOException {
        List<String> vocab = new ArrayList<>();
        for (int b = 0; b < 256; b++) vocab.add(String.valueOf(org.llm4j.tokenizer.ByteLevel.charOf(b)));
        List<String> specials = List.of("<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>");
        vocab.addAll(specials);
        ByteLevelBpeTokenizer tok = ByteLevelBpeTokenizer.of(vocab, List.of(), specials);
        ChatTemplate t = ChatTemplate.of(template("llama3-instruct.jinja"), tok, Map.of("bos_token", "<|begin_of_text|>", "eos_token", "<|eot_id|>"),
                new int[] {257}, "llama3");
        String text = t.render(List.of(new ChatTemplate.Message("user", "Hi")), true);
        int[] ids = t.encode(tok, text);
        assertThat(ids[0]).isEqualTo(256);                       // <|begin_of_text|>, once
        assertThat(ids[1]).isEqualTo(258);                       // <|start_header_id|>
        assertThat(java.util.Arrays.stream(ids).filter(i -> i == 256).count()).isEqualTo(1);
        assertThat(tok.decode(ids)).isEqualTo(text);
        assertThat(t.stopTokenIds()).containsExactlyInAnyOrder(257, 260);   // EOS from the model, <|eot_id|> from the template
    }

    /** SentencePiece (Mistral): "<s>" and control pieces in the text are their ids; text between gets llama.cpp's dummy-prefix space. */
    @Test
    void mistralEncodesControlTokensAsLlamaCppDoes() throws IOException {
        List<String> pieces = new ArrayList<>(List.of("<unk>", "<s>", "</s>", "[INST]", "[/INST]", " ", "H", "i", " Hi", "!", "a", " H"));
        TokenType[] types = new TokenType[pieces.size()];
        java.util.Arrays.fill(types, TokenType.NORMAL);
        types[0] = TokenType.UNKNOWN;
        types[1] = types[2] = types[3] = types[4] = TokenType.CONTROL;
        float[] scores = new float[pieces.size()];
        scores[8] = 2;   // " Hi"
        scores[11] = 1;  // " H"
        SentencePieceBpeTokenizer tok = new SentencePieceBpeTokenizer(pieces, scores, types, 1, 2, 0, true, true);
        ChatTemplate t = ChatTemplate.of(template("mistral-instruct-v0.3.jinja"), tok, Map.of("bos_token", "<s>", "eos_token", "</s>"), new int[] {2}, "mistral");
        String text = t.render(List.of(new ChatTemplate.Message("user", "Hi!")), true);
        assertThat(text).isEqualTo("<s>[INST] Hi![/INST]");
        // <s> [INST] " Hi!" → dummy prefix " " + " Hi!" = "  Hi!" → " ", " Hi", "!" ; [/INST] (llama.cpp: a text
        // fragment after a special token gets the prefix space too)
        assertThat(t.encode(tok, text)).containsExactly(1, 3, 5, 8, 9, 4);
        assertThat(t.stopTokenIds()).containsExactly(2);
    }

    @Test
    void defaultTemplateIsTodaysPlainFormat() {
        var msgs = List.of(new ChatTemplate.Message("system", "Be terse."), new ChatTemplate.Message("user", "Hi!"));
        assertThat(ChatTemplate.DEFAULT.render(msgs, true)).isEqualTo("system: Be terse.\nuser: Hi!\nassistant:");
        assertThat(ChatTemplate.DEFAULT.stops()).containsExactly("\nuser:", "\nsystem:");
        assertThat(ChatTemplate.DEFAULT.isModelTemplate()).isFalse();
    }

    @Test
    void aTemplateThatCannotBeParsedFailsWhenUsedWithItsOrigin() {
        ChatTemplate t = ChatTemplate.of("{% for m in messages %}{{ m.content }}", CharTokenizer.fit("ab"), Map.of(), new int[0], "model.gguf");
        assertThatThrownBy(() -> t.render(List.of(new ChatTemplate.Message("user", "a")), true))
                .isInstanceOfSatisfying(ChatTemplate.TemplateError.class, e -> assertThat(e.raisedByTemplate()).isFalse())
                .hasMessageContaining("model.gguf").hasMessageContaining("endfor");
    }
}
