// The activations a Dense layer applies to its output, by their Keras names.
package org.llm4j.keras;

import java.util.Locale;
import org.llm4j.tensor.F;
import org.llm4j.tensor.Tensor;

public enum Activation {
    LINEAR, RELU, TANH, SIGMOID, SOFTMAX;

    Tensor apply(Tensor x) {
        return switch (this) {
            case LINEAR -> x;
            case RELU -> F.relu(x);
            case TANH -> F.tanh(x);
            case SIGMOID -> F.sigmoid(x);
            case SOFTMAX -> F.softmax(x);
        };
    }

    public String kerasName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** "softmax", "relu", "tanh", "sigmoid", "linear" (or null / "none" for linear). */
    public static Activation of(String name) {
        if (name == null || name.isBlank() || name.equalsIgnoreCase("none")) return LINEAR;
        try {
            return valueOf(name.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown activation '" + name + "'; use linear, relu, tanh, sigmoid or softmax");
        }
    }
}
