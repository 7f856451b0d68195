// Streaming never hands out part of a multi-byte character, with GPT-2's byte-level tokenizer
// (which splits emoji over several tokens) and with the character tokenizer.
package org.llm4j.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.llm4j.generate.GenerationResult.FinishReason;
import org.llm4j.tokenizer.CharTokenizer;
import org.llm4j.tokenizer.Tokenizer;

class StreamingTest {

    // Surefire passes $LLM4J_DATA_MIRROR as -Dllm4j.data.mirror (see tokenizer/TestData).
    static Tokenizer gpt2() throws Exception {
        String m = System.getProperty("llm4j.data.mirror", "");
        assumeTrue(!m.isBlank() && !m.startsWith("${") && Files.isDirectory(Path.of(m, "gpt2-tokenizer")),
                "set LLM4J_DATA_MIRROR to ../shared/data to run the GPT-2 streaming test");
        return Tokenizer.load(Path.of(m, "gpt2-tokenizer", "tokenizer.json"));
    }

    record Piece(int sequence, int token, String text) {}

    static List<Piece> stream(TableModel model, int[] prompt, GenerationConfig cfg, Tokenizer tok, StringBuilder tails, GenerationResult[] out) {
        List<Piece> pieces = new ArrayList<>();
        out[0] = Generator.generate(model, List.of(prompt), cfg, tok, new Generator.TokenListener() {
            @Override public void onToken(int sequence, int token, String text) { pieces.add(new Piece(sequence, token, text)); }
            @Override public void onFinish(int sequence, String tail, FinishReason reason) { tails.append(tail); }
        });
        return pieces;
    }

    @Test
    void gpt2StreamNeverSplitsAnEmoji() throws Exception {
        Tokenizer tok = gpt2();
        String text = " melting 🫠 face 😀, 你好 €5";
        int[] script = tok.encode(text);
        long partial = Arrays.stream(script).mapToObj(tok::decodeToken).filter(s -> s.contains("\uFFFD")).count();
        assertThat(partial).as("tokens holding part of a character").isGreaterThanOrEqualTo(2);
        int[] prompt = tok.encode("A");
        TableModel m = TableModel.forcing(tok.vocabSize(), prompt.length, script);
        StringBuilder tails = new StringBuilder();
        GenerationResult[] out = new GenerationResult[1];
        List<Piece> pieces = stream(m, prompt, GenerationConfig.greedy(script.length), tok, tails, out);
        assertThat(pieces).hasSize(script.length);
        assertThat(pieces).allSatisfy(p -> assertThat(p.text()).doesNotContain("\uFFFD"));
        assertThat(pieces.stream().filter(p -> p.text().isEmpty())).isNotEmpty();   // held back inside a character
        StringBuilder all = new StringBuilder();
        for (Piece p : pieces) {
            all.append(p.text());
            assertThat(Character.isHighSurrogate(all.charAt(Math.max(0, all.length() - 1)))).isFalse();
        }
        assertThat(all.append(tails).toString()).isEqualTo(text);
        assertThat(out[0].sequences().getFirst().generated()).containsExactly(script);

        // A stop string made of an emoji stops at the token that completes it, not before.
        GenerationConfig stop = GenerationConfig.builder().maxNewTokens(script.length).stopStrings("🫠").build();
        GenerationResult[] s = new GenerationResult[1];
        stream(m, prompt, stop, tok, new StringBuilder(), s);
        String got = tok.decode(s[0].sequences().getFirst().generated());
        assertThat(got).isEqualTo(" melting 🫠");
        assertThat(s[0].sequences().getFirst().finishReason()).isEqualTo(FinishReason.STOP_STRING);
    }

    @Test
    void characterTokenizerStreamsEachCharacter() {
        CharTokenizer tok = CharTokenizer.fit("héllo 😀!");
        int[] script = tok.encode("😀é!");
        TableModel m = TableModel.forcing(tok.vocabSize(), 1, script);
        StringBuilder tails = new StringBuilder();
        GenerationResult[] out = new GenerationResult[1];
        List<Piece> pieces = stream(m, tok.encode("h"), GenerationConfig.greedy(3), tok, tails, out);
        assertThat(pieces.stream().map(Piece::text)).containsExactly("😀", "é", "!");
        assertThat(tails.toString()).isEmpty();
    }
}
