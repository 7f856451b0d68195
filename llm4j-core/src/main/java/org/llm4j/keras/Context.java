// What flows beside the activations during one forward pass: training mode, the dropout generator, the mask.
package org.llm4j.keras;

import org.llm4j.tensor.Rng;

final class Context {
    final boolean training;
    final Rng rng;
    // Per-sequence lengths of a post-padded batch (Keras's mask as pack_padded_sequence sees it),
    // or null when no step is masked. Set by Embedding(maskZero), read by RNN and pooling layers.
    int[] lengths;

    Context(boolean training, Rng rng) {
        this.training = training;
        this.rng = rng;
    }
}
