// Character tokenizer: sorted vocabulary, lossless round trip (beyond the BMP too), clear errors.
package org.llm4j.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class CharTokenizerTest {
    @Test
    void roundTripsAndSavesAsJson() {
        String text = "Hello, wörld! 😀\n";
        CharTokenizer t = CharTokenizer.fit(text);
        assertThat(t.vocabSize()).isEqualTo((int) text.codePoints().distinct().count());
        assertThat(t.decode(t.encode(text))).isEqualTo(text);
        assertThat(t.encode("\n")).containsExactly(0); // sorted: newline first
        Tokenizer back = Tokenizer.fromJson(t.toJson(), "tok.json");
        assertThat(back.encode(text)).containsExactly(t.encode(text));
    }

    @Test
    void unknownCharactersAndBadFilesAreClearErrors() {
        CharTokenizer t = CharTokenizer.fit("abc");
        assertThatThrownBy(() -> t.encode("abz")).hasMessageContaining("'z'").hasMessageContaining("position 2");
        assertThatThrownBy(() -> t.decode(new int[]{3})).hasMessageContaining("token id 3");
        assertThatThrownBy(() -> Tokenizer.fromJson("{\"type\":\"char\",\"vocab\":[\"ab\"]}", "t.json")).hasMessageContaining("t.json").hasMessageContaining("vocab[0]");
        assertThatThrownBy(() -> Tokenizer.fromJson("{\"type\":\"char\",\"vocab\":[\"a\",\"a\"]}", "t.json")).hasMessageContaining("twice");
        assertThatThrownBy(() -> Tokenizer.fromJson("{\"type\":\"wordpiece\"}", "t.json")).hasMessageContaining("unknown tokenizer type");
        assertThatThrownBy(() -> Tokenizer.fromJson("nope", "t.json")).hasMessageContaining("t.json");
    }

    @Test
    void loadFindsTheFormByContentNotName(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        CharTokenizer t = CharTokenizer.fit("hello");
        java.nio.file.Path f = dir.resolve("chars.json");
        java.nio.file.Files.writeString(f, t.toJson());
        assertThat(Tokenizer.load(f).encode("hole")).containsExactly(t.encode("hole"));
        java.nio.file.Files.writeString(dir.resolve("tokenizer.json"), t.toJson());
        assertThat(Tokenizer.load(dir)).isInstanceOf(CharTokenizer.class);
        assertThatThrownBy(() -> Tokenizer.load(dir.resolve("none.json"))).hasMessageContaining("none.json");
        java.nio.file.Files.writeString(dir.resolve("broken.json"), "{\"type\": ");
        assertThatThrownBy(() -> Tokenizer.load(dir.resolve("broken.json"))).hasMessageContaining("broken.json").hasMessageContaining("JSON");
    }
}
