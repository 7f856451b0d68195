// The recurrent cells llm4j fuses into one op each, named as PyTorch's RNN modes.
package org.llm4j.tensor;

/**
 * The closed set of recurrent cells. {@code gates} is how many H-wide blocks the weights stack:
 * W_ih is (gates·H, In) and W_hh (gates·H, H), in PyTorch's order.
 * <ul>
 *   <li>RNN_TANH, RNN_RELU (nn.RNN): h' = act(W_ih x + b_ih + W_hh h + b_hh).</li>
 *   <li>LSTM (nn.LSTM), gates i, f, g, o: c' = σ(f)⊙c + σ(i)⊙tanh(g), h' = σ(o)⊙tanh(c').</li>
 *   <li>GRU (nn.GRU), gates r, z, n: r = σ(W_ir x + b_ir + W_hr h + b_hr), z likewise,
 *       n = tanh(W_in x + b_in + r⊙(W_hn h + b_hn)), h' = (1 − z)⊙n + z⊙h.</li>
 * </ul>
 */
public enum Cell {
    RNN_TANH(1), RNN_RELU(1), LSTM(4), GRU(3);

    public final int gates;

    Cell(int gates) {
        this.gates = gates;
    }

    /** True for the LSTM, the one cell with a second state (c). */
    public boolean hasCellState() {
        return this == LSTM;
    }
}
