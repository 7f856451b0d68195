// The real TinyStories model of llama2.c (stories260K): greedy text and NLL match llama2.c's run.c.
package org.llm4j.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.llm4j.generate.GenerationConfig;
import org.llm4j.generate.Generator;
import org.llm4j.kernels.DType;
import org.llm4j.model.DecodeState;
import org.llm4j.model.Llama;
import org.llm4j.tokenizer.SentencePieceBpeTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Llama2cTest {
    // Surefire passes $LLM4J_DATA_MIRROR as -Dllm4j.data.mirror; unset, it arrives as "${env...}".
    static Path dir() {
        String m = System.getProperty("llm4j.data.mirror", "");
        assumeTrue(!m.isBlank() && !m.startsWith("${") && Files.isDirectory(Path.of(m, "llama2c-stories260K")),
                "set LLM4J_DATA_MIRROR to ../shared/data to run the llama2.c tests");
        return Path.of(m, "llama2c-stories260K");
    }

    @Test
    void greedyTemperatureZeroReproducesRunC() throws IOException {
        Path d = dir();
        Llama model = Llama2c.load(d.resolve("stories260K.bin"));
        SentencePieceBpeTokenizer tok = Llama2c.readTokenizer(d.resolve("tok512.bin"), model.vocabSize());
        assertThat(model.isMapped()).isTrue();
        assertThat(model.parameters().get("model.embed_tokens.weight").dtype()).isEqualTo(DType.F32);
        // run.c -t 0 -n 200 with no prompt: encode("") = [BOS], 200 forward passes, each sampled token printed.
        int[] prompt = tok.encode("");
        assertThat(prompt).containsExactly(1);
        var result = Generator.generate(model, prompt, GenerationConfig.greedy(200), tok, null);
        int[] ids = result.sequences().getFirst().tokens();
        assertThat(ids).hasSize(201);
        String expected = Files.readString(d.resolve("expected_greedy_t0_n200.txt"), StandardCharsets.UTF_8);
        assertThat(tok.decode(ids).strip()).isEqualTo(expected.strip());
    }

    @Test
    void meanNllOnTinyStoriesMatchesReference() throws IOException {
        Path d = dir();
        JsonNode ref = new ObjectMapper().readTree(d.resolve("reference_nll.json").toFile());
        Llama model = Llama2c.load(d.resolve("stories260K.bin"));
        SentencePieceBpeTokenizer tok = Llama2c.readTokenizer(d.resolve("tok512.bin"), model.vocabSize());
        byte[] head = Arrays.copyOf(Files.readAllBytes(d.resolveSibling("tinystories-sample").resolve("tinystories_train_head.txt")), 2000);
        int[] ids = tok.encode(new String(head, StandardCharsets.UTF_8));       // BOS + dummy prefix, no EOS
        assertThat(ids.length).isEqualTo(ref.get("n_tokens_encoded").asInt());
        for (int i = 0; i < ref.get("first_tokens").size(); i++) assertThat(ids[i]).as("token " + i).isEqualTo(ref.get("first_tokens").get(i).asInt());
        int scored = Math.min(ids.length - 1, model.contextLength() - 1);
        assertThat(scored).isEqualTo(ref.get("positions_scored").asInt());
        DecodeState s = model.newState();
        double nll = 0;
        for (int t = 0; t < scored; t++) {
            float[] logits = model.step(s, ids[t]);
            if (t == 0) {
                for (int j = 0; j < 8; j++) assertThat((double) logits[j]).isCloseTo(ref.get("logits_pos0_first8").get(j).asDouble(), org.assertj.core.data.Offset.offset(1e-4));
            }
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (float v : logits) max = Math.max(max, v);
            for (float v : logits) sum += Math.exp(v - max);
            nll += max + Math.log(sum) - logits[ids[t + 1]];
        }
        assertThat(nll / scored).isCloseTo(ref.get("mean_nll_nats_per_token").asDouble(), org.assertj.core.data.Offset.offset(1e-4));
    }

    @Test
    void tokenizerRoundTripsWithByteFallback() throws IOException {
        Path d = dir();
        SentencePieceBpeTokenizer tok = Llama2c.readTokenizer(d.resolve("tok512.bin"), 512);
        assertThat(tok.vocabSize()).isEqualTo(512);
        String text = "Once upon a time, Lily saw a café 🐱 and said \"hi\".\nThe end.";
        int[] ids = tok.encode(text);
        assertThat(ids[0]).isEqualTo(1);
        assertThat(tok.decode(ids)).isEqualTo(text);
        // é and the cat are not pieces: they become their UTF-8 bytes, ids 3 + byte as in llama2.c.
        int[] cat = tok.encode("🐱", false);
        assertThat(cat).containsExactly(tok.encode(" ", false)[0], 3 + 0xF0, 3 + 0x9F, 3 + 0x90, 3 + 0xB1);
        // The stream decoder gives the same text, holding bytes back until a character is whole.
        var sd = tok.streamDecoder();
        StringBuilder sb = new StringBuilder();
        for (int id : ids) sb.append(sd.next(id));
        assertThat(sb.append(sd.finish()).toString()).isEqualTo(text);
        // llm4j's JSON form reads back to the same tokenizer.
        var again = (SentencePieceBpeTokenizer) org.llm4j.tokenizer.Tokenizer.fromJson(tok.toJson(), "test");
        assertThat(again.encode(text)).containsExactly(ids);
    }

    @Test
    void badCheckpointsAreRefusedByField(@TempDir Path tmp) throws IOException {
        Path d = dir();
        byte[] good = Files.readAllBytes(d.resolve("stories260K.bin"));
        Path f = tmp.resolve("cut.bin");
        Files.write(f, Arrays.copyOf(good, good.length - 4));
        assertThatThrownBy(() -> Llama2c.load(f)).hasMessageContaining("bytes, but a llama2.c checkpoint");
        byte[] bad = good.clone();
        bad[8] = (byte) 0xFF; bad[9] = (byte) 0xFF; bad[10] = (byte) 0xFF; bad[11] = (byte) 0x7F; // n_layers = 2^31 - 1
        Files.write(f, bad);
        assertThatThrownBy(() -> Llama2c.load(f)).hasMessageContaining("n_layers");
        Files.write(f, new byte[10]);
        assertThatThrownBy(() -> Llama2c.load(f)).hasMessageContaining("too short");
        byte[] tok = Files.readAllBytes(d.resolve("tok512.bin"));
        Files.write(f, Arrays.copyOf(tok, tok.length - 3));
        assertThatThrownBy(() -> Llama2c.readTokenizer(f, 0)).hasMessageContaining("token 511");
        assertThatThrownBy(() -> Llama2c.readTokenizer(d.resolve("tok512.bin"), 500)).hasMessageContaining("512 tokens");
    }
}
