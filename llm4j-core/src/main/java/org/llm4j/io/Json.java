// JSON trees for the files a model folder is loaded from, read with Jackson's streaming parser.
package org.llm4j.io;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * {@link #parse} gives the tree {@code new ObjectMapper().readTree(text)} gives (int, long and big
 * integer nodes by size, doubles, the last of repeated keys), without building an ObjectMapper:
 * on a cold JVM the mapper's set-up and first read cost ~150 ms, a large share of the time to
 * the first token; the streaming parser and the node classes cost a fraction of that. Field names
 * are not interned (a tokenizer's 50,000 vocabulary keys are read once each). Writing still goes
 * through {@link #mapper()}, created on first use.
 */
public final class Json {
    private static final JsonFactory FACTORY = JsonFactory.builder()
            .disable(JsonFactory.Feature.CANONICALIZE_FIELD_NAMES)
            .disable(JsonFactory.Feature.INTERN_FIELD_NAMES).build();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private Json() {}

    /** The JSON value of the text; malformed or trailing input throws with its line and column. */
    public static JsonNode parse(String text) throws JsonProcessingException {
        try (JsonParser p = FACTORY.createParser(text)) {
            JsonToken first = p.nextToken();
            if (first == null) return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
            JsonNode root = value(p, first);
            if (p.nextToken() != null) throw new com.fasterxml.jackson.core.JsonParseException(p, "trailing content after the JSON value");
            return root;
        } catch (JsonProcessingException e) {
            throw e;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);   // a String source has no I/O to fail
        }
    }

    /** An empty object node (no mapper needed). */
    public static ObjectNode object() {
        return NODES.objectNode();
    }

    /** A mapper for writing, created on first use. */
    public static ObjectMapper mapper() {
        return Mapper.INSTANCE;
    }

    private static final class Mapper {
        static final ObjectMapper INSTANCE = new ObjectMapper();
    }

    private static JsonNode value(JsonParser p, JsonToken t) throws java.io.IOException {
        switch (t) {
            case START_OBJECT -> {
                ObjectNode o = NODES.objectNode();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String key = p.currentName();
                    o.set(key, value(p, p.nextToken()));
                }
                return o;
            }
            case START_ARRAY -> {
                ArrayNode a = NODES.arrayNode();
                for (JsonToken e = p.nextToken(); e != JsonToken.END_ARRAY; e = p.nextToken()) a.add(value(p, e));
                return a;
            }
            case VALUE_STRING -> {
                return NODES.textNode(p.getText());
            }
            case VALUE_NUMBER_INT -> {
                return switch (p.getNumberType()) {
                    case INT -> NODES.numberNode(p.getIntValue());
                    case LONG -> NODES.numberNode(p.getLongValue());
                    default -> NODES.numberNode(p.getBigIntegerValue());
                };
            }
            case VALUE_NUMBER_FLOAT -> {
                return NODES.numberNode(p.getDoubleValue());
            }
            case VALUE_TRUE -> {
                return NODES.booleanNode(true);
            }
            case VALUE_FALSE -> {
                return NODES.booleanNode(false);
            }
            case VALUE_NULL -> {
                return NODES.nullNode();
            }
            default -> throw new com.fasterxml.jackson.core.JsonParseException(p, "unexpected " + t);
        }
    }
}
