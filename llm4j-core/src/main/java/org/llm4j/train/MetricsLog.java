// The metrics of a run: JSON lines on disk (metrics.jsonl) and the series behind the loss-curve PNG.
package org.llm4j.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;
import org.llm4j.io.AtomicFiles;

public final class MetricsLog {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path file; // null: in memory only
    final List<double[]> train = new ArrayList<>(); // (step, loss)
    final List<double[]> val = new ArrayList<>();   // (step, train loss, val loss)

    /**
     * Opens the log of a run. When resuming from step {@code keepUpTo}, lines written after that
     * step (by a run that crashed after its last checkpoint) are dropped so the log matches the
     * checkpoint; a fresh run (keepUpTo = 0) starts an empty log.
     */
    public MetricsLog(Path file, int keepUpTo) throws IOException {
        this.file = file;
        if (file == null) return;
        List<String> kept = new ArrayList<>();
        if (keepUpTo > 0 && Files.exists(file)) {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                if (line.isBlank()) continue;
                JsonNode n;
                try {
                    n = JSON.readTree(line);
                } catch (IOException e) {
                    continue; // a line torn by a crash
                }
                int step = n.path("step").asInt();
                if (step > keepUpTo) continue;
                kept.add(line);
                if (n.has("val_loss")) val.add(new double[]{step, n.path("train_loss").asDouble(), n.path("val_loss").asDouble()});
                else if (n.has("loss")) train.add(new double[]{step, n.path("loss").asDouble()});
            }
        }
        AtomicFiles.writeString(file, kept.isEmpty() ? "" : String.join("\n", kept) + "\n");
    }

    public void logStep(int step, double loss, double lr, double gradNorm, double tokensPerSecond) throws IOException {
        train.add(new double[]{step, loss});
        ObjectNode n = JSON.createObjectNode();
        n.put("step", step).put("loss", loss).put("lr", lr).put("grad_norm", gradNorm).put("tokens_per_s", Math.round(tokensPerSecond));
        append(n);
    }

    public void logEval(int step, double trainLoss, double valLoss) throws IOException {
        val.add(new double[]{step, trainLoss, valLoss});
        ObjectNode n = JSON.createObjectNode();
        n.put("step", step).put("train_loss", trainLoss).put("val_loss", valLoss).put("val_ppl", Math.exp(valLoss));
        append(n);
    }

    private void append(ObjectNode n) throws IOException {
        if (file == null) return;
        Files.writeString(file, n.toString() + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    /** Draws training and validation loss against steps into a PNG (atomically replaced). */
    public void plot(Path png, String title) throws IOException {
        if (train.isEmpty()) return;
        System.setProperty("java.awt.headless", "true");
        XYChart chart = new XYChartBuilder().width(900).height(540).title(title).xAxisTitle("step").yAxisTitle("loss (nats/token)").build();
        chart.getStyler().setMarkerSize(4);
        chart.addSeries("train (per step)", column(train, 0), column(train, 1)).setMarker(SeriesMarkers.NONE);
        if (!val.isEmpty()) {
            chart.addSeries("train (eval)", column(val, 0), column(val, 1)).setMarker(SeriesMarkers.CIRCLE);
            chart.addSeries("validation", column(val, 0), column(val, 2)).setMarker(SeriesMarkers.DIAMOND);
        }
        byte[] bytes = BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
        AtomicFiles.writeBytes(png, bytes);
    }

    private static double[] column(List<double[]> rows, int c) {
        double[] out = new double[rows.size()];
        for (int i = 0; i < out.length; i++) out[i] = rows.get(i)[c];
        return out;
    }
}
