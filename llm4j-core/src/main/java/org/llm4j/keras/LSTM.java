// Keras LSTM: gates i, f, g, o as PyTorch nn.LSTM.
package org.llm4j.keras;

import org.llm4j.tensor.Cell;

public final class LSTM extends RNN {
    public LSTM(int units) {
        this(units, false, 0f);
    }

    public LSTM(int units, boolean returnSequences) {
        this(units, returnSequences, 0f);
    }

    public LSTM(int units, boolean returnSequences, float dropout) {
        super(units, returnSequences, dropout);
    }

    @Override public String className() { return "LSTM"; }

    @Override Cell cell() { return Cell.LSTM; }
}
