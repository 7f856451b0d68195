// Keras's functional API: Input(shape) and layer.apply(node) build a graph that Model(input, output) runs.
package org.llm4j.keras;

/**
 * {@code var in = Input.shape(100); var out = new Dense(2, "softmax").apply(new LSTM(64).apply(
 * new Embedding(10000, 64).apply(in))); var model = new Model(in, out);}
 *
 * <p>NOTE: every layer here takes one input, so a functional graph is a chain; merge layers
 * (Add, Concatenate) are the step that would make it a graph.
 */
public final class Input {
    private Input() {}

    /** A symbolic input of this shape, batch excluded; -1 is None (a varying length). */
    public static Node shape(int... dims) {
        for (int d : dims) if (d == 0 || d < -1) throw new IllegalArgumentException("Input: dimensions must be positive or -1 (None), got " + java.util.Arrays.toString(dims));
        return new Node(null, null, dims.clone());
    }

    /** A symbolic tensor: the input, or a layer applied to a node. */
    public static final class Node {
        final Layer layer;
        final Node parent;
        final int[] shape; // inputs only

        Node(Layer layer, Node parent) {
            this(layer, parent, null);
            if (parent == null) throw new IllegalArgumentException("apply: the input node is null");
        }

        private Node(Layer layer, Node parent, int[] shape) {
            this.layer = layer;
            this.parent = parent;
            this.shape = shape;
        }
    }
}
