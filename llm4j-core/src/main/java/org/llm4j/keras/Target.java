// A batch of targets: class ids (sparse, −1 = skip) or float values shaped as the model's output.
package org.llm4j.keras;

import org.llm4j.tensor.Tensor;

record Target(int[] sparse, Tensor dense) {
    int rows() {
        return sparse != null ? sparse.length : dense.size() / dense.dim(-1);
    }
}
