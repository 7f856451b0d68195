// Counters, gauges and histograms, rendered in Prometheus's text exposition format (version 0.0.4).
package org.llm4j.server;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntSupplier;

/** Thread-safe; written by request threads and the decode loop, read by GET /metrics. */
final class Metrics {
    /** A cumulative histogram with fixed upper bounds in seconds (the last bucket is +Inf). */
    static final class Histogram {
        final double[] bounds;
        final AtomicLongArray counts;   // counts[i]: observations ≤ bounds[i] and > bounds[i−1]; the last one: above all bounds
        final DoubleAdder sum = new DoubleAdder();

        Histogram(double... bounds) {
            this.bounds = bounds;
            this.counts = new AtomicLongArray(bounds.length + 1);
        }

        void observe(double seconds) {
            int i = 0;
            while (i < bounds.length && seconds > bounds[i]) i++;
            counts.incrementAndGet(i);
            sum.add(seconds);
        }

        void render(StringBuilder sb, String name, String help) {
            sb.append("# HELP ").append(name).append(' ').append(help).append('\n');
            sb.append("# TYPE ").append(name).append(" histogram\n");
            long cum = 0;
            for (int i = 0; i <= bounds.length; i++) {
                cum += counts.get(i);
                String le = i < bounds.length ? Double.toString(bounds[i]) : "+Inf";
                sb.append(name).append("_bucket{le=\"").append(le).append("\"} ").append(cum).append('\n');
            }
            sb.append(name).append("_sum ").append(sum.sum()).append('\n');
            sb.append(name).append("_count ").append(cum).append('\n');
        }
    }

    private static final double[] LATENCY = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120};

    private final Map<String, LongAdder> requests = new ConcurrentHashMap<>();   // "endpoint\0status"
    final LongAdder promptTokens = new LongAdder(), generationTokens = new LongAdder(), cancelled = new LongAdder(), batchSteps = new LongAdder();
    final Histogram timeToFirstToken = new Histogram(LATENCY), requestDuration = new Histogram(LATENCY);
    private final IntSupplier queueDepth, activeSequences;

    Metrics(IntSupplier queueDepth, IntSupplier activeSequences) {
        this.queueDepth = queueDepth;
        this.activeSequences = activeSequences;
    }

    void request(String endpoint, int status) {
        requests.computeIfAbsent(endpoint + '\0' + status, k -> new LongAdder()).increment();
    }

    String render() {
        StringBuilder sb = new StringBuilder();
        sb.append("# HELP llm4j_requests_total HTTP requests by endpoint and status code.\n# TYPE llm4j_requests_total counter\n");
        for (Map.Entry<String, LongAdder> e : new TreeMap<>(requests).entrySet()) {
            String[] k = e.getKey().split("\0");
            sb.append("llm4j_requests_total{endpoint=\"").append(k[0]).append("\",status=\"").append(k[1]).append("\"} ").append(e.getValue().sum()).append('\n');
        }
        counter(sb, "llm4j_prompt_tokens_total", "Prompt tokens of admitted requests.", promptTokens.sum());
        counter(sb, "llm4j_generation_tokens_total", "Tokens generated.", generationTokens.sum());
        counter(sb, "llm4j_cancelled_total", "Requests cancelled because the client went away.", cancelled.sum());
        counter(sb, "llm4j_decode_steps_total", "Batched decode steps (one stepBatch call each).", batchSteps.sum());
        gauge(sb, "llm4j_queue_depth", "Requests waiting for a batch slot.", queueDepth.getAsInt());
        gauge(sb, "llm4j_active_sequences", "Sequences being decoded.", activeSequences.getAsInt());
        timeToFirstToken.render(sb, "llm4j_time_to_first_token_seconds", "From a request's arrival to its first generated token.");
        requestDuration.render(sb, "llm4j_request_duration_seconds", "From a generation request's arrival to its last byte.");
        return sb.toString();
    }

    private static void counter(StringBuilder sb, String name, String help, long v) {
        sb.append("# HELP ").append(name).append(' ').append(help).append("\n# TYPE ").append(name).append(" counter\n").append(name).append(' ').append(v).append('\n');
    }

    private static void gauge(StringBuilder sb, String name, String help, long v) {
        sb.append("# HELP ").append(name).append(' ').append(help).append("\n# TYPE ").append(name).append(" gauge\n").append(name).append(' ').append(v).append('\n');
    }
}
