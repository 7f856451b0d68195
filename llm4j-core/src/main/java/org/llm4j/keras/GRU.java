// Keras GRU: gates r, z, n as PyTorch nn.GRU (reset gate after the matrix product, Keras reset_after=True).
package org.llm4j.keras;

import org.llm4j.tensor.Cell;

public final class GRU extends RNN {
    public GRU(int units) {
        this(units, false, 0f);
    }

    public GRU(int units, boolean returnSequences) {
        this(units, returnSequences, 0f);
    }

    public GRU(int units, boolean returnSequences, float dropout) {
        super(units, returnSequences, dropout);
    }

    @Override public String className() { return "GRU"; }

    @Override Cell cell() { return Cell.GRU; }
}
