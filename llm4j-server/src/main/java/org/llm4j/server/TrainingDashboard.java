// A live training dashboard: a page at / that polls /api/state and draws the loss, validation,
// learning-rate and tokens/s curves and the samples written at each evaluation.
package org.llm4j.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import org.llm4j.train.TrainListener;

/**
 * Register it as a {@link TrainListener} of {@code Trainer.fit}; it keeps every step's loss,
 * learning rate and tokens/s, every evaluation and the samples, and serves them as JSON
 * ({@code /api/state?since=N}: steps after the N-th, so the page fetches only what is new).
 * Binds 127.0.0.1 unless told otherwise; the page needs no build step.
 */
public final class TrainingDashboard implements TrainListener, AutoCloseable {
    private static final JsonNodeFactory J = JsonNodeFactory.instance;
    /** Steps kept; beyond this every other stored step is dropped, so memory stays bounded. */
    static final int MAX_STEPS = 100_000;

    private record Step(int iter, float loss, float lr, double tokensPerSecond) {}
    private record Eval(int iter, double train, double val) {}
    private record Sample(int iter, String text) {}

    private final List<Step> steps = new ArrayList<>();
    private final List<Eval> evals = new ArrayList<>();
    private final List<Sample> samples = new ArrayList<>();
    private final String title;
    private volatile boolean finished;
    private int dropped; // steps thinned out to stay under MAX_STEPS
    private final Javalin app;

    /** Starts serving at host:port (port 0: any free one). */
    public TrainingDashboard(String title, String host, int port) {
        this.title = title;
        app = Javalin.create(c -> {
            c.concurrency.useVirtualThreads = true;
            c.startup.showJavalinBanner = false;
            c.startup.showOldJavalinVersionWarning = false;
            c.jetty.host = host;
            c.jetty.port = port;
            c.routes.get("/", this::page);
            c.routes.get("/api/state", this::state);
        });
        app.start();
    }

    public int port() {
        return app.port();
    }

    @Override
    public synchronized void onStep(int iter, float loss, float lr, double gradNorm, double tokensPerSecond) {
        if (steps.size() >= MAX_STEPS) {
            List<Step> kept = new ArrayList<>(steps.size() / 2 + 1);
            for (int i = 0; i < steps.size(); i += 2) kept.add(steps.get(i));
            dropped += steps.size() - kept.size();
            steps.clear();
            steps.addAll(kept);
        }
        steps.add(new Step(iter, loss, lr, tokensPerSecond));
    }

    @Override
    public synchronized void onEval(int iter, double trainLoss, double valLoss) {
        evals.add(new Eval(iter, trainLoss, valLoss));
    }

    /** Text generated at an evaluation, shown under the curves. */
    public synchronized void onSample(int iter, String text) {
        samples.add(new Sample(iter, text.length() > 4000 ? text.substring(0, 4000) : text));
    }

    /** Marks the run as done (the page says so and stops polling). */
    public void finish() {
        finished = true;
    }

    private synchronized ObjectNode snapshot(int since) {
        ObjectNode o = J.objectNode();
        o.put("title", title).put("finished", finished).put("total_steps", steps.size()).put("thinned", dropped);
        ArrayNode s = o.putArray("steps");
        // After thinning (runs past MAX_STEPS) indices move: resend everything then.
        int from = dropped > 0 || since < 0 || since > steps.size() ? 0 : since;
        o.put("from", from);
        for (int i = from; i < steps.size(); i++) {
            Step st = steps.get(i);
            s.addArray().add(st.iter).add(st.loss).add(st.lr).add(Math.round(st.tokensPerSecond));
        }
        ArrayNode e = o.putArray("evals");
        for (Eval ev : evals) e.addArray().add(ev.iter).add(ev.train).add(ev.val);
        ArrayNode sm = o.putArray("samples");
        for (int i = Math.max(0, samples.size() - 3); i < samples.size(); i++) sm.addObject().put("iter", samples.get(i).iter).put("text", samples.get(i).text);
        return o;
    }

    private void state(Context ctx) {
        int since;
        try {
            since = Integer.parseInt(ctx.queryParamAsClass("since", String.class).getOrDefault("0"));
        } catch (NumberFormatException e) {
            ctx.status(400).json(J.objectNode().put("error", "since must be an integer"));
            return;
        }
        ctx.contentType("application/json").result(snapshot(since).toString());
    }

    private void page(Context ctx) throws IOException {
        try (InputStream in = TrainingDashboard.class.getResourceAsStream("/llm4j-server/dashboard.html")) {
            if (in == null) throw new IOException("dashboard.html is missing from the jar");
            ctx.contentType("text/html; charset=utf-8").result(in.readAllBytes());
        }
    }

    @Override
    public void close() {
        app.stop();
    }
}
