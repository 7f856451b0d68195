// The JSON reader for tokenizer files, shared inside the tokenizer package.
package org.llm4j.tokenizer;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.databind.ObjectMapper;

final class TokenizerJson {
    private TokenizerJson() {}

    /**
     * Field-name canonicalisation (interning) is off: a vocabulary's 50,000 distinct keys are
     * read once each, so Jackson's symbol table would only grow without serving a second lookup.
     */
    static final ObjectMapper MAPPER = new ObjectMapper(JsonFactory.builder()
            .disable(JsonFactory.Feature.CANONICALIZE_FIELD_NAMES)
            .disable(JsonFactory.Feature.INTERN_FIELD_NAMES).build());
}
