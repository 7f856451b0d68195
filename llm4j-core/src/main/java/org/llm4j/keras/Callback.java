// Hooks into fit, and Keras's callbacks: progress bar, early stopping, checkpoints, LR schedules, CSV/JSON logs.
package org.llm4j.keras;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.BiFunction;
import org.llm4j.io.AtomicFiles;
import org.llm4j.tensor.Tensor;

/**
 * Epochs are counted from 0 in the hooks, as Keras does, and printed from 1. Logs hold the
 * epoch's mean training loss and metrics, "val_" ones after validation, and "learning_rate".
 */
public abstract class Callback {
    protected Model model;

    void setModel(Model m) {
        this.model = m;
    }

    public void onTrainBegin(int epochs, int stepsPerEpoch) {}

    public void onEpochBegin(int epoch) {}

    public void onBatchEnd(int batch, Map<String, Double> logs) {}

    public void onEpochEnd(int epoch, Map<String, Double> logs) {}

    public void onTrainEnd() {}

    /** Keras's mode "auto": accuracy-like quantities are maximised, the rest minimised. */
    static boolean maximise(String monitor) {
        String m = monitor.toLowerCase(Locale.ROOT);
        return m.contains("acc") || m.contains("f1") || m.contains("precision") || m.contains("recall");
    }

    static double monitored(String monitor, Map<String, Double> logs, String who) {
        Double v = logs.get(monitor);
        if (v == null) throw new IllegalArgumentException(who + ": '" + monitor + "' is not logged; available: " + logs.keySet());
        return v;
    }

    static String seconds(double s) {
        return s >= 10 ? String.format(Locale.ROOT, "%.0fs", s) : String.format(Locale.ROOT, "%.1fs", s);
    }

    /**
     * Keras's progress bar: "Epoch 3/10", then a line per epoch,
     * {@code 120/120 [==============================] - 4.1s 34ms/step - loss: 0.4512 - accuracy: 0.7900 - val_loss: ...}.
     * On a terminal the line is redrawn after every batch with the ETA; in a log it is written
     * every 10 seconds with the ETA, then once complete.
     */
    public static final class ProgbarLogger extends Callback {
        private static final int WIDTH = 30;
        private final PrintStream out;
        private final boolean live;
        private int epochs, steps;
        private long epochStart, lastLine;

        public ProgbarLogger(PrintStream out) {
            this(out, out == System.out && System.console() != null && System.console().isTerminal());
        }

        ProgbarLogger(PrintStream out, boolean live) {
            this.out = out;
            this.live = live;
        }

        @Override public void onTrainBegin(int epochs, int stepsPerEpoch) {
            this.epochs = epochs;
            this.steps = stepsPerEpoch;
        }

        @Override public void onEpochBegin(int epoch) {
            out.println("Epoch " + (epoch + 1) + "/" + epochs);
            epochStart = lastLine = System.nanoTime();
        }

        @Override public void onBatchEnd(int batch, Map<String, Double> logs) {
            long now = System.nanoTime();
            int done = batch + 1;
            if (done == steps) return; // the complete line comes with the epoch's validation results
            if (live || now - lastLine > 10_000_000_000L) {
                double perStep = (now - epochStart) / 1e9 / done;
                String line = bar(done) + " - ETA: " + seconds(perStep * (steps - done)) + values(logs);
                if (live) out.print("\r" + line);
                else out.println(line);
                lastLine = now;
            }
        }

        @Override public void onEpochEnd(int epoch, Map<String, Double> logs) {
            double secs = (System.nanoTime() - epochStart) / 1e9;
            String line = bar(steps) + " - " + seconds(secs) + " " + Math.round(secs * 1000 / Math.max(1, steps)) + "ms/step" + values(logs);
            out.println(live ? "\r" + line : line);
            out.flush();
        }

        private String bar(int done) {
            int w = String.valueOf(steps).length();
            int filled = (int) ((long) WIDTH * done / Math.max(1, steps));
            StringBuilder sb = new StringBuilder();
            sb.append(String.format(Locale.ROOT, "%" + w + "d/%d [", done, steps));
            for (int i = 0; i < WIDTH; i++) sb.append(i < filled - 1 || (i == filled - 1 && done == steps) ? '=' : i == filled - 1 ? '>' : '.');
            return sb.append(']').toString();
        }

