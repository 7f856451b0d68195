// `llm4j chat` with stdin piped: the model's template renders the conversation, history, /reset, context trimming, refusals.
package org.llm4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.llm4j.format.ModelFiles;
import org.llm4j.model.GPT;
import org.llm4j.model.GPTConfig;
import org.llm4j.tokenizer.CharTokenizer;

class ChatCommandTest {
    // Mistral v0.1's rule (no system role, roles alternate) in characters a CharTokenizer knows
    static final String TEMPLATE = "{% for m in messages %}{% if (m.role == 'user') != (loop.index0 % 2 == 0) %}"
            + "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
            + "{{ m.role | upper }}: {{ m.content }}\n{% endfor %}{% if add_generation_prompt %}ASSISTANT:{% endif %}";
    static Path model;

    @BeforeAll
    static void tinyModel(@TempDir Path dir) throws Exception {
        CharTokenizer tok = CharTokenizer.fit("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,:;!?'\"-\n");
        ModelFiles.save(dir, new GPT(new GPTConfig(tok.vocabSize(), 96, 1, 2, 16, 0f, 1e-5f), 5), tok);
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"chat_template\": " + new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(TEMPLATE) + "}");
        model = dir;
    }

    static CliTest.Run chat(String input, String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        String[] all = new String[args.length + 3];
        all[0] = "chat";
        all[1] = "--model";
        all[2] = model.toString();
        System.arraycopy(args, 0, all, 3, args.length);
        int code = Main.run(all, new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)), new PrintWriter(out, true), new PrintWriter(err, true));
        return new CliTest.Run(code, out.toString(), err.toString());
    }

    @Test
    void eachLineIsATurnAndTheHistoryGrows() {
        CliTest.Run r = chat("hello\nhow are you\n", "--greedy", "--max-new-tokens", "4", "--show-prompt");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).contains("chat template of").contains("--- prompt ---\nUSER: hello\nASSISTANT:\n--- end of prompt ---");
        // the second prompt holds the first exchange: the reply as generated (stripped)
        assertThat(r.err()).containsPattern("USER: hello\nASSISTANT: [^\n]*(\n[^\n]*)*\nUSER: how are you\nASSISTANT:");
        assertThat(r.err()).contains("[the reply reached --max-new-tokens 4]");
        assertThat(r.out()).isNotEmpty();
    }

    @Test
    void resetForgetsAndExitEnds() {
        CliTest.Run r = chat("hello\n/reset\nagain\n/exit\nnever read\n", "--greedy", "--max-new-tokens", "2", "--show-prompt");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).contains("[conversation cleared]").contains("--- prompt ---\nUSER: again\nASSISTANT:\n").doesNotContain("never read");
    }

    @Test
    void aFullContextDropsTheOldestExchange() {
        String longLine = "words words words words words";
        CliTest.Run r = chat((longLine + "\n").repeat(4), "--greedy", "--max-new-tokens", "8");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).contains("the context is full: the oldest 2 messages were left out");
        CliTest.Run tooLong = chat("x".repeat(200) + "\nok\n", "--greedy", "--max-new-tokens", "8");
        assertThat(tooLong.err()).contains("not sent");
        assertThat(tooLong.code()).isZero();
    }

    @Test
    void theTemplatesRefusalIsReportedAndTheChatGoesOn() {
        CliTest.Run r = chat("hi\n", "--system", "Be brief.", "--greedy", "--max-new-tokens", "2");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).contains("[the model's chat template refused this conversation: Conversation roles must alternate");
    }
}
