// llama.cpp's public tokenizer test vectors, read through GGUF vocabulary files.
package org.llm4j.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.llm4j.tokenizer.ByteLevelBpeTokenizer;
import org.llm4j.tokenizer.ByteLevelPreTokenizer;
import org.llm4j.tokenizer.SentencePieceBpeTokenizer;
import org.llm4j.tokenizer.Tokenizer;

class GgufVocabTest {
    static Path dir() {
        String m = System.getProperty("llm4j.data.mirror", "");
        assumeTrue(!m.isBlank() && !m.startsWith("${") && Files.isDirectory(Path.of(m, "gguf-vocab")),
                "set LLM4J_DATA_MIRROR to ../shared/data to run the GGUF vocabulary tests");
        return Path.of(m, "gguf-vocab");
    }

    // test-tokenizer-0: each input encoded without BOS (add_special = false), specials not parsed.
    static int[] encode(Tokenizer t, String text) {
        return switch (t) {
            case SentencePieceBpeTokenizer sp -> sp.encode(text, false);
            case ByteLevelBpeTokenizer b -> b.encodeOrdinary(text);
            default -> throw new IllegalStateException();
        };
    }

    @ParameterizedTest
    @ValueSource(strings = {"ggml-vocab-llama-spm.gguf", "ggml-vocab-gpt-2.gguf"})
    void testVectorsPassExactly(String name) throws IOException {
        Path f = dir().resolve(name);
        Gguf g = Gguf.read(f);
        Tokenizer tok = GgufTokenizer.fromMetadata(g);
        String[] inputs = Files.readString(Path.of(f + ".inp"), StandardCharsets.UTF_8).split("\n__ggml_vocab_test__\n", -1);
        List<String> outs = Files.readAllLines(Path.of(f + ".out"), StandardCharsets.UTF_8);
        // the .inp file ends with a separator line after the last input
        int n = outs.size();
        assertThat(inputs.length).isGreaterThanOrEqualTo(n);
        int failures = 0;
        StringBuilder report = new StringBuilder();
        for (int i = 0; i < n; i++) {
            String line = outs.get(i).strip();
            int[] want = line.isEmpty() ? new int[0] : Arrays.stream(line.split(" +")).mapToInt(Integer::parseInt).toArray();
            int[] got = encode(tok, inputs[i]);
            if (!Arrays.equals(got, want)) {
                failures++;
                report.append("\n#").append(i).append(" ").append(inputs[i].replace("\n", "\\n")).append("\n want ").append(Arrays.toString(want)).append("\n got  ").append(Arrays.toString(got));
            }
        }
        assertThat(failures).as(name + ":" + report).isZero();
    }

    @org.junit.jupiter.api.Test
    void byteLevelPreTokenizerAndBosTravelThroughGgufAndTokenizerJson(@org.junit.jupiter.api.io.TempDir Path tmp) throws IOException {
        ByteLevelBpeTokenizer gpt2 = (ByteLevelBpeTokenizer) GgufTokenizer.fromMetadata(Gguf.read(dir().resolve("ggml-vocab-gpt-2.gguf")));
        assertThat(gpt2.preTokenizer()).isEqualTo(ByteLevelPreTokenizer.GPT2);
        assertThat(gpt2.addsBos()).isFalse();
        String text = "It's 12345 apples,\n\n  DON'T panic 😀 ok";
        // Same vocabulary, Llama 3's pattern and a BOS: digits split in threes, "'T" one piece.
        ByteLevelBpeTokenizer l3 = gpt2.withPreTokenizer(ByteLevelPreTokenizer.LLAMA3).withSpecialIds(50256, 50256, true);
        int[] ids = l3.encode(text);
        assertThat(ids[0]).isEqualTo(50256);
        assertThat(l3.decode(Arrays.copyOfRange(ids, 1, ids.length))).isEqualTo(text);
        assertThat(ids).isNotEqualTo(gpt2.encode(text));
        Path f = tmp.resolve("vocab.gguf");
        GgufWriter w = new GgufWriter().string("general.architecture", "gpt2");
        GgufTokenizer.write(w, l3, l3.vocabSize() + 3);
        w.write(f);
        Gguf g = Gguf.read(f);
        assertThat(g.string("tokenizer.ggml.pre")).isEqualTo("llama-bpe");
        assertThat(g.bool("tokenizer.ggml.add_bos_token", false)).isTrue();
        assertThat(g.strings("tokenizer.ggml.tokens")).hasSize(l3.vocabSize() + 3).endsWith("[PAD50259]");
        ByteLevelBpeTokenizer back = (ByteLevelBpeTokenizer) GgufTokenizer.fromMetadata(g);
        assertThat(back.preTokenizer()).isEqualTo(ByteLevelPreTokenizer.LLAMA3);
        assertThat(back.encode(text)).containsExactly(ids);
        // tokenizer.json: Sequence[Split(pattern), ByteLevel(use_regex false)] and a BOS template.
        Path json = tmp.resolve("tokenizer.json");
        Files.writeString(json, l3.toJson());
        ByteLevelBpeTokenizer fromJson = ByteLevelBpeTokenizer.fromHuggingFace(json);
        assertThat(fromJson.preTokenizer()).isEqualTo(ByteLevelPreTokenizer.LLAMA3);
        assertThat(fromJson.encode(text)).containsExactly(ids);
        // An unknown pre-tokenizer is refused by name, never replaced by another pattern.
        GgufWriter u = new GgufWriter().string("general.architecture", "gpt2").string("tokenizer.ggml.model", "gpt2").string("tokenizer.ggml.pre", "deepseek-llm")
                .strings("tokenizer.ggml.tokens", List.of("a")).strings("tokenizer.ggml.merges", List.of());
        Path bad = tmp.resolve("bad.gguf");
        u.write(bad);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> GgufTokenizer.fromMetadata(Gguf.read(bad))).hasMessageContaining("tokenizer.ggml.pre 'deepseek-llm'");
    }
}
