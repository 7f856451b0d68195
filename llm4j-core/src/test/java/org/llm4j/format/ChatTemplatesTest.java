// Finding a model's chat template: tokenizer_config.json (string, named list, AddedToken specials), chat_template.jinja, GGUF metadata.
package org.llm4j.format;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.llm4j.chat.ChatTemplate;
import org.llm4j.chat.ChatTemplate.Message;
import org.llm4j.tokenizer.ByteLevel;
import org.llm4j.tokenizer.ByteLevelBpeTokenizer;
import org.llm4j.tokenizer.CharTokenizer;
import org.llm4j.tokenizer.Tokenizer;

class ChatTemplatesTest {
    static final String CHATML = "{% for m in messages %}{{ '<|im_start|>' + m.role + '\\n' + m.content + '<|im_end|>\\n' }}{% endfor %}"
            + "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
    static final List<Message> HI = List.of(new Message("user", "hi"));

    static ByteLevelBpeTokenizer chatmlTokenizer() {
        List<String> vocab = new ArrayList<>();
        for (int b = 0; b < 256; b++) vocab.add(String.valueOf(ByteLevel.charOf(b)));
        List<String> specials = List.of("<|endoftext|>", "<|im_start|>", "<|im_end|>");
        vocab.addAll(specials);
        return ByteLevelBpeTokenizer.of(vocab, List.of(), specials);
    }

    @Test
    void folderWithoutTemplateGetsTheDefault(@TempDir Path dir) throws IOException {
        assertThat(ChatTemplates.fromFolder(dir, CharTokenizer.fit("ab"), null)).isSameAs(ChatTemplate.DEFAULT);
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"bos_token\": \"<s>\"}");
        assertThat(ChatTemplates.fromFolder(dir, CharTokenizer.fit("ab"), null)).isSameAs(ChatTemplate.DEFAULT);
    }

    @Test
    void tokenizerConfigStringWithAddedTokenSpecials(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("tokenizer_config.json"), org.llm4j.io.Json.object().put("chat_template", "{{ bos_token }}|" + CHATML)
                .<com.fasterxml.jackson.databind.node.ObjectNode>set("bos_token", org.llm4j.io.Json.object().put("content", "<|endoftext|>").put("lstrip", false))
                .put("eos_token", "<|im_end|>").toString());
        Tokenizer tok = chatmlTokenizer();
        ChatTemplate t = ChatTemplates.fromFolder(dir, tok, org.llm4j.io.Json.parse("{\"eos_token_id\": [256]}"));
        assertThat(t.render(HI, true)).isEqualTo("<|endoftext|>|<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n");
        assertThat(t.stopTokenIds()).containsExactlyInAnyOrder(256, 258);
        assertThat(t.encode(tok, "<|im_start|>a")).containsExactly(257, 'a');
    }

    @Test
    void namedTemplatesUseDefaultAndJinjaFileWins(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("tokenizer_config.json"),
                "{\"chat_template\": [{\"name\": \"tool_use\", \"template\": \"T\"}, {\"name\": \"default\", \"template\": \"D{{ messages | length }}\"}]}");
        assertThat(ChatTemplates.fromFolder(dir, CharTokenizer.fit("ab"), null).render(HI, true)).isEqualTo("D1");
        Files.writeString(dir.resolve("chat_template.jinja"), "J{{ messages[0].content }}\n");
        assertThat(ChatTemplates.fromFolder(dir, CharTokenizer.fit("ab"), null).render(HI, true)).isEqualTo("Jhi");
    }

    @Test
    void ggufMetadata(@TempDir Path dir) throws IOException {
        ByteLevelBpeTokenizer src = chatmlTokenizer();
        List<String> tokens = new ArrayList<>();
        int[] types = new int[src.vocabSize()];
        for (int i = 0; i < src.vocabSize(); i++) {
            tokens.add(i < 256 ? String.valueOf(ByteLevel.charOf(i)) : List.of("<|endoftext|>", "<|im_start|>", "<|im_end|>").get(i - 256));
            types[i] = i < 256 ? 1 : 3;
        }
        Path f = dir.resolve("t.gguf");
        new GgufWriter().string("general.architecture", "llama").string("tokenizer.ggml.model", "gpt2").strings("tokenizer.ggml.tokens", tokens)
                .ints("tokenizer.ggml.token_type", types).strings("tokenizer.ggml.merges", List.of())
                .u32("tokenizer.ggml.bos_token_id", 256).u32("tokenizer.ggml.eos_token_id", 256).u32("tokenizer.ggml.eot_token_id", 258)
                .string("tokenizer.chat_template", "{{ bos_token }}" + CHATML).write(f);
        Gguf g = Gguf.read(f);
        Tokenizer tok = GgufTokenizer.fromMetadata(g);
        ChatTemplate t = ChatTemplates.fromGguf(g, tok);
        String text = t.render(HI, true);
        assertThat(text).isEqualTo("<|endoftext|><|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n");
        assertThat(t.encode(tok, text)).startsWith(256, 257);
        assertThat(t.stopTokenIds()).containsExactlyInAnyOrder(256, 258);
        assertThat(t.toString()).contains("t.gguf");
    }
}
