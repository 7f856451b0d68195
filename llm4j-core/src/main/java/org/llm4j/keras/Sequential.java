// Keras Sequential: a model built by adding layers one after another.
package org.llm4j.keras;

/**
 * {@code new Sequential().add(new Embedding(10000, 128)).add(new LSTM(128, true)).add(new Dense(10000, "softmax"))}.
 * Built on the first batch, or at once when given an input shape.
 */
public final class Sequential extends Model {
    public Sequential() {
        super("sequential");
    }

    Sequential(String name) {
        super(name);
    }

    /** A model whose input shape (batch excluded; -1 = None) is known, so summary works before fit. */
    public static Sequential withInput(int... inputShape) {
        Sequential s = new Sequential();
        s.inputShape = inputShape.clone();
        return s;
    }

    public Sequential add(Layer layer) {
        if (built) throw new IllegalStateException("add: the model is already built");
        layers.add(layer);
        return this;
    }

    /** Builds now, when the model was given its input shape. */
    public Sequential buildNow() {
        if (inputShape == null) throw new IllegalStateException("buildNow: no input shape; use Sequential.withInput(shape) or build(shape)");
        build(inputShape);
        return this;
    }
}
