// Beam search on the tiny GPT-2 against Hugging Face's BeamSearchScorer, as tools/pytorch/generate_reference.py runs it.
package org.llm4j.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.llm4j.generate.GenerationConfig;
import org.llm4j.generate.GenerationResult.Sequence;
import org.llm4j.generate.Generator;

class BeamSearchParityTest {

    @Test
    void everyCaseMatchesTheReferenceTokenForToken() throws Exception {
        GPT gpt = GPTParityTest.load(Fixtures.load("gpt_tiny.safetensors"));
        ObjectMapper json = new ObjectMapper();
        JsonNode ref = json.readTree(getClass().getResourceAsStream("/fixtures/gpt_beam_search.json"));
        int[] prompt = json.convertValue(ref.get("prompt"), int[].class);
        assertThat(ref.get("cases")).hasSizeGreaterThanOrEqualTo(6);
        int eosEnded = 0;
        for (JsonNode c : ref.get("cases")) {
            GenerationConfig cfg = GenerationConfig.builder()
                    .numBeams(c.get("num_beams").asInt())
                    .maxNewTokens(c.get("max_new_tokens").asInt())
                    .eosTokenId(json.convertValue(c.get("eos_token_id"), int[].class))
                    .lengthPenalty((float) c.get("length_penalty").asDouble())
                    .earlyStopping(GenerationConfig.EarlyStopping.parse(c.get("early_stopping").asText()))
                    .numReturnSequences(c.get("num_return_sequences").asInt())
                    .repetitionPenalty((float) c.get("repetition_penalty").asDouble())
                    .noRepeatNgramSize(c.get("no_repeat_ngram_size").asInt())
                    .minNewTokens(c.get("min_new_tokens").asInt())
                    .build();
            List<Sequence> got = Generator.generate(gpt, prompt, cfg, null, null).sequences();
            JsonNode want = c.get("sequences");
            assertThat(got).as(c.toString()).hasSize(want.size());
            for (int i = 0; i < want.size(); i++) {
                JsonNode w = want.get(i);
                assertThat(got.get(i).generated()).as("case %s, sequence %d", c, i).containsExactly(json.convertValue(w.get("tokens"), int[].class));
                assertThat(got.get(i).beamScore()).as("case %s, sequence %d score", c, i).isCloseTo(w.get("score").asDouble(), within(2e-5));
                assertThat(got.get(i).finishReason().hfName()).isEqualTo(w.get("finish_reason").asText());
                if (got.get(i).finishReason().hfName().equals("eos")) eosEnded++;
            }
        }
        assertThat(eosEnded).as("hypotheses that ended in EOS").isGreaterThanOrEqualTo(3);
    }
}
