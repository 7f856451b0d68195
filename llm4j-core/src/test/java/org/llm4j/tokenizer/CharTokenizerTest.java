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
}
