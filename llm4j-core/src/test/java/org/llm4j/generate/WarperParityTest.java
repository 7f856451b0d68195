// The sampling warpers (temperature, top_k, top_p, min_p, typical_p, min_tokens_to_keep) against
// Hugging Face's code run by tools/pytorch/generate_reference.py on random logits.
package org.llm4j.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class WarperParityTest {

    @Test
    void everyWarperKeepsTheTokensHuggingFaceKeeps() throws Exception {
        ObjectMapper json = new ObjectMapper();
        JsonNode ref = json.readTree(getClass().getResourceAsStream("/fixtures/gpt_beam_search.json"));
        assertThat(ref.get("warpers")).hasSizeGreaterThanOrEqualTo(30);
        for (JsonNode w : ref.get("warpers")) {
            JsonNode c = w.get("config");
            int keep = c.path("min_keep").asInt(1);
            List<LogitsProcessor> chain;
            if (keep == 1) { // the generator's own chain, in its own order
                GenerationConfig.Builder b = GenerationConfig.builder().doSample(true);
                if (c.has("temperature")) b.temperature((float) c.get("temperature").asDouble());
                if (c.has("top_k")) b.topK(c.get("top_k").asInt());
                if (c.has("top_p")) b.topP((float) c.get("top_p").asDouble());
                if (c.has("min_p")) b.minP((float) c.get("min_p").asDouble());
                if (c.has("typical_p")) b.typicalP((float) c.get("typical_p").asDouble());
                chain = Generator.Chain.of(b.build(), true).forPrompt(1);
            } else {
                chain = new ArrayList<>();
                if (c.has("top_k")) chain.add(LogitsProcessor.topK(c.get("top_k").asInt(), keep));
                if (c.has("top_p")) chain.add(LogitsProcessor.topP((float) c.get("top_p").asDouble(), keep));
                if (c.has("min_p")) chain.add(LogitsProcessor.minP((float) c.get("min_p").asDouble(), keep));
                if (c.has("typical_p")) chain.add(LogitsProcessor.typicalP((float) c.get("typical_p").asDouble(), keep));
            }
            float[] scores = json.convertValue(w.get("logits"), float[].class);
            for (LogitsProcessor p : chain) p.process(new int[]{0}, 1, scores);
            List<Integer> kept = new ArrayList<>();
            for (int i = 0; i < scores.length; i++) if (scores[i] != Float.NEGATIVE_INFINITY) kept.add(i);
            List<Integer> want = java.util.Arrays.stream(json.convertValue(w.get("kept"), int[].class)).boxed().toList();
            assertThat(kept).as("%s on %s", c, w.get("logits")).isEqualTo(want);
            for (int i : kept) assertThat((double) scores[i]).isCloseTo(w.get("scores").get(i).asDouble(), within(1e-5));
        }
    }
}
