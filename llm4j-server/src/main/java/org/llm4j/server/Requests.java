// Strict parsing of OpenAI request bodies: every field's type and range checked, with messages that name it.
package org.llm4j.server;

import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import org.llm4j.chat.ChatTemplate;
import org.llm4j.tokenizer.Tokenizer;

final class Requests {
    private Requests() {}

    /** Bounded nesting and string sizes: a hostile body cannot make the parser recurse or allocate without bound. */
    static final ObjectMapper JSON = new ObjectMapper(com.fasterxml.jackson.core.JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(32).maxNumberLength(64).build()).build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private static final Set<String> COMMON = Set.of("model", "max_tokens", "temperature", "top_p", "n", "stop", "seed",
            "presence_penalty", "frequency_penalty", "logprobs", "user", "stream", "stream_options");
    private static final Set<String> COMPLETION = union(COMMON, Set.of("prompt"));
    private static final Set<String> CHAT = union(COMMON, Set.of("messages", "top_logprobs", "max_completion_tokens"));
    private static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant");
    private static final SecureRandom SEEDS = new SecureRandom();

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> s = new java.util.HashSet<>(a);
        s.addAll(b);
        return Set.copyOf(s);
    }

    /** The body as a JSON object: strict UTF-8 first (invalid bytes are an error, not U+FFFD), then JSON. */
    static JsonNode parseBody(byte[] body) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(body)).toString();
        } catch (CharacterCodingException e) {
            throw ApiError.invalid(null, "The request body is not valid UTF-8.");
        }
        JsonNode n;
        try {
            n = JSON.readTree(text);
        } catch (Exception e) {
            String why = e.getMessage() == null ? "" : e.getMessage().lines().findFirst().orElse("");
            throw ApiError.invalid(null, "We could not parse the JSON body of your request: " + why);
        }
        if (n == null || !n.isObject()) throw ApiError.invalid(null, "The request body must be a JSON object.");
        return n;
    }

    /** Validates a /v1/completions (chat = false) or /v1/chat/completions body against the server's limits. */
    static GenRequest parse(JsonNode body, boolean chat, Tokenizer tok, ChatTemplate template, ServerOptions opt, int contextLength) {
        Set<String> known = chat ? CHAT : COMPLETION;
        for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!known.contains(f)) throw ApiError.invalid(f, "Unrecognized request argument supplied: " + f);
        }
        String model = string(body, "model", true);
        if (!model.equals(opt.modelName())) throw ApiError.notFound("The model '" + model + "' does not exist; this server serves '" + opt.modelName() + "'.", "model_not_found");

        List<String> texts = new ArrayList<>();
        List<String> stops = new ArrayList<>();
        if (chat) {
            List<ChatTemplate.Message> messages = messages(body.get("messages"));
            try {
                texts.add(template.render(messages, true));
            } catch (ChatTemplate.TemplateError e) {
                // The template's own refusal (Mistral's "roles must alternate") is the client's to fix: 400 with its words.
                if (e.raisedByTemplate()) throw ApiError.invalid("messages", "The model's chat template refused these messages: " + e.getMessage(), "invalid_messages");
                throw ApiError.internal(e.getMessage());
            }
            stops.addAll(template.stops());
        } else {
            JsonNode p = body.get("prompt");
            if (p == null || p.isNull()) throw ApiError.invalid("prompt", "'prompt' is required.");
            if (p.isTextual()) texts.add(p.textValue());
            else if (p.isArray() && !p.isEmpty()) {
                for (int i = 0; i < p.size(); i++) {
                    if (!p.get(i).isTextual()) throw ApiError.invalid("prompt", "'prompt' must be a string or an array of strings; element " + i + " is " + kind(p.get(i)) + ".");
                    texts.add(p.get(i).textValue());
                }
            } else throw ApiError.invalid("prompt", "'prompt' must be a string or a non-empty array of strings, got " + kind(p) + ".");
        }
        List<int[]> prompts = new ArrayList<>();
        int total = 0;
        for (int i = 0; i < texts.size(); i++) {
            String t = texts.get(i);
            if (t.length() > opt.maxBodyBytes()) throw ApiError.invalid(chat ? "messages" : "prompt", "The prompt is too long.", "context_length_exceeded");
            int[] ids;
            try {
                ids = chat ? template.encode(tok, t) : tok.encode(t);
            } catch (IllegalArgumentException e) {   // e.g. a character outside a character-level vocabulary
                throw ApiError.invalid(chat ? "messages" : "prompt", "The prompt cannot be tokenized: " + e.getMessage());
            }
            if (ids.length == 0) throw ApiError.invalid(chat ? "messages" : "prompt", "The prompt" + (texts.size() > 1 ? " " + i : "") + " is empty: it must hold at least one token.");
            total += ids.length;
            prompts.add(ids);
        }
        int longest = prompts.stream().mapToInt(a -> a.length).max().orElse(0);
        if (total > opt.maxPromptTokens())
            throw ApiError.invalid(chat ? "messages" : "prompt", "The prompt has " + total + " tokens; this server accepts at most " + opt.maxPromptTokens() + ".", "context_length_exceeded");

        Integer maxTokens = integer(body, "max_tokens", 1, Integer.MAX_VALUE);
        if (chat) {
            Integer mct = integer(body, "max_completion_tokens", 1, Integer.MAX_VALUE);
            if (mct != null) maxTokens = mct;
        }
        String maxName = chat && body.has("max_completion_tokens") ? "max_completion_tokens" : "max_tokens";
        if (maxTokens != null && maxTokens > opt.maxTokens())
            throw ApiError.invalid(maxName, "'" + maxName + "' is " + maxTokens + "; this server allows at most " + opt.maxTokens() + ".");
        // OpenAI's completions default is 16 tokens; chat runs to the end of the context (here: to the server's limit)
        int room = contextLength == Integer.MAX_VALUE ? Integer.MAX_VALUE : contextLength - longest;
        if (room < 1) throw ApiError.invalid(chat ? "messages" : "prompt", "This model's maximum context length is " + contextLength + " tokens; the prompt has " + longest + ".", "context_length_exceeded");
        int max;
        if (maxTokens == null) max = Math.min(chat ? opt.maxTokens() : Math.min(16, opt.maxTokens()), room);
        else if (maxTokens > room)
            throw ApiError.invalid(maxName, "This model's maximum context length is " + contextLength + " tokens. However, you requested "
                    + (longest + maxTokens) + " tokens (" + longest + " in the prompt, " + maxTokens + " for the completion).", "context_length_exceeded");
        else max = maxTokens;

        Double temperature = number(body, "temperature", 0, 2);
        Double topP = number(body, "top_p", 0, 1);
        Integer n = integer(body, "n", 1, Integer.MAX_VALUE);
        if (n != null && n > opt.maxN()) throw ApiError.invalid("n", "'n' is " + n + "; this server allows at most " + opt.maxN() + ".");
        JsonNode s = body.get("stop");
        if (s != null && !s.isNull()) {
            if (s.isTextual()) stops.add(nonEmpty(s.textValue(), "stop"));
            else if (s.isArray()) {
                if (s.size() > 4) throw ApiError.invalid("stop", "'stop' takes at most 4 sequences, got " + s.size() + ".");
                for (int i = 0; i < s.size(); i++) {
                    if (!s.get(i).isTextual()) throw ApiError.invalid("stop", "'stop' must be a string or an array of strings; element " + i + " is " + kind(s.get(i)) + ".");
                    stops.add(nonEmpty(s.get(i).textValue(), "stop"));
                }
            } else throw ApiError.invalid("stop", "'stop' must be a string or an array of strings, got " + kind(s) + ".");
        }
        stops.addAll(opt.stopWords());
        Long seed = longValue(body, "seed");
        Double presence = number(body, "presence_penalty", -2, 2), frequency = number(body, "frequency_penalty", -2, 2);

        int topLogprobs = -1;
        JsonNode lp = body.get("logprobs");
        if (chat) {
            boolean want = bool(body, "logprobs", false);
            Integer top = integer(body, "top_logprobs", 0, 20);
            if (top != null && !want) throw ApiError.invalid("top_logprobs", "'top_logprobs' needs 'logprobs': true.");
            if (want) topLogprobs = top == null ? 0 : top;
        } else if (lp != null && !lp.isNull()) {
            topLogprobs = integer(body, "logprobs", 0, 5);
        }
        String user = body.has("user") && !body.get("user").isNull() ? string(body, "user", false) : null;
        if (user != null && user.length() > 256) throw ApiError.invalid("user", "'user' must be at most 256 characters.");
        boolean stream = bool(body, "stream", false);
        boolean includeUsage = false;
        JsonNode so = body.get("stream_options");
        if (so != null && !so.isNull()) {
            if (!so.isObject()) throw ApiError.invalid("stream_options", "'stream_options' must be an object, got " + kind(so) + ".");
            if (!stream) throw ApiError.invalid("stream_options", "'stream_options' is only allowed when 'stream' is true.");
            for (Iterator<String> it = so.fieldNames(); it.hasNext(); ) {
                String f = it.next();
                if (!f.equals("include_usage")) throw ApiError.invalid("stream_options." + f, "Unrecognized stream option: " + f);
            }
            includeUsage = bool(so, "include_usage", false);
        }
        return new GenRequest(chat, prompts, String.join("\u241E", texts), max, temperature == null ? 1f : temperature.floatValue(),
                topP == null ? 1f : topP.floatValue(), n == null ? 1 : n, List.copyOf(stops),
                seed == null ? SEEDS.nextLong() : seed, presence == null ? 0f : presence.floatValue(),
                frequency == null ? 0f : frequency.floatValue(), topLogprobs, stream, includeUsage, user, chat ? template.stopTokenIds() : new int[0]);
    }

    private static List<ChatTemplate.Message> messages(JsonNode m) {
        if (m == null || m.isNull()) throw ApiError.invalid("messages", "'messages' is required.");
        if (!m.isArray() || m.isEmpty()) throw ApiError.invalid("messages", "'messages' must be a non-empty array, got " + kind(m) + ".");
        List<ChatTemplate.Message> out = new ArrayList<>();
        for (int i = 0; i < m.size(); i++) {
            JsonNode msg = m.get(i);
            String at = "messages[" + i + "]";
            if (!msg.isObject()) throw ApiError.invalid(at, "'" + at + "' must be an object, got " + kind(msg) + ".");
            for (Iterator<String> it = msg.fieldNames(); it.hasNext(); ) {
                String f = it.next();
                if (!f.equals("role") && !f.equals("content") && !f.equals("name"))
                    throw ApiError.invalid(at + "." + f, "Unrecognized message field: " + at + "." + f);
            }
            JsonNode role = msg.get("role");
            if (role == null || !role.isTextual()) throw ApiError.invalid(at + ".role", "'" + at + ".role' must be a string.");
            if (!ROLES.contains(role.textValue()))
                throw ApiError.invalid(at + ".role", "'" + at + ".role' is '" + role.textValue() + "'; expected one of system, developer, user, assistant.");
            JsonNode c = msg.get("content");
            String content;
            if (c != null && c.isTextual()) content = c.textValue();
            else if (c != null && c.isArray()) {      // content parts: only text parts
                StringBuilder sb = new StringBuilder();
                for (int j = 0; j < c.size(); j++) {
                    JsonNode part = c.get(j);
                    if (!part.isObject() || !"text".equals(part.path("type").asText(null)) || !part.path("text").isTextual())
                        throw ApiError.invalid(at + ".content", "'" + at + ".content[" + j + "]' must be {\"type\": \"text\", \"text\": string}; only text is supported.");
                    sb.append(part.get("text").textValue());
                }
                content = sb.toString();
            } else throw ApiError.invalid(at + ".content", "'" + at + ".content' must be a string or an array of text parts, got " + kind(c) + ".");
            String role1 = role.textValue().equals("developer") ? "system" : role.textValue();
            out.add(new ChatTemplate.Message(role1, content));
        }
        return out;
    }

    static String kind(JsonNode n) {
        if (n == null || n.isNull()) return "null";
        if (n.isTextual()) return "a string";
        if (n.isBoolean()) return "a boolean";
        if (n.isIntegralNumber()) return "an integer";
        if (n.isNumber()) return "a number";
        if (n.isArray()) return "an array";
        return "an object";
    }

    private static String nonEmpty(String s, String field) {
        if (s.isEmpty()) throw ApiError.invalid(field, "'" + field + "' must not contain an empty string.");
        return s;
    }

    private static String string(JsonNode body, String field, boolean required) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) {
            if (required) throw ApiError.invalid(field, "'" + field + "' is required.");
            return null;
        }
        if (!n.isTextual()) throw ApiError.invalid(field, "'" + field + "' must be a string, got " + kind(n) + ".");
        return n.textValue();
    }

    private static boolean bool(JsonNode body, String field, boolean dflt) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) return dflt;
        if (!n.isBoolean()) throw ApiError.invalid(field, "'" + field + "' must be a boolean, got " + kind(n) + ".");
        return n.booleanValue();
    }

    /** An integer in [lo, hi] (a float such as 2.0 is refused, as OpenAI does), or null when absent. */
    private static Integer integer(JsonNode body, String field, int lo, int hi) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) return null;
        if (!n.isIntegralNumber()) throw ApiError.invalid(field, "'" + field + "' must be an integer, got " + kind(n) + ".");
        if (!n.canConvertToInt() || n.intValue() < lo || n.intValue() > hi)
            throw ApiError.invalid(field, "'" + field + "' must be an integer in [" + lo + ", " + hi + "], got " + n.asText() + ".");
        return n.intValue();
    }

    private static Long longValue(JsonNode body, String field) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) return null;
        if (!n.isIntegralNumber()) throw ApiError.invalid(field, "'" + field + "' must be an integer, got " + kind(n) + ".");
        if (!n.canConvertToLong()) throw ApiError.invalid(field, "'" + field + "' must fit in 64 bits, got " + n.asText() + ".");
        return n.longValue();
    }

    /** A finite number in [lo, hi], or null when absent (JSON has no NaN; Jackson refuses it by default). */
    private static Double number(JsonNode body, String field, double lo, double hi) {
        JsonNode n = body.get(field);
        if (n == null || n.isNull()) return null;
        if (!n.isNumber()) throw ApiError.invalid(field, "'" + field + "' must be a number, got " + kind(n) + ".");
        double v = n.doubleValue();
        if (!Double.isFinite(v) || v < lo || v > hi) throw ApiError.invalid(field, "'" + field + "' must be a number in [" + lo + ", " + hi + "], got " + n.asText() + ".");
        return v;
    }
}
