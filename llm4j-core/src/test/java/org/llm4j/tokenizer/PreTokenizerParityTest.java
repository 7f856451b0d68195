// The byte-level pre-tokenizers against pieces made by Python's `regex` module
// (tools/tokenizer/make_pretokenizer_fixtures.py) on multilingual, numeric, white-space and emoji text.
package org.llm4j.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PreTokenizerParityTest {
    @Test
    void piecesMatchPythonRegex() throws Exception {
        JsonNode root = new ObjectMapper().readTree(Path.of(getClass().getResource("/fixtures/pretokenizer_pieces.json").toURI()).toFile());
        int checked = 0;
        for (ByteLevelPreTokenizer p : ByteLevelPreTokenizer.values()) {
            assertThat(root.path("patterns").path(p.ggufName()).asText()).as(p + " pattern").isEqualTo(p.regex());
            for (JsonNode c : root.path("cases")) {
                String text = c.path("text").asText();
                List<String> expected = new ArrayList<>();
                c.path("pieces").path(p.ggufName()).forEach(n -> expected.add(n.asText()));
                assertThat(p.split(text)).as(p + " on " + text).containsExactlyElementsOf(expected);
                // The java.util.regex twin of GPT-2's scanner agrees too.
                if (p == ByteLevelPreTokenizer.GPT2) {
                    List<String> viaRegex = new ArrayList<>();
                    var m = Gpt2PreTokenizer.PATTERN.matcher(text);
                    while (m.find()) viaRegex.add(m.group());
                    assertThat(viaRegex).as("GPT-2 regex on " + text).containsExactlyElementsOf(expected);
                }
                checked++;
            }
        }
        assertThat(checked).isGreaterThan(60);
    }

    @Test
    void namesAreLlamaCppsAndUnknownOnesGiveNull() {
        assertThat(ByteLevelPreTokenizer.byGgufName("llama-bpe")).isEqualTo(ByteLevelPreTokenizer.LLAMA3);
        assertThat(ByteLevelPreTokenizer.byGgufName("qwen2")).isEqualTo(ByteLevelPreTokenizer.QWEN2);
        assertThat(ByteLevelPreTokenizer.byGgufName("gpt-2")).isEqualTo(ByteLevelPreTokenizer.GPT2);
        assertThat(ByteLevelPreTokenizer.byGgufName("deepseek-llm")).isNull();
    }
}
