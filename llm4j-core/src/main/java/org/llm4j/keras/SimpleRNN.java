// Keras SimpleRNN: h_t = tanh(W_ih x_t + b_ih + W_hh h_t-1 + b_hh), PyTorch nn.RNN.
package org.llm4j.keras;

import org.llm4j.tensor.Cell;

public final class SimpleRNN extends RNN {
    public SimpleRNN(int units) {
        this(units, false, 0f);
    }

    public SimpleRNN(int units, boolean returnSequences) {
        this(units, returnSequences, 0f);
    }

    public SimpleRNN(int units, boolean returnSequences, float dropout) {
        super(units, returnSequences, dropout);
    }

    @Override public String className() { return "SimpleRNN"; }

    @Override Cell cell() { return Cell.RNN_TANH; }
}
