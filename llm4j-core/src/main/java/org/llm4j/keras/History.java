// What fit returns: each logged value (loss, metrics, val_*, learning_rate) per epoch, as Keras's History.history.
package org.llm4j.keras;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

public final class History {
    private final Map<String, List<Double>> history = new LinkedHashMap<>();
    private final List<Integer> epochs = new ArrayList<>();

    void add(int epoch, Map<String, Double> logs) {
        epochs.add(epoch);
        logs.forEach((k, v) -> history.computeIfAbsent(k, x -> new ArrayList<>()).add(v));
    }

    /** By name ("loss", "accuracy", "val_loss", ...), one value per completed epoch. */
    public Map<String, List<Double>> history() {
        return Collections.unmodifiableMap(history);
    }

    public List<Double> get(String name) {
        List<Double> v = history.get(name);
        if (v == null) throw new IllegalArgumentException("no '" + name + "' in the history; it has " + history.keySet());
        return Collections.unmodifiableList(v);
    }

    /** Epochs completed (fewer than asked when a callback stopped training). */
    public List<Integer> epochs() {
        return Collections.unmodifiableList(epochs);
    }

    public double last(String name) {
        List<Double> v = get(name);
        return v.get(v.size() - 1);
    }
}
