// The OpenAI-compatible HTTP front end: /v1/models, /v1/completions, /v1/chat/completions (JSON or
// server-sent events), /health, /metrics and the playground page at /. Javalin on Jetty 12, one
// virtual thread per request; the model itself runs on the Scheduler's single decode loop.
package org.llm4j.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.llm4j.chat.ChatTemplate;
import org.llm4j.format.ModelFiles;
import org.llm4j.model.LanguageModel;
import org.llm4j.tokenizer.Tokenizer;

public final class Server implements AutoCloseable {
    private static final JsonNodeFactory J = JsonNodeFactory.instance;
    private static final String HANDLED = "llm4j.handled";

    private final LanguageModel model;
    private final Tokenizer tokenizer;
    private final ServerOptions opt;
    private final ChatTemplate template;
    private final Metrics metrics;
    private final Scheduler scheduler;
    private final long created = Instant.now().getEpochSecond();
    private Javalin app;

    /** eos: the ids that end a choice (generation_config.json's eos_token_id; may be empty); chat uses ChatTemplate.DEFAULT. */
    public Server(LanguageModel model, Tokenizer tokenizer, int[] eos, ServerOptions opt) {
        this(model, tokenizer, eos, ChatTemplate.DEFAULT, opt);
    }

    /** As above, with the chat template /v1/chat/completions renders conversations with. */
    public Server(LanguageModel model, Tokenizer tokenizer, int[] eos, ChatTemplate template, ServerOptions opt) {
        this.model = model;
        this.template = template;
        this.tokenizer = tokenizer;
        this.opt = opt;
        Scheduler[] s = new Scheduler[1];
        this.metrics = new Metrics(() -> s[0].queueDepth(), () -> s[0].activeSequences());
        this.scheduler = s[0] = new Scheduler(model, tokenizer, eos, opt, metrics);
    }

    /** A loaded model folder; EOS ids from its generation_config.json, chat through the model's own template if it has one. */
    public Server(ModelFiles.Loaded loaded, ServerOptions opt) {
        this(loaded.model(), loaded.tokenizer(), eosIds(loaded.generationConfig(), loaded.tokenizer()), loaded.chatTemplate(), opt);
    }

    static int[] eosIds(JsonNode gen, Tokenizer tok) {
        JsonNode e = gen == null ? null : gen.get("eos_token_id");
        List<Integer> ids = new ArrayList<>();
        if (e != null && e.isIntegralNumber()) ids.add(e.intValue());
        else if (e != null && e.isArray()) for (JsonNode x : e) if (x.isIntegralNumber()) ids.add(x.intValue());
        return ids.stream().mapToInt(Integer::intValue).filter(i -> i >= 0 && i < tok.vocabSize()).toArray();
    }

