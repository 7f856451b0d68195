// The recurrent layers against PyTorch: a 2-layer bidirectional nn.RNN (tanh, relu), nn.GRU and
// nn.LSTM over a packed, padded batch, from fixtures made by tools/pytorch/make_rnn_fixtures.py.
package org.llm4j.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.llm4j.model.Fixtures.assertClose;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.llm4j.format.Safetensors;
import org.llm4j.tensor.Cell;
import org.llm4j.tensor.F;
import org.llm4j.tensor.Tensor;

class RecurrentParityTest {

    static Tensor leaf(Tensor t) {
        return Tensor.param(t.data.clone(), t.shape());
    }

    @ParameterizedTest
    @CsvSource({"rnn_tanh, RNN_TANH", "rnn_relu, RNN_RELU", "gru, GRU", "lstm, LSTM"})
    void outputsStatesAndGradientsMatchPyTorch(String name, Cell cell) throws Exception {
        String file = "recurrent_" + name + ".safetensors";
        Map<String, Tensor> t = Safetensors.read(Path.of(getClass().getResource("/fixtures/" + file).toURI())).tensors();
        Tensor x = leaf(t.get("input")), h0 = leaf(t.get("h0"));
        Tensor c0 = cell.hasCellState() ? leaf(t.get("c0")) : null;
        float[] lf = t.get("lengths").data;
        int[] lengths = new int[lf.length];
        for (int i = 0; i < lf.length; i++) lengths[i] = (int) lf[i];
        int hidden = t.get("weight_hh_l0").dim(1);

        Recurrent rnn = new Recurrent(new Recurrent.Config(cell, x.dim(2), hidden, 2, true, 0f, true), 0);
        rnn.loadParameters(t, true, file); // PyTorch's names as they are: a plain copy
        Recurrent.Output out = rnn.forward(x, lengths, h0, c0, null);

        assertClose(name + " output", out.output().data, t.get("output").data, 1e-5);
        assertThat(out.output().shape()).containsExactly(t.get("output").shape());
        assertClose(name + " h_n", out.hN().data, t.get("h_n").data, 1e-5);
        assertThat(out.hN().shape()).containsExactly(t.get("h_n").shape());
        if (c0 != null) assertClose(name + " c_n", out.cN().data, t.get("c_n").data, 1e-5);

        Tensor loss = F.add(F.sum(F.mul(out.output(), t.get("w_out"))), F.sum(F.mul(out.hN(), t.get("w_h"))));
        if (c0 != null) loss = F.add(loss, F.sum(F.mul(out.cN(), t.get("w_c"))));
        loss.backward();
        for (var e : rnn.parameters().entrySet()) {
            assertClose(name + " grad of " + e.getKey(), e.getValue().grad(), t.get("grad." + e.getKey()).data, 1e-4);
        }
        assertClose(name + " grad of input", x.grad(), t.get("grad.input").data, 1e-4);
        assertClose(name + " grad of h0", h0.grad(), t.get("grad.h0").data, 1e-4);
        if (c0 != null) assertClose(name + " grad of c0", c0.grad(), t.get("grad.c0").data, 1e-4);
    }
}
