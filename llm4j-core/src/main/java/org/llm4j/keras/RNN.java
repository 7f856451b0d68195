// The Keras recurrent layers (SimpleRNN, LSTM, GRU) over nn.Recurrent, the fused PyTorch-named op.
package org.llm4j.keras;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.llm4j.nn.Recurrent;
import org.llm4j.tensor.Cell;
import org.llm4j.tensor.F;
import org.llm4j.tensor.Tensor;

/**
 * x (B, T, In) → (B, T, D·units) with returnSequences, else (B, D·units), the state at each
 * sequence's last real step (D = 2 inside {@link Bidirectional}). Keras's {@code dropout} drops
 * the inputs of the layer while training. Weights keep PyTorch's names and gate order
 * ({@code weight_ih_l0}, i f g o), so a layer imports and exports through safetensors as
 * nn.LSTM does; they are initialised as PyTorch (U(±1/√units)), not as Keras (Glorot and
 * orthogonal), which is what makes outputs comparable with a PyTorch model.
 */
public abstract sealed class RNN extends Layer permits SimpleRNN, LSTM, GRU {
    final int units;
    final boolean returnSequences;
    final float dropout;
    boolean bidirectional; // set by the Bidirectional wrapper before build
    Recurrent rnn;

    RNN(int units, boolean returnSequences, float dropout) {
        if (units < 1) throw new IllegalArgumentException(getClass().getSimpleName() + ": units must be positive, got " + units);
        if (!(dropout >= 0f && dropout < 1f)) throw new IllegalArgumentException(getClass().getSimpleName() + ": dropout must be in [0, 1), got " + dropout);
        this.units = units;
        this.returnSequences = returnSequences;
        this.dropout = dropout;
    }

    abstract Cell cell();

    @Override
    int[] build(int[] in, long seed) {
        if (in.length != 2) throw badShape(this, "(None, T, features)", in);
        rnn = new Recurrent(new Recurrent.Config(cell(), in[1], units, 1, bidirectional, 0f, true), seed);
        rnn.parameters().forEach(this::addWeight);
        int out = units * (bidirectional ? 2 : 1);
        return returnSequences ? new int[]{in[0], out} : new int[]{out};
    }

    @Override
    Tensor call(Tensor x, Context ctx) {
        if (dropout > 0f) x = F.dropout(x, dropout, ctx.rng, ctx.training);
        Recurrent.Output o = rnn.forward(x, ctx.lengths, null, null, null);
        if (returnSequences) return o.output();
        ctx.lengths = null;
        return o.last();
    }

    @Override
    void setTraining(boolean on) {
        rnn.setTraining(on);
    }

    @Override
    ObjectNode config() {
        ObjectNode c = node();
        c.put("units", units).put("return_sequences", returnSequences).put("dropout", dropout);
        return c;
    }

    static RNN fromConfig(String className, ObjectNode c) {
        int units = c.path("units").asInt();
        boolean seq = c.path("return_sequences").asBoolean();
        float drop = (float) c.path("dropout").asDouble();
        return switch (className) {
            case "SimpleRNN" -> new SimpleRNN(units, seq, drop);
            case "LSTM" -> new LSTM(units, seq, drop);
            case "GRU" -> new GRU(units, seq, drop);
            default -> throw new IllegalArgumentException("not a recurrent layer: " + className);
        };
    }
}
