package org.llm4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class JsonTest {
    @Test
    void parsesTheTreeObjectMapperReads() throws Exception {
        String text = "{\"vocab_size\": 50257, \"big\": 12345678901, \"huge\": 123456789012345678901234567890,"
                + " \"eps\": 1e-05, \"neg\": -0.5, \"t\": true, \"f\": false, \"n\": null, \"s\": \"caf\\u00e9 \\\"q\\\"\","
                + " \"arr\": [1, [2, {\"x\": []}], {}], \"dup\": 1, \"dup\": 2, \"nested\": {\"a\": {\"b\": [\"c\"]}}}";
        var ours = Json.parse(text);
        assertEquals(new ObjectMapper().readTree(text), ours);
        assertTrue(ours.get("vocab_size").isInt() && ours.get("big").isLong() && ours.get("huge").isBigInteger() && ours.get("eps").isDouble());
        assertEquals(2, ours.get("dup").asInt(), "the last of repeated keys, as ObjectMapper");
        assertEquals(new ObjectMapper().readTree("[1, 2.5, \"x\"]"), Json.parse("[1, 2.5, \"x\"]"));
        assertTrue(Json.parse("").isMissingNode());
    }

    @Test
    void malformedInputNamesLineAndColumn() {
        var e = assertThrows(JsonProcessingException.class, () -> Json.parse("{\n  \"a\": [1, 2,\n}"));
        assertEquals(3, e.getLocation().getLineNr());
        var trailing = assertThrows(JsonProcessingException.class, () -> Json.parse("{\"a\": 1} {\"b\": 2}"));
        assertTrue(trailing.getOriginalMessage().contains("trailing"), trailing.getMessage());
        assertThrows(JsonProcessingException.class, () -> Json.parse("[".repeat(5000) + "]".repeat(5000)), "nesting deeper than the parser's limit");
    }
}