        private static String values(Map<String, Double> logs) {
            StringBuilder sb = new StringBuilder();
            logs.forEach((k, v) -> {
                if (!k.equals("learning_rate")) sb.append(" - ").append(k).append(": ").append(String.format(Locale.ROOT, "%.4f", v));
            });
            return sb.toString();
        }
    }

    /** Stops when the monitored value has not improved by more than minDelta for patience epochs. */
    public static final class EarlyStopping extends Callback {
        final String monitor;
        final int patience;
        final double minDelta;
        final boolean restoreBestWeights;
        private double best;
        private int wait, bestEpoch = -1, stoppedEpoch = -1;
        private Map<String, float[]> bestWeights;

        public EarlyStopping(String monitor, int patience, boolean restoreBestWeights) {
            this(monitor, patience, 0, restoreBestWeights);
        }

        public EarlyStopping(String monitor, int patience, double minDelta, boolean restoreBestWeights) {
            if (patience < 0) throw new IllegalArgumentException("EarlyStopping: patience must not be negative, got " + patience);
            this.monitor = monitor;
            this.patience = patience;
            this.minDelta = Math.abs(minDelta);
            this.restoreBestWeights = restoreBestWeights;
        }

        @Override public void onTrainBegin(int epochs, int steps) {
            best = maximise(monitor) ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
            wait = 0;
            bestEpoch = stoppedEpoch = -1;
            bestWeights = null;
        }

        @Override public void onEpochEnd(int epoch, Map<String, Double> logs) {
            double v = monitored(monitor, logs, "EarlyStopping");
            boolean better = maximise(monitor) ? v - minDelta > best : v + minDelta < best;
            if (better) {
                best = v;
                bestEpoch = epoch;
                wait = 0;
                if (restoreBestWeights) bestWeights = model.snapshotWeights();
                return;
            }
            wait++;
            if (wait >= patience && epoch > 0) { // Keras's rule: patience epochs without improvement
                stoppedEpoch = epoch;
                model.stopTraining();
            }
        }

        @Override public void onTrainEnd() {
            // NOTE: as Keras, the best weights come back only when training was stopped early.
            if (stoppedEpoch >= 0 && restoreBestWeights && bestWeights != null) model.restoreWeights(bestWeights);
        }

        public int bestEpoch() { return bestEpoch; }

        public int stoppedEpoch() { return stoppedEpoch; }

        public double best() { return best; }
    }

    /**
     * Saves after each epoch (or only when the monitored value improves): the weights alone to a
     * path ending in ".safetensors", else the whole model folder. "{epoch}" in the path becomes
     * the epoch number from 1. Every write is atomic.
     */
    public static final class ModelCheckpoint extends Callback {
        final String path, monitor;
        final boolean saveBestOnly;
        private double best;

        public ModelCheckpoint(Path path, String monitor, boolean saveBestOnly) {
            this.path = path.toString();
            this.monitor = monitor;
            this.saveBestOnly = saveBestOnly;
        }

        @Override public void onTrainBegin(int epochs, int steps) {
            best = maximise(monitor) ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
        }

        @Override public void onEpochEnd(int epoch, Map<String, Double> logs) {
            if (saveBestOnly) {
                double v = monitored(monitor, logs, "ModelCheckpoint");
                if (!(maximise(monitor) ? v > best : v < best)) return;
                best = v;
            }
            Path p = Path.of(path.replace("{epoch}", String.format(Locale.ROOT, "%02d", epoch + 1)));
            try {
                if (p.toString().endsWith(".safetensors")) model.saveWeights(p);
                else model.save(p);
            } catch (IOException e) {
                throw new UncheckedIOException("ModelCheckpoint: cannot write " + p, e);
            }
        }
    }

    /** Sets the learning rate at the start of each epoch from schedule(epoch, current rate). */
    public static final class LearningRateScheduler extends Callback {
        final BiFunction<Integer, Float, Float> schedule;

