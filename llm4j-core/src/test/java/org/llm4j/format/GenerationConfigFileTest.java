// generation_config.json: Hugging Face's file read into GenerationConfig and written back; bad fields named.
package org.llm4j.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.llm4j.generate.GenerationConfig;
import org.llm4j.generate.GenerationConfig.EarlyStopping;

class GenerationConfigFileTest {

    @Test
    void readsHuggingFaceFieldsAndIgnoresTheRest(@TempDir Path dir) throws Exception {
        // As transformers writes it for GPT-2, plus beam settings; null means unset.
        Files.writeString(dir.resolve("generation_config.json"), """
                {"_from_model_config": true, "bos_token_id": 50256, "eos_token_id": [50256, 198],
                 "max_new_tokens": null, "max_length": 50, "num_beams": 4, "early_stopping": "never",
                 "length_penalty": 0.6, "no_repeat_ngram_size": 3, "do_sample": false, "top_k": 50,
                 "transformers_version": "4.40.0"}""");
        GenerationConfig c = GenerationConfigFile.read(dir).build();
        assertThat(c.eosTokenIds()).containsExactly(50256, 198);
        assertThat(c.maxNewTokens()).isEqualTo(-1);
        assertThat(c.maxLength()).isEqualTo(50);
        assertThat(c.numBeams()).isEqualTo(4);
        assertThat(c.earlyStopping()).isEqualTo(EarlyStopping.NEVER);
        assertThat(c.lengthPenalty()).isEqualTo(0.6f);
        assertThat(c.noRepeatNgramSize()).isEqualTo(3);
        assertThat(c.topK()).isEqualTo(50);
        assertThat(c.doSample()).isFalse();
    }

    @Test
    void roundTripsThroughJson() {
        GenerationConfig c = GenerationConfig.builder().maxNewTokens(30).minNewTokens(2).doSample(true).temperature(0.7f).topK(40)
                .topP(0.9f).minP(0.05f).typicalP(0.95f).repetitionPenalty(1.2f).noRepeatNgramSize(2).lengthPenalty(1.5f)
                .earlyStopping(EarlyStopping.TRUE).numReturnSequences(3).eosTokenId(0).padTokenId(1).stopStrings("END", "\n\n").build();
        GenerationConfig back = GenerationConfigFile.apply(GenerationConfigFile.toJson(c), GenerationConfig.builder(), "test").build();
        assertThat(back).isEqualTo(c);
        GenerationConfig one = GenerationConfigFile.apply(GenerationConfigFile.toJson(GenerationConfig.greedy(5)), GenerationConfig.builder(), "test").build();
        assertThat(one).isEqualTo(GenerationConfig.greedy(5));
    }

    @Test
    void absentFileGivesDefaultsAndBadFieldsAreNamed(@TempDir Path dir) throws Exception {
        assertThat(GenerationConfigFile.read(dir).build()).isEqualTo(GenerationConfig.builder().build());
        Files.writeString(dir.resolve("generation_config.json"), "{\"top_p\": \"high\"}");
        assertThatThrownBy(() -> GenerationConfigFile.read(dir)).hasMessageContaining("generation_config.json").hasMessageContaining("top_p");
        Files.writeString(dir.resolve("generation_config.json"), "{\"num_beams\": 2, \"stop_strings\": [\"x\"]}");
        assertThatThrownBy(() -> GenerationConfigFile.read(dir)).hasMessageContaining("generation_config.json").hasMessageContaining("stop_strings");
        Files.writeString(dir.resolve("generation_config.json"), "{\"eos_token_id\": [1, \"two\"]}");
        assertThatThrownBy(() -> GenerationConfigFile.read(dir)).hasMessageContaining("eos_token_id");
        Files.writeString(dir.resolve("generation_config.json"), "{\"max_new_tokens\": -5}");
        assertThatThrownBy(() -> GenerationConfigFile.read(dir)).hasMessageContaining("generation_config.json: max_new_tokens");
        Files.writeString(dir.resolve("generation_config.json"), "[1, 2]");
        assertThatThrownBy(() -> GenerationConfigFile.read(dir)).hasMessageContaining("JSON object");
    }
}
