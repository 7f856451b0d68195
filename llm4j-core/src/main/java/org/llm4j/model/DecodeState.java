// What a language model carries between decoding steps: the RNN hidden state or the transformer's KV cache.
package org.llm4j.model;

public interface DecodeState {
    /** Number of tokens consumed so far. */
    int position();
}
