// K-quant GGUF files written by llm4j (Q4_K, Q6_K, llama.cpp's Q4_K_M mix) read back and run: types per tensor, logits near the F32 model's.
package org.llm4j.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.llm4j.kernels.DType;
import org.llm4j.model.DecodeState;
import org.llm4j.model.Llama;
import org.llm4j.model.LlamaConfig;
import org.llm4j.tensor.Tensor;
import org.llm4j.tokenizer.SentencePieceBpeTokenizer;

class GgufKQuantTest {
    @Test
    void q4kmMixFollowsLlamaCppsRules() {
        // 8 layers: use_more_bits picks layers 0 (< 8/8 = 1), 7 (>= 7) and those with (i - 1) % 3 == 2: 3 and 6.
        Quantization q = Quantization.Q4_K_M;
        for (int i = 0; i < 8; i++) {
            DType expected = i == 0 || i == 3 || i == 6 || i == 7 ? DType.Q6_K : DType.Q4_K;
            assertThat(q.matrixType("blk." + i + ".attn_v.weight", 512, 8, false)).as("attn_v " + i).isEqualTo(expected);
            assertThat(q.matrixType("blk." + i + ".ffn_down.weight", 512, 8, false)).as("ffn_down " + i).isEqualTo(expected);
            assertThat(q.matrixType("blk." + i + ".attn_q.weight", 512, 8, false)).isEqualTo(DType.Q4_K);
        }
        assertThat(q.matrixType("output.weight", 512, 8, true)).isEqualTo(DType.Q6_K);
        assertThat(q.matrixType("token_embd.weight", 512, 8, false)).isEqualTo(DType.Q4_K);
        // rows that are not whole super-blocks: Q8_0 when they are whole 32-value blocks, else F32
        assertThat(q.matrixType("blk.1.attn_q.weight", 96, 8, false)).isEqualTo(DType.Q8_0);
        assertThat(Quantization.Q6_K.matrixType("output.weight", 100, 8, true)).isEqualTo(DType.F32);
        assertThat(Quantization.Q4_K.matrixType("output.weight", 512, 8, true)).isEqualTo(DType.Q4_K);
        assertThat(Quantization.parse("--type", "q4_k_m")).isEqualTo(Quantization.Q4_K_M);
        assertThatThrownBy(() -> Quantization.parse("--type", "q5_k")).hasMessageContaining("--type must be one of").hasMessageContaining("q4_k_m");
    }

    @Test
    void kQuantFilesRunNearTheF32Model(@TempDir Path tmp) throws IOException {
        Path d = Llama2cTest.dir();
        // dim 256 and FFN 512: whole super-blocks; 8 layers so that the Q4_K_M mix has both kinds of layer
        Llama src = new LlamaConfig(512, 256, 512, 8, 4, 2, 64, 1e-5f, 10000f, LlamaConfig.RopeStyle.INTERLEAVED, false).build(3) instanceof Llama l ? l : null;
        src.setTraining(false);
        SentencePieceBpeTokenizer tok = Llama2c.readTokenizer(d.resolve("tok512.bin"), 512);
        int[] ids = new int[20];
        for (int i = 0; i < ids.length; i++) ids[i] = 1 + (i * 37) % 500;
        float[] ref = lastLogits(src, ids, false);
        Map<Quantization, Double> errors = new java.util.EnumMap<>(Quantization.class);
        for (Quantization q : new Quantization[] {Quantization.Q8_0, Quantization.Q4_0, Quantization.Q6_K, Quantization.Q4_K, Quantization.Q4_K_M}) {
            Path f = tmp.resolve("tiny-" + q + ".gguf");
            GgufModels.writeLlama(f, src, tok, q, "tiny");
            Gguf g = Gguf.read(f);
            assertThat(g.integer("general.file_type")).isEqualTo(q.fileType);
            Llama m = (Llama) GgufModels.load(f).model();
            Map<String, Tensor> p = m.parameters();
            for (var e : p.entrySet()) {
                if (e.getValue().rank() != 2 || !q.base.quantized()) continue;
                String ggufName = GgufModels.ggufName(e.getKey());
                DType expected = q.matrixType(ggufName, e.getValue().shape()[1], 8, ggufName.equals("output.weight"));
                assertThat(e.getValue().dtype()).as(q + " " + e.getKey()).isEqualTo(expected);
            }
            // the decode path (one token at a time: integer-lane products) and the prompt path
            // (20 rows at once: the GEMM on decoded panels) both land near the F32 logits
            for (boolean batched : new boolean[] {false, true}) {
                float[] got = lastLogits(m, ids, batched);
                double err = 0, norm = 0;
                for (int i = 0; i < ref.length; i++) {
                    err += Math.pow(got[i] - ref[i], 2);
                    norm += Math.pow(ref[i], 2);
                }
                double rel = Math.sqrt(err / norm);
                System.out.printf("%s %s: relative logit error %.4f%n", q, batched ? "prompt" : "decode", rel);
                if (batched) assertThat(rel).as(q + " prompt against decode").isCloseTo(errors.get(q), org.assertj.core.data.Offset.offset(0.01));
                else errors.put(q, rel);
            }
        }
        // Measured on this random 8-layer model: Q8_0 0.021, Q6_K 0.054, Q4_K_M 0.187, Q4_K 0.241, Q4_0 0.271.
        // The K-quants' better 4-bit fit, and the mix's extra bits, show in that order.
        assertThat(errors.get(Quantization.Q6_K)).isLessThan(0.1).isLessThan(4 * errors.get(Quantization.Q8_0));
        assertThat(errors.get(Quantization.Q4_K)).isLessThan(errors.get(Quantization.Q4_0));
        assertThat(errors.get(Quantization.Q4_K_M)).isLessThan(errors.get(Quantization.Q4_K)).isGreaterThan(errors.get(Quantization.Q6_K));
    }

    private static float[] lastLogits(Llama m, int[] ids, boolean batched) {
        DecodeState s = m.newState();
        if (batched) return m.prefill(s, ids);
        float[] logits = null;
        for (int id : ids) logits = m.step(s, id);
        return logits;
    }
}
