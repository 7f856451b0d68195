// A Keras layer: built once for an input shape, then called on batches; weights named as PyTorch's state dict.
package org.llm4j.keras;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.llm4j.tensor.Tensor;

/**
 * Shapes exclude the batch dimension, as Keras prints them; -1 is Keras's None (a time dimension
 * that varies between batches). A layer reads and may change the {@link Context}'s mask (the
 * per-sequence lengths of a padded batch), which flows from an Embedding with maskZero to the
 * layers after it.
 */
public abstract class Layer {
    String name; // set by the user (named) or by the model when it is built ("lstm", "lstm_1")
    int[] inputShape, outputShape;
    private final Map<String, Tensor> weights = new LinkedHashMap<>();

    /** Keras's class name, printed by summary and stored in the saved architecture. */
    public abstract String className();

    /** Creates the weights for this input shape and returns the output shape. */
    abstract int[] build(int[] inputShape, long seed);

    /** x (B, inputShape...) → (B, outputShape...). */
    abstract Tensor call(Tensor x, Context ctx);

    /** The constructor arguments, for save and load (Keras's get_config). */
    abstract ObjectNode config();

    @SuppressWarnings("unchecked")
    public <L extends Layer> L named(String name) {
        if (name == null || !name.matches("[A-Za-z0-9_]+")) throw new IllegalArgumentException("layer name must be letters, digits or _, got '" + name + "'");
        this.name = name;
        return (L) this;
    }

    public String name() {
        return name;
    }

    /** Functional composition: this layer applied to a symbolic input. */
    public Input.Node apply(Input.Node in) {
        return new Input.Node(this, in);
    }

    /** The weights by their names within this layer (the model prefixes the layer name). */
    public Map<String, Tensor> weights() {
        return Collections.unmodifiableMap(weights);
    }

    protected Tensor addWeight(String name, Tensor t) {
        weights.put(name, t.requiresGrad(true));
        return t;
    }

    public long countParams() {
        long n = 0;
        for (Tensor t : weights.values()) n += t.size();
        return n;
    }

    public int[] outputShape() {
        return outputShape == null ? null : outputShape.clone();
    }

    void setTraining(boolean on) {}

    static ObjectNode node() {
        return JsonNodeFactory.instance.objectNode();
    }

    static String snake(String className) {
        return className.replaceAll("([a-z0-9])([A-Z])", "$1_$2").replaceAll("([A-Z]+)([A-Z][a-z])", "$1_$2").toLowerCase(java.util.Locale.ROOT);
    }

    static IllegalArgumentException badShape(Layer l, String want, int[] got) {
        return new IllegalArgumentException(l.className() + " '" + l.name + "': expects input " + want + ", got (None, "
                + Arrays.toString(got).replace("[", "").replace("]", "").replace("-1", "None") + ")");
    }
}
