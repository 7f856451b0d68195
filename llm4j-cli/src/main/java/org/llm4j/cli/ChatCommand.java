// `llm4j chat`: a conversation with a model through its own chat template, streamed as it is
// generated; interactive on a terminal, one user turn per line when stdin is piped.
package org.llm4j.cli;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import org.llm4j.chat.ChatTemplate;
import org.llm4j.chat.ChatTemplate.Message;
import org.llm4j.format.GenerationConfigFile;
import org.llm4j.format.ModelFiles;
import org.llm4j.generate.GenerationConfig;
import org.llm4j.generate.GenerationResult;
import org.llm4j.generate.Generator;
import org.llm4j.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "chat", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Chat with a model through its chat template (GGUF tokenizer.chat_template, tokenizer_config.json or chat_template.jinja;",
                "models without one use the plain \"role: content\" format). Replies stream as they are generated.",
                "Type /reset to forget the conversation, /exit or Ctrl-D to leave. With stdin piped, each line is one user turn",
                "and each reply is printed on its own line."})
public class ChatCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "FILE.gguf|DIR|REPO", description = "A GGUF file, a model folder (config.json, model.safetensors, tokenizer.json), a Hugging Face repository id, or a llama2.c FILE.bin.")
    String model;
    @Option(names = "--tokenizer", paramLabel = "FILE", description = "With a llama2.c FILE.bin: its tokenizer.bin. Default: tokenizer.bin beside the checkpoint.")
    Path tokenizer;
    @Option(names = "--system", paramLabel = "TEXT", description = "A system message at the start of the conversation.")
    String system;
    @Option(names = "--max-new-tokens", description = "Longest reply, in tokens. Default: ${DEFAULT-VALUE}.", defaultValue = "512")
    int maxNewTokens;
    @Option(names = "--greedy", description = "Do not sample: the most likely token each step.")
    boolean greedy;
    @Option(names = "--temperature", description = "Sampling temperature. Default: ${DEFAULT-VALUE}.", defaultValue = "0.7")
    float temperature;
    @Option(names = "--top-k", description = "Keep the k most likely tokens; 0 = off. Default: ${DEFAULT-VALUE}.", defaultValue = "40")
    int topK;
    @Option(names = "--top-p", description = "Nucleus sampling mass; 1 = off. Default: ${DEFAULT-VALUE}.", defaultValue = "0.95")
    float topP;
    @Option(names = "--min-p", description = "Drop tokens below min-p x the top probability; 0 = off. Default: ${DEFAULT-VALUE}.", defaultValue = "0.05")
    float minP;
    @Option(names = "--repetition-penalty", description = "CTRL repetition penalty; 1 = off. Default: ${DEFAULT-VALUE}.", defaultValue = "1.0")
    float repetitionPenalty;
    @Option(names = "--seed", description = "Sampling seed (turn i samples with seed + i). Default: ${DEFAULT-VALUE}.", defaultValue = "42")
    long seed;
    @Option(names = "--eos-token-id", split = ",", paramLabel = "ID", description = "More ids that end a reply, besides the model's EOS and the template's end-of-turn tokens.")
    List<Integer> eosTokenIds = new ArrayList<>();
    @Option(names = "--show-prompt", description = "Print each rendered prompt (the template's output) to stderr.")
    boolean showPrompt;

    private final InputStream in;

    public ChatCommand() {
        this(System.in);
    }

    /** Reads the user's turns from in (tests pipe them). */
    ChatCommand(InputStream in) {
        this.in = in;
    }

    @Override
    public Integer call() throws Exception {
        ModelFiles.Loaded loaded = Common.loadModel(model, tokenizer);
        Tokenizer tok = loaded.tokenizer();
        ChatTemplate template = loaded.chatTemplate();
        PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        if (maxNewTokens < 1) throw new IllegalArgumentException("--max-new-tokens must be at least 1, got " + maxNewTokens);
        int context = loaded.model().contextLength();
        if (maxNewTokens >= context) throw new IllegalArgumentException("--max-new-tokens " + maxNewTokens + " leaves no room for the conversation in a context of " + context + " tokens");

        Set<Integer> stopIds = new LinkedHashSet<>();
        for (int id : template.stopTokenIds()) stopIds.add(id);
        for (int id : GenerationConfigFile.apply(loaded.generationConfig(), GenerationConfig.builder(), model).build().eosTokenIds()) stopIds.add(id);
        for (int id : eosTokenIds) {
            if (id < 0 || id >= tok.vocabSize()) throw new IllegalArgumentException("--eos-token-id " + id + " is outside the vocabulary [0, " + tok.vocabSize() + ")");
            stopIds.add(id);
        }
        int[] eos = stopIds.stream().mapToInt(Integer::intValue).toArray();

        java.io.Console console = System.console();
        boolean interactive = in == System.in && console != null && console.isTerminal();
        err.printf("llm4j: chatting with %s (%s); /reset clears the conversation, /exit or Ctrl-D ends it%n", model, template);
        err.flush();

        List<Message> history = new ArrayList<>();
        if (system != null) history.add(new Message("system", system));
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        int turn = 0;
        while (true) {
            if (interactive) {
                out.print("> ");
                out.flush();
            }
            String line = reader.readLine();
            if (line == null || line.strip().equals("/exit")) break;
            if (line.strip().equals("/reset")) {
                history.removeIf(m -> !m.role().equals("system"));
                err.println("[conversation cleared]");
                err.flush();
                continue;
            }
            if (line.isBlank()) continue;
            history.add(new Message("user", line));
            int[] prompt;
            try {
                prompt = fit(history, template, tok, context - maxNewTokens, err);
            } catch (ChatTemplate.TemplateError e) {
                history.removeLast();
                err.println("[" + (e.raisedByTemplate() ? "the model's chat template refused this conversation: " : "") + e.getMessage() + "]");
                err.flush();
                continue;
            }
            if (prompt == null) {
                history.removeLast();
                continue;
            }
            GenerationConfig cfg = GenerationConfig.builder().maxNewTokens(maxNewTokens).doSample(!greedy).temperature(temperature).topK(topK)
                    .topP(topP).minP(minP).repetitionPenalty(repetitionPenalty).eosTokenId(eos).stopStrings(template.stops())
                    .seed(seed + turn++).build();
            Reply reply = new Reply(out, template.stops(), stopIds);
            GenerationResult result = Generator.generate(loaded.model(), prompt, cfg, tok, reply);
            reply.end();
            out.println();
            out.flush();
            history.add(new Message("assistant", reply.text().strip()));
            if (result.sequences().getFirst().finishReason() == GenerationResult.FinishReason.LENGTH) {
                err.printf("[the reply reached --max-new-tokens %d]%n", maxNewTokens);
                err.flush();
            }
        }
        return 0;
    }

    /**
     * The prompt for the conversation, at most budget tokens: when it is longer, the oldest exchange
     * after the system message is dropped (and the user told) until it fits. Null when even the
     * last message alone does not fit.
     */
    private int[] fit(List<Message> history, ChatTemplate template, Tokenizer tok, int budget, PrintWriter err) {
        int dropped = 0;
        while (true) {
            String text = template.render(history, true);
            if (showPrompt) {
                err.println("--- prompt ---\n" + text + "\n--- end of prompt ---");
                err.flush();
            }
            int[] ids = template.encode(tok, text);
            if (ids.length <= budget) {
                if (dropped > 0) {
                    err.printf("[the context is full: the oldest %d message%s left out of the conversation]%n", dropped, dropped == 1 ? " was" : "s were");
                    err.flush();
                }
                return ids;
            }
            int first = !history.isEmpty() && history.getFirst().role().equals("system") ? 1 : 0;
            if (history.size() - first <= 1) {
                err.printf("[this message needs %d tokens of prompt; with --max-new-tokens %d the context of %d holds at most %d: not sent]%n",
                        ids.length, maxNewTokens, budget + maxNewTokens, budget);
                err.flush();
                history.subList(first, history.size() - 1).clear();
                return null;
            }
            // one exchange: the user's message and the reply after it, so roles still alternate
            history.remove(first);
            dropped++;
            if (history.size() - first > 1 && history.get(first).role().equals("assistant")) {
                history.remove(first);
                dropped++;
            }
        }
    }

    /**
     * Prints a reply as it streams, holding back text that may be the start of a stop string (the
     * default template's "\nuser:") and leaving out end-of-turn tokens, so neither reaches the screen.
     */
    private static final class Reply implements Generator.TokenListener {
        private final PrintWriter out;
        private final List<String> stops;
        private final Set<Integer> stopIds;
        private final StringBuilder text = new StringBuilder();
        private int printed;
        private boolean stopped;

        Reply(PrintWriter out, List<String> stops, Set<Integer> stopIds) {
            this.out = out;
            this.stops = stops;
            this.stopIds = stopIds;
        }

        @Override public void onToken(int sequence, int token, String piece) {
            if (stopped || piece == null || stopIds.contains(token)) return;
            text.append(piece);
            for (String s : stops) {
                int at = text.indexOf(s);
                if (at >= 0) {
                    text.setLength(at);
                    stopped = true;
                }
            }
            int safe = text.length();
            if (!stopped) {
                for (String s : stops) {
                    for (int k = Math.min(s.length() - 1, text.length()); k > 0; k--) {
                        if (text.length() - k < safe && s.startsWith(text.substring(text.length() - k))) {
                            safe = text.length() - k;
                            break;
                        }
                    }
                }
            }
            flush(Math.max(printed, safe));
        }

        @Override public void onFinish(int sequence, String tail, GenerationResult.FinishReason reason) {
            if (!stopped && tail != null) text.append(tail);
        }

        void end() {
            flush(text.length());
        }

        private void flush(int upTo) {
            if (upTo > printed) {
                out.print(text.substring(printed, upTo));
                out.flush();
                printed = upTo;
            }
        }

        String text() {
            return text.toString();
        }
    }
}
