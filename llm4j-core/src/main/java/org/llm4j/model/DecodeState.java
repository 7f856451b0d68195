// What a language model carries between decoding steps: the RNN hidden state or the transformer's KV cache.
package org.llm4j.model;

public interface DecodeState {
    /** Number of tokens consumed so far. */
    int position();

    /**
     * An independent deep copy: stepping either one never changes the other. Beam search forks a
     * hypothesis this way, and num_return_sequences shares one prompt prefill among its samples.
     */
    DecodeState copy();
}
