// Turns a chat conversation into the prompt text a model continues.
package org.llm4j.server;

import java.util.List;

/**
 * A model whose tokenizer carries a chat template gets that one (none of llm4j's tokenizers has
 * one yet: Jinja templates from tokenizer_config.json are future work); base models get
 * {@link #DEFAULT}.
 */
public interface ChatTemplate {
    record Message(String role, String content) {}

    String render(List<Message> messages);

    /** Stop strings that mark the start of the next turn, so a base model does not write the user's part. */
    List<String> stops();

    /**
     * The documented default for base models: one "role: content" line per message (newlines inside
     * the content kept), then "assistant:" for the model to continue. Generation stops at the next
     * "\nuser:" or "\nsystem:" line. Example:
     * <pre>
     * system: You are terse.
     * user: Hi!
     * assistant:</pre>
     */
    ChatTemplate DEFAULT = new ChatTemplate() {
        @Override public String render(List<Message> messages) {
            StringBuilder sb = new StringBuilder();
            for (Message m : messages) sb.append(m.role()).append(": ").append(m.content()).append('\n');
            return sb.append("assistant:").toString();
        }

        @Override public List<String> stops() {
            return List.of("\nuser:", "\nsystem:");
        }
    };
}