    /** Binds host:port (port 0: any free one) and starts the decode loop. */
    public Server start() {
        scheduler.start();
        app = Javalin.create(c -> {
            c.concurrency.useVirtualThreads = true;
            c.startup.showJavalinBanner = false;
            c.startup.showOldJavalinVersionWarning = false;
            c.http.maxRequestSize = opt.maxBodyBytes();
            c.jetty.host = opt.host();
            c.jetty.port = opt.port();
            c.routes.get("/", ctx -> page(ctx));
            c.routes.get("/health", wrap("health", false, ctx -> json(ctx, 200, J.objectNode().put("status", "ok").put("model", opt.modelName()))));
            c.routes.get("/metrics", wrap("metrics", true, ctx -> {
                ctx.attribute(HANDLED, true);
                ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.render());
            }));
            c.routes.get("/v1/models", wrap("models", true, this::models));
            c.routes.get("/v1/models/{id}", wrap("models", true, ctx -> {
                if (!ctx.pathParam("id").equals(opt.modelName())) throw ApiError.notFound("The model '" + ctx.pathParam("id") + "' does not exist.", "model_not_found");
                json(ctx, 200, modelJson());
            }));
            c.routes.post("/v1/completions", wrap("completions", true, ctx -> generate(ctx, false)));
            c.routes.post("/v1/chat/completions", wrap("chat_completions", true, ctx -> generate(ctx, true)));
            c.routes.error(404, "*", ctx -> {
                if (ctx.attribute(HANDLED) == null) error(ctx, ApiError.notFound("Unknown path: " + ctx.method() + " " + ctx.path(), "unknown_url"));
            });
            c.routes.error(405, "*", ctx -> {
                if (ctx.attribute(HANDLED) == null) error(ctx, new ApiError(405, "invalid_request_error", "Method " + ctx.method() + " is not allowed on " + ctx.path(), null, "method_not_allowed", 0));
            });
            c.routes.exception(Exception.class, (e, ctx) -> error(ctx, ApiError.internal("Internal error: " + e.getClass().getSimpleName())));
        });
        app.start();
        return this;
    }

    public int port() {
        return app.port();
    }

    /** Test hook: hold (true) or release the decode loop. */
    void pauseDecoding(boolean p) {
        scheduler.pause(p);
    }

    String metricsText() {
        return metrics.render();
    }

    @Override
    public void close() {
        if (app != null) app.stop();
        scheduler.close();
    }

    /** Auth, errors in OpenAI's shape, and the request counter around a route. */
    private Handler wrap(String endpoint, boolean auth, Handler h) {
        return ctx -> {
            try {
                if (auth && opt.apiKey() != null) {
                    String a = ctx.header("Authorization");
                    if (a == null || !java.security.MessageDigest.isEqual(a.getBytes(StandardCharsets.UTF_8), ("Bearer " + opt.apiKey()).getBytes(StandardCharsets.UTF_8)))
                        throw ApiError.unauthorized();
                }
                h.handle(ctx);
            } catch (ApiError e) {
                error(ctx, e);
            } catch (Exception e) {
                error(ctx, ApiError.internal("Internal error: " + e.getClass().getSimpleName()));
                if (Boolean.getBoolean("llm4j.debug")) e.printStackTrace();
            } finally {
                metrics.request(endpoint, ctx.statusCode());
            }
        };
    }

    private void error(Context ctx, ApiError e) {
        ctx.attribute(HANDLED, true);
        if (ctx.res().isCommitted()) return;   // mid-stream: the SSE writer reports it
        if (e.retryAfterSeconds > 0) ctx.header("Retry-After", Integer.toString(e.retryAfterSeconds));
        json(ctx, e.status, e.toJson());
    }

    private static void json(Context ctx, int status, JsonNode body) {
        ctx.attribute(HANDLED, true);
        ctx.status(status).contentType("application/json").result(body.toString());
    }

    private void page(Context ctx) throws IOException {
        try (InputStream in = Server.class.getResourceAsStream("/llm4j-server/playground.html")) {
            if (in == null) throw ApiError.internal("playground.html is missing from the jar");
            ctx.contentType("text/html; charset=utf-8").result(in.readAllBytes());
        }
    }

    private ObjectNode modelJson() {
        return J.objectNode().put("id", opt.modelName()).put("object", "model").put("created", created).put("owned_by", "llm4j");
    }

    private void models(Context ctx) {
        ObjectNode root = J.objectNode().put("object", "list");
        root.putArray("data").add(modelJson());
        json(ctx, 200, root);
    }

    /** The body, at most maxBodyBytes (413 beyond, whether or not Content-Length says so). */
    private byte[] body(Context ctx) throws IOException {
        long declared = ctx.req().getContentLengthLong();
        if (declared > opt.maxBodyBytes()) throw ApiError.tooLarge(opt.maxBodyBytes());
        InputStream in = ctx.req().getInputStream();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        for (int r; (r = in.read(buf)) > 0; ) {
            out.write(buf, 0, r);
            if (out.size() > opt.maxBodyBytes()) throw ApiError.tooLarge(opt.maxBodyBytes());
        }
        return out.toByteArray();
    }

    private void generate(Context ctx, boolean chat) throws Exception {
        long t0 = System.nanoTime();
        GenRequest req = null;
        int status = 200, completion = 0;
        String finish = "";
        try {
            JsonNode body = Requests.parseBody(body(ctx));
            req = Requests.parse(body, chat, tokenizer, template, opt, model.contextLength());
            Scheduler.Job job = scheduler.submit(req, t0);
            String id = (chat ? "chatcmpl-" : "cmpl-") + UUID.randomUUID().toString().replace("-", "").substring(0, 24);
            long createdAt = Instant.now().getEpochSecond();
            Result r = req.stream() ? stream(ctx, job, id, createdAt) : collect(ctx, job, id, createdAt);
            completion = r.completionTokens;
            finish = r.finish;
            status = ctx.statusCode();
        } catch (ApiError e) {
            status = e.status;
            throw e;
        } finally {
            double secs = (System.nanoTime() - t0) / 1e9;
            if (status == 200) metrics.requestDuration.observe(secs);
            logLine(ctx, chat, req, status, secs, completion, finish);
        }
    }

    private void logLine(Context ctx, boolean chat, GenRequest req, int status, double secs, int completion, String finish) {
        StringBuilder sb = new StringBuilder();
        sb.append(Instant.now()).append(' ').append(ctx.ip()).append(" POST ").append(chat ? "/v1/chat/completions" : "/v1/completions")
                .append(' ').append(status).append(String.format(" %.3fs", secs));
        if (req != null) {
            sb.append(" prompt_tokens=").append(req.promptTokens()).append(" completion_tokens=").append(completion)
                    .append(" n=").append(req.n()).append(" stream=").append(req.stream());
            if (!finish.isEmpty()) sb.append(" finish=").append(finish);
            if (req.user() != null) sb.append(" user=").append(J.textNode(req.user()));
            if (opt.logPrompts()) sb.append(" prompt=").append(J.textNode(req.promptText()));
        }
        opt.log().accept(sb.toString());
    }

    private record Result(int completionTokens, String finish) {}

    /** Waits for the next event; the job is cancelled if the wait is interrupted. */
    private static Scheduler.Event take(Scheduler.Job job, long timeoutMs) throws InterruptedException {
        return job.events.poll(timeoutMs, TimeUnit.MILLISECONDS);
    }

    /** The whole answer as one JSON object. */
    private Result collect(Context ctx, Scheduler.Job job, String id, long createdAt) throws Exception {
        GenRequest req = job.req;
        int choices = req.prompts().size() * req.n();
        StringBuilder[] text = new StringBuilder[choices];
        List<List<Scheduler.TokenLogprob>> lps = new ArrayList<>();
        String[] reasons = new String[choices];
        for (int i = 0; i < choices; i++) { text[i] = new StringBuilder(); lps.add(new ArrayList<>()); }
        Scheduler.Event.Done done = null;
        try {
            while (done == null) {
                Scheduler.Event e = take(job, 1000);
                switch (e) {
                    case null -> {}
                    case Scheduler.Event.Token t -> {
                        text[t.choice()].append(t.text());
                        if (t.logprob() != null) lps.get(t.choice()).add(t.logprob());
                    }
                    case Scheduler.Event.Finish f -> reasons[f.choice()] = f.reason();
                    case Scheduler.Event.Done d -> done = d;
                    case Scheduler.Event.Failed f -> throw f.error();
                }
            }
        } catch (InterruptedException e) {
            job.cancel();
            throw e;
        }
        ObjectNode root = J.objectNode().put("id", id).put("object", req.chat() ? "chat.completion" : "text_completion")
                .put("created", createdAt).put("model", opt.modelName());
        if (req.chat()) root.putNull("system_fingerprint");
        ArrayNode arr = root.putArray("choices");
        for (int i = 0; i < choices; i++) {
            ObjectNode c = arr.addObject().put("index", i);
            if (req.chat()) {
                c.putObject("message").put("role", "assistant").put("content", text[i].toString()).putNull("refusal");
                if (req.topLogprobs() >= 0) c.set("logprobs", chatLogprobs(lps.get(i)));
                else c.putNull("logprobs");
            } else {
                c.put("text", text[i].toString());
                if (req.topLogprobs() >= 0) c.set("logprobs", completionLogprobs(lps.get(i), 0));
                else c.putNull("logprobs");
            }
            c.put("finish_reason", reasons[i]);
        }
        root.set("usage", usage(done));
        json(ctx, 200, root);
        return new Result(done.completionTokens(), String.join(",", java.util.Arrays.stream(reasons).distinct().toList()));
    }

    private static ObjectNode usage(Scheduler.Event.Done d) {
        return J.objectNode().put("prompt_tokens", d.promptTokens()).put("completion_tokens", d.completionTokens())
                .put("total_tokens", d.promptTokens() + d.completionTokens());
    }

    private static ArrayNode bytes(String s) {
        ArrayNode a = J.arrayNode();
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) a.add(b & 0xFF);
        return a;
    }

    /** Chat's shape: {"content": [{"token", "logprob", "bytes", "top_logprobs": [...]}]}. */
    private static ObjectNode chatLogprobs(List<Scheduler.TokenLogprob> lps) {
        ObjectNode o = J.objectNode();
        ArrayNode content = o.putArray("content");
        for (Scheduler.TokenLogprob t : lps) {
            ObjectNode e = content.addObject().put("token", t.token()).put("logprob", t.logprob());
            e.set("bytes", bytes(t.token()));
            ArrayNode top = e.putArray("top_logprobs");
            for (Scheduler.Alt a : t.top()) {
                ObjectNode x = top.addObject().put("token", a.token()).put("logprob", a.logprob());
                x.set("bytes", bytes(a.token()));
            }
        }
        o.putNull("refusal");
        return o;
    }

    /** The legacy completions shape: parallel arrays tokens, token_logprobs, top_logprobs, text_offset. */
    private static ObjectNode completionLogprobs(List<Scheduler.TokenLogprob> lps, int offset) {
        ObjectNode o = J.objectNode();
        ArrayNode tokens = o.putArray("tokens"), lp = o.putArray("token_logprobs"), top = o.putArray("top_logprobs"), off = o.putArray("text_offset");
        for (Scheduler.TokenLogprob t : lps) {
            tokens.add(t.token());
            lp.add(t.logprob());
            ObjectNode m = top.addObject();
            for (Scheduler.Alt a : t.top()) m.put(a.token(), a.logprob());
            off.add(offset);
            offset += t.token().length();
        }
        return o;
    }

    /** Server-sent events, one chunk per released piece, then [DONE]; a write failure cancels the job. */
    private Result stream(Context ctx, Scheduler.Job job, String id, long createdAt) throws Exception {
        GenRequest req = job.req;
        ctx.attribute(HANDLED, true);
        ctx.status(200);
        ctx.res().setContentType("text/event-stream; charset=utf-8");
        ctx.res().setHeader("Cache-Control", "no-cache");
        ctx.res().setHeader("X-Accel-Buffering", "no");
        OutputStream out = ctx.res().getOutputStream();
        int choices = req.prompts().size() * req.n();
        boolean[] started = new boolean[choices];
        int[] offsets = new int[choices];
        String finish = "";
        try {
            while (true) {
                Scheduler.Event e = take(job, 5000);
                switch (e) {
                    case null -> write(out, ": keep-alive\n\n");      // also how a vanished client is noticed while queued
                    case Scheduler.Event.Token t -> {
                        ObjectNode root = chunk(req, id, createdAt, t.choice(), started), c = choice(root);
                        if (req.chat()) {
                            ((ObjectNode) c.get("delta")).put("content", t.text());
                            if (t.logprob() != null) c.set("logprobs", chatLogprobs(List.of(t.logprob())));
                        } else {
                            c.put("text", t.text());
                            if (t.logprob() != null) c.set("logprobs", completionLogprobs(List.of(t.logprob()), offsets[t.choice()]));
                            offsets[t.choice()] += t.text().length();
                        }
                        send(out, root, req);
                    }
                    case Scheduler.Event.Finish f -> {
                        ObjectNode root = chunk(req, id, createdAt, f.choice(), started), c = choice(root);
                        if (!req.chat()) c.put("text", "");
                        c.put("finish_reason", f.reason());
                        finish = f.reason();
                        send(out, root, req);
                    }
                    case Scheduler.Event.Done d -> {
                        if (req.includeUsage()) {
                            ObjectNode c = J.objectNode().put("id", id).put("object", req.chat() ? "chat.completion.chunk" : "text_completion")
                                    .put("created", createdAt).put("model", opt.modelName());
                            c.putArray("choices");
                            c.set("usage", usage(d));
                            write(out, "data: " + c + "\n\n");
                        }
                        write(out, "data: [DONE]\n\n");
                        return new Result(d.completionTokens(), finish);
                    }
                    case Scheduler.Event.Failed f -> {
                        write(out, "data: " + f.error().toJson() + "\n\n");
                        write(out, "data: [DONE]\n\n");
                        return new Result(0, "error");
                    }
                }
            }
        } catch (IOException | InterruptedException e) {
            job.cancel();   // the client went away: free its batch slots
            return new Result(job.completionTokens, "cancelled");
        }
    }

    private static ObjectNode choice(ObjectNode chunk) {
        return (ObjectNode) chunk.get("choices").get(0);
    }

    private ObjectNode chunk(GenRequest req, String id, long createdAt, int choice, boolean[] started) {
        ObjectNode c = J.objectNode().put("id", id).put("object", req.chat() ? "chat.completion.chunk" : "text_completion")
                .put("created", createdAt).put("model", opt.modelName());
        if (req.chat()) c.putNull("system_fingerprint");
        ObjectNode ch = c.putArray("choices").addObject().put("index", choice);
        if (req.chat()) {
            ObjectNode delta = ch.putObject("delta");
            if (!started[choice]) delta.put("role", "assistant");
            started[choice] = true;
        }
        ch.putNull("logprobs");
        ch.putNull("finish_reason");
        return c;
    }

    private static void send(OutputStream out, ObjectNode chunk, GenRequest req) throws IOException {
        if (req.includeUsage()) chunk.putNull("usage");
        ObjectNode ch = (ObjectNode) chunk.get("choices").get(0);
        // keep the field order OpenAI uses: finish_reason after logprobs
        JsonNode fr = ch.remove("finish_reason");
        ch.set("finish_reason", fr);
        write(out, "data: " + chunk + "\n\n");
    }

    private static void write(OutputStream out, String s) throws IOException {
        out.write(s.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }
}