        public LearningRateScheduler(BiFunction<Integer, Float, Float> schedule) {
            this.schedule = schedule;
        }

        @Override public void onEpochBegin(int epoch) {
            Optimizer o = model.optimizer();
            o.setLearningRate(schedule.apply(epoch, o.learningRate()));
        }
    }

    /** Multiplies the learning rate by factor after patience epochs without improvement, then waits cooldown epochs. */
    public static final class ReduceLROnPlateau extends Callback {
        final String monitor;
        final float factor, minLr;
        final int patience, cooldown;
        final double minDelta;
        private double best;
        private int wait, cooldownLeft;

        public ReduceLROnPlateau(String monitor, float factor, int patience, float minLr) {
            this(monitor, factor, patience, 1e-4, 0, minLr);
        }

        public ReduceLROnPlateau(String monitor, float factor, int patience, double minDelta, int cooldown, float minLr) {
            if (!(factor > 0f && factor < 1f)) throw new IllegalArgumentException("ReduceLROnPlateau: factor must be in (0, 1), got " + factor);
            this.monitor = monitor;
            this.factor = factor;
            this.patience = patience;
            this.minDelta = minDelta;
            this.cooldown = cooldown;
            this.minLr = minLr;
        }

        @Override public void onTrainBegin(int epochs, int steps) {
            best = maximise(monitor) ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
            wait = cooldownLeft = 0;
        }

        @Override public void onEpochEnd(int epoch, Map<String, Double> logs) {
            double v = monitored(monitor, logs, "ReduceLROnPlateau");
            if (cooldownLeft > 0) cooldownLeft--;
            if (maximise(monitor) ? v - minDelta > best : v + minDelta < best) {
                best = v;
                wait = 0;
            } else if (cooldownLeft == 0 && ++wait >= patience) {
                Optimizer o = model.optimizer();
                o.setLearningRate(Math.max(minLr, o.learningRate() * factor));
                cooldownLeft = cooldown;
                wait = 0;
            }
        }
    }

    /** One row per epoch: "epoch" then the logged values in name order (Keras's CSVLogger); the file is rewritten atomically. */
    public static final class CSVLogger extends Callback {
        final Path file;
        private final List<Map<String, Double>> rows = new ArrayList<>();

        public CSVLogger(Path file) {
            this.file = file;
        }

        @Override public void onEpochEnd(int epoch, Map<String, Double> logs) {
            Map<String, Double> row = new LinkedHashMap<>();
            row.put("epoch", (double) epoch);
            row.putAll(logs);
            rows.add(row);
            TreeSet<String> keys = new TreeSet<>();
            for (var r : rows) keys.addAll(r.keySet());
            keys.remove("epoch");
            StringBuilder sb = new StringBuilder("epoch");
            for (String k : keys) sb.append(',').append(k);
            sb.append('\n');
            for (var r : rows) {
                sb.append(r.get("epoch").intValue());
                for (String k : keys) sb.append(',').append(r.containsKey(k) ? Double.toString(r.get(k)) : "");
                sb.append('\n');
            }
            write(file, sb.toString());
        }
    }

    /** JSON lines, one object per epoch: {"epoch": 0, "loss": ..., ...}; rewritten atomically. */
    public static final class JsonLogger extends Callback {
        private static final ObjectMapper JSON = new ObjectMapper();
        final Path file;
        private final StringBuilder lines = new StringBuilder();

        public JsonLogger(Path file) {
            this.file = file;
        }

        @Override public void onEpochEnd(int epoch, Map<String, Double> logs) {
            ObjectNode n = JSON.createObjectNode();
            n.put("epoch", epoch);
            logs.forEach(n::put);
            lines.append(n).append('\n');
            write(file, lines.toString());
        }
    }

    static void write(Path file, String text) {
        try {
            AtomicFiles.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    static Map<String, float[]> copy(Map<String, Tensor> weights) {
        Map<String, float[]> m = new LinkedHashMap<>();
        weights.forEach((k, t) -> m.put(k, t.data.clone()));
        return m;
    }
}
