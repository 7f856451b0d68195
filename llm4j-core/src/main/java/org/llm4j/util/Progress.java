// Progress bars for long work (downloads, tokenising, training), over me.tongfei.progressbar:
// a live bar on a terminal, a line every few seconds in logs, nothing when disabled.
package org.llm4j.util;

import java.io.PrintStream;
import java.util.function.Consumer;
import me.tongfei.progressbar.DelegatingProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

public final class Progress implements AutoCloseable {
    // Off with -Dllm4j.progress=false, or setEnabled(false) (the CLI's --quiet).
    public static final String ENABLED_PROPERTY = "llm4j.progress";
    // When output is a log rather than a terminal, one line per this many ms; a bar redrawn
    // ten times a second would write thousands of lines a minute.
    static final int LOG_INTERVAL_MS = 10_000;
    private static final int TERMINAL_INTERVAL_MS = 200;
    private static final int LOG_LINE_WIDTH = 110;

    private static volatile Boolean enabledOverride;

    private final ProgressBar bar; // null when disabled
    private long current;

    private Progress(ProgressBar bar, long start) {
        this.bar = bar;
        this.current = start;
    }

    public static void setEnabled(boolean enabled) {
        enabledOverride = enabled;
    }

    // Back to the system property alone (tests).
    static void clearEnabledOverride() {
        enabledOverride = null;
    }

    public static boolean isEnabled() {
        Boolean override = enabledOverride;
        if (override != null) return override;
        return !"false".equalsIgnoreCase(System.getProperty(ENABLED_PROPERTY, "").strip());
    }

    // total <= 0 means unknown (no ETA). unit "B" scales to KiB/MiB/GiB by total; any other
    // unit (e.g. "tok", "step") is shown as given.
    public static Progress start(String task, long total, String unit) {
        if (!isEnabled()) return new Progress(null, 0);
        if (isTerminal()) return new Progress(builder(task, total, unit).setUpdateIntervalMillis(TERMINAL_INTERVAL_MS)
                .setStyle(ProgressBarStyle.UNICODE_BLOCK).build(), 0);
        PrintStream err = System.err;
        return start(task, total, unit, err::println);
    }

    // Log mode into any line sink (a logger, a test, the training dashboard): one ASCII line at
    // the start, one every LOG_INTERVAL_MS, one at close. Ignores setEnabled.
    public static Progress start(String task, long total, String unit, Consumer<String> lines) {
        return start(task, total, unit, lines, LOG_INTERVAL_MS);
    }

    static Progress start(String task, long total, String unit, Consumer<String> lines, int intervalMillis) {
        ProgressBar bar = builder(task, total, unit)
                .setStyle(ProgressBarStyle.ASCII)
                .setUpdateIntervalMillis(intervalMillis)
                // the explicit width keeps progressbar from probing for a terminal via JLine
                .setConsumer(new DelegatingProgressBarConsumer(dropRepeats(lines), LOG_LINE_WIDTH))
                .build();
        return new Progress(bar, 0);
    }

    public Progress step() {
        return step(1);
    }

    public synchronized Progress step(long n) {
        current += n;
        if (bar != null) bar.stepBy(n);
        return this;
    }

    public synchronized Progress stepTo(long n) {
        current = n;
        if (bar != null) bar.stepTo(n);
        return this;
    }

    // Free text after the bar, e.g. "loss 1.23 | 12.3k tok/s".
    public Progress setExtra(String message) {
        // progressbar glues the message to the rate ("12KiB/sloss"): add the space ourselves
        if (bar != null) bar.setExtraMessage(message == null || message.isEmpty() ? "" : " " + message);
        return this;
    }

    public synchronized long current() {
        return current;
    }

    @Override
    public void close() {
        if (bar != null) bar.close();
    }

    // progressbar renders once more on close, repeating the last line when nothing moved.
    private static Consumer<String> dropRepeats(Consumer<String> lines) {
        return new Consumer<>() {
            private String last;

            @Override
            public synchronized void accept(String line) {
                if (line.equals(last)) return;
                last = line;
                lines.accept(line);
            }
        };
    }

    private static ProgressBarBuilder builder(String task, long total, String unit) {
        var b = new ProgressBarBuilder()
                .setTaskName(task)
                .setInitialMax(total > 0 ? total : -1)
                .showSpeed();
        if ("B".equals(unit)) {
            long scale = byteScale(total);
            b.setUnit(byteUnitName(scale), scale);
        } else if (unit != null && !unit.isEmpty()) {
            b.setUnit(" " + unit, 1);
        }
        return b;
    }

    // The largest binary unit that still shows the total as at least 10, so the count is
    // not rounded down to "0/1MiB" (progressbar divides with integer arithmetic).
    static long byteScale(long total) {
        if (total <= 0) return 1L << 20;
        if (total >= 10L << 30) return 1L << 30;
        if (total >= 10L << 20) return 1L << 20;
        if (total >= 10L << 10) return 1L << 10;
        return 1;
    }

    private static String byteUnitName(long scale) {
        return switch (Long.numberOfTrailingZeros(scale)) {
            case 30 -> "GiB";
            case 20 -> "MiB";
            case 10 -> "KiB";
            default -> "B";
        };
    }

    // Console.isTerminal (JDK 22+) is false when stdin or stdout is redirected; since JDK 22
    // System.console() itself is non-null even then.
    private static boolean isTerminal() {
        var console = System.console();
        return console != null && console.isTerminal();
    }
}
