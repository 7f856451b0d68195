// The closed set of model configurations llm4j can build; each maps to and from its config.json.
package org.llm4j.model;

public sealed interface ModelConfig permits GPTConfig, LstmConfig, LlamaConfig {
    int vocabSize();

    /** Builds a freshly initialised model of this configuration. */
    LanguageModel build(long seed);
}
