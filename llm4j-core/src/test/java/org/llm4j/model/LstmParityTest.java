// The LSTM language model against golden logits, final state, loss and gradients from PyTorch nn.LSTM.
package org.llm4j.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.llm4j.model.Fixtures.assertClose;

import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.llm4j.format.Safetensors;
import org.llm4j.tensor.F;
import org.llm4j.tensor.Tensor;

class LstmParityTest {

    static LstmLM load(Safetensors.Contents fx) {
        Map<String, Tensor> t = fx.tensors();
        int v = t.get("embedding.weight").dim(0), e = t.get("embedding.weight").dim(1), h = t.get("lstm.weight_hh_l0").dim(1);
        LstmLM lm = new LstmLM(new LstmConfig(v, e, h, 2, 0f), 0);
        lm.loadParameters(t, true, "lstm_tiny.safetensors");
        lm.setTraining(false);
        return lm;
    }

    @Test
    void logitsLossAndGradientsMatchPyTorch() throws Exception {
        Safetensors.Contents fx = Fixtures.load("lstm_tiny.safetensors");
        Map<String, Tensor> t = fx.tensors();
        LstmLM lm = load(fx);
        int[] ids = Fixtures.ints(t, "input_ids"), targets = Fixtures.ints(t, "targets");
        Tensor logits = lm.forward(ids, t.get("input_ids").dim(0), t.get("input_ids").dim(1));
        assertClose("logits", logits.data, t.get("logits").data, 1e-5);
        Tensor loss = F.crossEntropy(logits, targets, -100);
        assertThat((double) loss.item()).isCloseTo(t.get("loss").item(), org.assertj.core.data.Offset.offset(1e-5));
        loss.backward();
        for (var e : lm.parameters().entrySet()) {
            assertClose("grad of " + e.getKey(), e.getValue().grad(), t.get("grad." + e.getKey()).data, 1e-4);
        }
    }

    @Test
    void stepwiseDecodingCarriesTheHiddenState() throws Exception {
        Safetensors.Contents fx = Fixtures.load("lstm_tiny.safetensors");
        Map<String, Tensor> t = fx.tensors();
        LstmLM lm = load(fx);
        int time = t.get("input_ids").dim(1), v = lm.vocabSize(), h = 5;
        int[] ids = Fixtures.ints(t, "input_ids");
        float[] ref = t.get("logits").data;
        DecodeState s = lm.newState();
        for (int i = 0; i < time; i++) {
            float[] step = lm.step(s, ids[i]); // batch row 0
            assertClose("step " + i, step, Arrays.copyOfRange(ref, i * v, (i + 1) * v), 1e-5);
        }
        // h_n (layers, B, H): row 0 of each layer is the state after the last step
        LstmLM.HiddenState hs = (LstmLM.HiddenState) s;
        float[] hn = t.get("h_n").data;
        int b = t.get("input_ids").dim(0);
        for (int l = 0; l < 2; l++) assertClose("h_n layer " + l, hs.h[l], Arrays.copyOfRange(hn, l * b * h, l * b * h + h), 1e-5);
    }
}
