// Word tokenizer: preprocessing options, frequency-ordered vocabulary, unknown words, JSON round trip.
package org.llm4j.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class WordTokenizerTest {
    static final List<String> DOCS = List.of("The cat sat on the mat.", "The dog ate the cat's dinner!", "A ﬁne day, isn't it?");

    @Test
    void preprocessingOptions() {
        WordTokenizer.Options d = WordTokenizer.Options.defaults();
        assertThat(WordTokenizer.split("The cat's ﬁne, Mr. O'Neil!", d)).containsExactly("the", "cat's", "fine", ",", "mr", ".", "o'neil", "!");
        var remove = new WordTokenizer.Options(false, null, WordTokenizer.Punctuation.REMOVE, Set.of(), 1, 0);
        assertThat(WordTokenizer.split("Hello, World!  (again)", remove)).containsExactly("Hello", "World", "again");
        var keep = new WordTokenizer.Options(true, "NFC", WordTokenizer.Punctuation.KEEP, Set.of(), 1, 0);
        assertThat(WordTokenizer.split("Hello, World!", keep)).containsExactly("hello,", "world!");
        var stop = d.withStopWords(WordTokenizer.ENGLISH_STOP_WORDS);
        assertThat(WordTokenizer.split("The cat sat on the mat", stop)).containsExactly("cat", "sat", "mat");
        assertThat(WordTokenizer.split("e\u0301t\u00e9", d)).containsExactly("\u00e9t\u00e9"); // NFKC composes
    }

    @Test
    void vocabularyIsFrequencyOrderedWithPadAndUnknown() {
        WordTokenizer t = WordTokenizer.fit(DOCS, WordTokenizer.Options.defaults());
        assertThat(t.word(0)).isEqualTo(WordTokenizer.PAD);
        assertThat(t.word(1)).isEqualTo(WordTokenizer.UNK);
        assertThat(t.word(2)).isEqualTo("the"); // 4 times
        assertThat(t.id("zebra")).isEqualTo(t.unknownId());
        int[] ids = t.encode("The zebra sat.");
        assertThat(ids).containsExactly(t.id("the"), 1, t.id("sat"), t.id("."));
        assertThat(t.decode(ids)).isEqualTo("the <unk> sat .");

        WordTokenizer small = WordTokenizer.fit(DOCS, WordTokenizer.Options.defaults().withMaxVocab(5));
        assertThat(small.vocabSize()).isEqualTo(5);
        WordTokenizer frequent = WordTokenizer.fit(DOCS, WordTokenizer.Options.defaults().withMinFrequency(2));
        assertThat(frequent.encode("the cat sat")).containsExactly(frequent.id("the"), frequent.id("cat"), 1);
    }

    @Test
    void jsonRoundTripAndErrors() {
        WordTokenizer t = WordTokenizer.fit(DOCS, WordTokenizer.Options.defaults().withStopWords(List.of("a")));
        Tokenizer back = Tokenizer.fromJson(t.toJson(), "words.json");
        assertThat(back).isInstanceOf(WordTokenizer.class);
        assertThat(back.encode("a fine cat")).containsExactly(t.encode("a fine cat"));
        assertThatThrownBy(() -> Tokenizer.fromJson("{\"type\":\"word\",\"punctuation\":\"eat\",\"vocab\":[\"<pad>\",\"<unk>\"]}", "w.json"))
                .hasMessageContaining("w.json").hasMessageContaining("punctuation");
        assertThatThrownBy(() -> Tokenizer.fromJson("{\"type\":\"word\",\"vocab\":[\"x\"]}", "w.json")).hasMessageContaining("must start with");
        assertThatThrownBy(() -> new WordTokenizer.Options(true, "NFD", WordTokenizer.Punctuation.SPLIT, Set.of(), 1, 0)).hasMessageContaining("normalization");
        assertThatThrownBy(() -> t.word(99)).hasMessageContaining("token id 99");
    }
}
