// A Keras model: layers in order, compile(optimizer, loss, metrics), fit, evaluate, predict, summary, save/load.
package org.llm4j.keras;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.llm4j.format.Safetensors;
import org.llm4j.io.AtomicFiles;
import org.llm4j.tensor.Grad;
import org.llm4j.tensor.Rng;
import org.llm4j.tensor.Tensor;

/**
 * The functional form: {@code new Model(input, output)} over nodes made by {@link Layer#apply};
 * {@link Sequential} adds layers one by one. Either way the model is a chain of layers, built
 * for the input shape when it is known (an {@link Input}) or on the first batch it sees.
 *
 * <p>Weights are named "layer.weight" (the layer's name, then the PyTorch name inside it:
 * {@code lstm.weight_ih_l0}, {@code dense.weight}), which is how they appear in the saved
 * safetensors file. A saved model is a folder: {@code model.json} (architecture and compile
 * settings) and {@code model.safetensors}, each written atomically.
 */
public class Model {
    static final String FORMAT = "llm4j-keras";
    private static final ObjectMapper JSON = new ObjectMapper();

    final List<Layer> layers = new ArrayList<>();
    String name;
    int[] inputShape;
    boolean built;
    long seed;
    Optimizer optimizer;
    Loss loss;
    final List<Metric> metrics = new ArrayList<>();
    private boolean stop;

    Model(String name) {
        this.name = name;
    }

    /** The functional API: the chain of layers from input to output. */
    public Model(Input.Node input, Input.Node output) {
        this.name = "functional";
        List<Layer> chain = new ArrayList<>();
        Input.Node n = output;
        while (n != null && n != input) {
            if (n.layer == null) throw new IllegalArgumentException("Model: the output does not come from this input");
            chain.add(n.layer);
            n = n.parent;
        }
        if (n == null) throw new IllegalArgumentException("Model: the output does not come from this input");
        Collections.reverse(chain);
        layers.addAll(chain);
        inputShape = input.shape.clone(); // built on first use, so seed() can still come first
    }

    /** Seeds weight initialisation; takes effect when the model is built. */
    @SuppressWarnings("unchecked")
    public <M extends Model> M seed(long seed) {
        if (built) throw new IllegalStateException("seed: the model is already built");
        this.seed = seed;
        return (M) this;
    }

    public String name() { return name; }

    public List<Layer> layers() { return Collections.unmodifiableList(layers); }

    public Optimizer optimizer() { return optimizer; }

    public Loss loss() { return loss; }

    public boolean isBuilt() { return built; }

    /** Creates every layer's weights for this input shape (batch excluded; -1 = None). */
    public void build(int... shape) {
        if (inputShape != null && !compatible(shape, inputShape)) {
            throw new IllegalArgumentException("input shape " + shapeString(shape) + " does not fit the model's " + shapeString(inputShape));
        }
        if (built) return;
        if (layers.isEmpty()) throw new IllegalStateException("the model has no layers");
        Map<String, Integer> used = new HashMap<>();
        for (Layer l : layers) if (l.name != null && used.put(l.name, 0) != null) throw new IllegalArgumentException("two layers are named '" + l.name + "'");
        if (inputShape == null) inputShape = shape.clone();
        int[] s = inputShape.clone();
        for (int i = 0; i < layers.size(); i++) {
            Layer l = layers.get(i);
            if (l.name == null) {
                String base = Layer.snake(l.className());
                String nm = base;
                for (int k = 1; used.containsKey(nm); k++) nm = base + "_" + k;
                l.name = nm;
                used.put(nm, 0);
            }
            l.inputShape = s;
            s = l.build(s, seed * 1_000_003L + i);
            l.outputShape = s;
        }
        built = true;
    }

    private static boolean compatible(int[] got, int[] want) {
        if (got.length != want.length) return false;
        for (int i = 0; i < got.length; i++) if (want[i] != -1 && got[i] != want[i] && got[i] != -1) return false;
        return true;
    }

    public Model compile(Optimizer optimizer, Loss loss, Metric... metrics) {
        this.optimizer = optimizer;
        this.loss = loss;
        this.metrics.clear();
        this.metrics.addAll(List.of(metrics));
        return this;
    }

    /** compile("adam", "sparse_categorical_crossentropy", "accuracy"). */
    public Model compile(String optimizer, String loss, String... metrics) {
        Metric[] m = new Metric[metrics.length];
        for (int i = 0; i < m.length; i++) m[i] = Metric.of(metrics[i]);
        return compile(Optimizer.of(optimizer), Loss.of(loss), m);
    }

    /** Every weight, named "layer.weight", in layer order. */
    public Map<String, Tensor> weights() {
        requireBuilt("weights");
        Map<String, Tensor> w = new LinkedHashMap<>();
        for (Layer l : layers) l.weights().forEach((k, t) -> w.put(l.name + "." + k, t));
        return w;
    }

    public long countParams() {
        long n = 0;
        for (Layer l : layers) n += l.countParams();
        return n;
    }

    /** Asks fit to stop after the current epoch (EarlyStopping calls this). */
    public void stopTraining() {
        stop = true;
    }

    Map<String, float[]> snapshotWeights() {
        return Callback.copy(weights());
    }

    void restoreWeights(Map<String, float[]> w) {
        weights().forEach((k, t) -> System.arraycopy(w.get(k), 0, t.data, 0, t.size()));
    }

    private void requireBuilt(String what) {
        if (!built && inputShape != null) build(inputShape);
        if (!built) throw new IllegalStateException(what + ": the model is not built yet; give it an Input shape, call build(shape), or fit it first");
    }

    private void requireCompiled(String what) {
        if (optimizer == null || loss == null) throw new IllegalStateException(what + ": call compile(optimizer, loss, metrics) first");
    }

    // ---------------------------------------------------------------- forward

    private void setTraining(boolean on) {
        for (Layer l : layers) l.setTraining(on);
    }

    /** The output of every layer; the last layer's is returned. */
    Tensor forward(Tensor x, Context ctx) {
        Tensor h = x;
        for (Layer l : layers) h = l.call(h, ctx);
        return h;
    }

    /** The loss of a batch and the tensor the metrics read (a softmax output's logits on the fused route). */
    private record Step(Tensor loss, Tensor predictions) {}

    private Step step(Tensor x, Target t, Context ctx) {
        Layer last = layers.get(layers.size() - 1);
        if (last instanceof Dense d && d.activation == Activation.SOFTMAX && loss.sparse()) {
            Tensor h = x;
            for (int i = 0; i < layers.size() - 1; i++) h = layers.get(i).call(h, ctx);
            Tensor logits = d.logits(h);
            return new Step(loss.fromLogits(logits, t), logits);
        }
        Tensor y = forward(x, ctx);
        return new Step(loss.compute(y, t), y);
    }

    static Tensor inputs(Data x, int from, int to, int padTo) {
        return switch (x) {
            case Data.Tokens tk -> {
                int t = padTo > 0 ? padTo : tk.maxLength(from, to);
                int[] ids = tk.ids(from, to, t, 0);
                float[] f = new float[ids.length];
                for (int i = 0; i < f.length; i++) {
                    if (ids[i] < 0 || ids[i] >= 1 << 24) throw new IllegalArgumentException("token id " + ids[i] + " in sample " + (from + i / t) + " is outside [0, 2^24)");
                    f[i] = ids[i];
                }
                yield Tensor.of(f, to - from, t);
            }
            case Data.Floats fl -> fl.rows(from, to);
            case Data.Labels l -> throw new IllegalArgumentException("class labels (int[]) cannot be a model's input; use int[][] token sequences");
        };
    }

    static Target targets(Data y, int from, int to, Tensor x) {
        return switch (y) {
            case Data.Labels l -> new Target(Arrays.copyOfRange(l.classes(), from, to), null);
            case Data.Tokens tk -> new Target(tk.ids(from, to, x.rank() >= 2 && tk.maxLength(from, to) <= x.dim(1) ? x.dim(1) : tk.maxLength(from, to), -1), null);
            case Data.Floats fl -> new Target(null, fl.rows(from, to));
        };
    }

    private void buildFrom(Data x) {
        if (!built) build(inputShape != null ? inputShape : x.sampleShape());
    }

    // ---------------------------------------------------------------- fit / evaluate / predict

    public History fit(int[][] x, int[] y, Fit f) { return fit(Data.of(x), Data.of(y), f); }

    public History fit(int[][] x, int[][] y, Fit f) { return fit(Data.of(x), Data.of(y), f); }

    public History fit(float[][][] x, float[][] y, Fit f) { return fit(Data.of(x), Data.of(y), f); }

    public History fit(float[][] x, float[][] y, Fit f) { return fit(Data.of(x), Data.of(y), f); }

    /** Trains for f's epochs; returns the per-epoch logs. */
    public History fit(Data x, Data y, Fit f) {
        requireCompiled("fit");
        if (x.size() != y.size()) throw new IllegalArgumentException("fit: " + x.size() + " inputs but " + y.size() + " targets");
        Data vx = f.validationX, vy = f.validationY;
        if (vx == null && f.validationSplit > 0) {
            int nVal = (int) (x.size() * f.validationSplit), nTrain = x.size() - nVal;
            if (nVal == 0 || nTrain == 0) throw new IllegalArgumentException("fit: validation split " + f.validationSplit + " of " + x.size() + " samples leaves an empty set");
            vx = x.select(range(nTrain, x.size()));
            vy = y.select(range(nTrain, y.size()));
            x = x.select(range(0, nTrain));
            y = y.select(range(0, nTrain));
        }
        if (x.size() == 0) throw new IllegalArgumentException("fit: no training samples");
        buildFrom(x);
        int n = x.size(), b = f.batchSize, steps = (n + b - 1) / b;
        List<Callback> cbs = new ArrayList<>();
        if (f.verbose) cbs.add(new Callback.ProgbarLogger(f.out));
        cbs.addAll(f.callbacks);
        for (Callback c : cbs) c.setModel(this);
        History history = new History();
        Rng shuffler = new Rng(f.seed), dropout = new Rng(f.seed ^ 0x5DEECE66DL);
        Map<String, Tensor> params = weights();
        stop = false;
        for (Callback c : cbs) c.onTrainBegin(f.epochs, steps);
        for (int epoch = 0; epoch < f.epochs && !stop; epoch++) {
            for (Callback c : cbs) c.onEpochBegin(epoch);
            Data ex = x, ey = y;
            if (f.shuffle) {
                int[] perm = range(0, n);
                for (int i = n - 1; i > 0; i--) { // Fisher-Yates
                    int j = shuffler.nextInt(i + 1), tmp = perm[i];
                    perm[i] = perm[j];
                    perm[j] = tmp;
                }
                ex = x.select(perm);
                ey = y.select(perm);
            }
            List<Metric> ms = fresh();
            double lossSum = 0;
            long seen = 0;
            Map<String, Double> logs = new LinkedHashMap<>();
            setTraining(true);
            for (int s = 0; s < steps; s++) {
                int from = s * b, to = Math.min(n, from + b);
                Tensor xb = inputs(ex, from, to, 0);
                Target tb = targets(ey, from, to, xb);
                Step st = step(xb, tb, new Context(true, dropout));
                float l = st.loss.item();
                if (!Float.isFinite(l)) throw new IllegalStateException("fit: loss became " + l + " in epoch " + (epoch + 1) + ", batch " + (s + 1) + "; lower the learning rate or clip gradients (Optimizer.clipNorm)");
                st.loss.backward();
                optimizer.step(params);
                for (Tensor p : params.values()) p.zeroGrad();
                lossSum += (double) l * (to - from);
                seen += to - from;
                for (Metric m : ms) m.update(st.predictions, tb);
                logs.clear();
                logs.put("loss", lossSum / seen);
                for (Metric m : ms) logs.put(m.name(), m.result());
                for (Callback c : cbs) c.onBatchEnd(s, logs);
            }
            setTraining(false);
            Map<String, Double> epochLogs = new LinkedHashMap<>(logs);
            if (vx != null) evaluate(vx, vy, b).forEach((k, v) -> epochLogs.put("val_" + k, v));
            epochLogs.put("learning_rate", (double) optimizer.learningRate());
            history.add(epoch, epochLogs);
            for (Callback c : cbs) c.onEpochEnd(epoch, epochLogs);
        }
        for (Callback c : cbs) c.onTrainEnd();
        return history;
    }

    private List<Metric> fresh() {
        List<Metric> ms = new ArrayList<>();
        for (Metric m : metrics) ms.add(m.copy());
        return ms;
    }

    private static int[] range(int from, int to) {
        int[] r = new int[to - from];
        for (int i = 0; i < r.length; i++) r[i] = from + i;
        return r;
    }

    public Map<String, Double> evaluate(int[][] x, int[] y, int batchSize) { return evaluate(Data.of(x), Data.of(y), batchSize); }

    /** The loss (mean over samples) and every metric, without dropout or gradients. */
    public Map<String, Double> evaluate(Data x, Data y, int batchSize) {
        requireCompiled("evaluate");
        if (x.size() != y.size()) throw new IllegalArgumentException("evaluate: " + x.size() + " inputs but " + y.size() + " targets");
        if (batchSize < 1) throw new IllegalArgumentException("evaluate: batch size must be positive, got " + batchSize);
        buildFrom(x);
        List<Metric> ms = fresh();
        double lossSum = 0;
        setTraining(false);
        try (var g = Grad.off()) {
            for (int from = 0; from < x.size(); from += batchSize) {
                int to = Math.min(x.size(), from + batchSize);
                Tensor xb = inputs(x, from, to, 0);
                Target tb = targets(y, from, to, xb);
                Step st = step(xb, tb, new Context(false, null));
                lossSum += (double) st.loss.item() * (to - from);
                for (Metric m : ms) m.update(st.predictions, tb);
            }
        }
        Map<String, Double> out = new LinkedHashMap<>();
        out.put("loss", x.size() == 0 ? Double.NaN : lossSum / x.size());
        for (Metric m : ms) out.put(m.name(), m.result());
        return out;
    }

    public Tensor predict(int[][] x, int batchSize) { return predict(Data.of(x), batchSize); }

    public Tensor predict(float[][][] x, int batchSize) { return predict(Data.of(x), batchSize); }

    /**
     * The outputs for every sample (N, output shape...), in batches, without gradients or
     * dropout. Token sequences are padded to the longest one in x, so the outputs line up.
     */
    public Tensor predict(Data x, int batchSize) {
        if (batchSize < 1) throw new IllegalArgumentException("predict: batch size must be positive, got " + batchSize);
        buildFrom(x);
        int n = x.size(), pad = x instanceof Data.Tokens tk ? tk.maxLength(0, n) : 0;
        List<Tensor> parts = new ArrayList<>();
        setTraining(false);
        try (var g = Grad.off()) {
            for (int from = 0; from < n; from += batchSize) {
                parts.add(forward(inputs(x, from, Math.min(n, from + batchSize), pad), new Context(false, null)));
            }
        }
        if (parts.isEmpty()) throw new IllegalArgumentException("predict: no samples");
        if (parts.size() == 1) return parts.get(0);
        int[] shape = parts.get(0).shape();
        shape[0] = n;
        float[] all = new float[parts.stream().mapToInt(Tensor::size).sum()];
        int at = 0;
        for (Tensor p : parts) {
            System.arraycopy(p.data, 0, all, at, p.size());
            at += p.size();
        }
        return Tensor.of(all, shape);
    }

    // ---------------------------------------------------------------- summary

    /** Prints the summary to System.out, as Keras's model.summary(). */
    public void summary() {
        summary(System.out);
    }

    public void summary(PrintStream out) {
        out.print(summaryString());
        out.flush();
    }

    /**
     * Keras's table: each layer's name and class, output shape with None for the batch, and
     * parameter count; then the totals.
     */
    public String summaryString() {
        requireBuilt("summary");
        String rule = "_".repeat(65), dbl = "=".repeat(65);
        StringBuilder sb = new StringBuilder();
        sb.append("Model: \"").append(name).append("\"\n").append(rule).append('\n');
        sb.append(row("Layer (type)", "Output Shape", "Param #")).append(dbl).append('\n');
        for (int i = 0; i < layers.size(); i++) {
            Layer l = layers.get(i);
            sb.append(row(l.name + " (" + l.className() + ")", shapeString(l.outputShape), String.format(Locale.ROOT, "%,d", l.countParams())));
            sb.append(i == layers.size() - 1 ? dbl : rule).append('\n');
        }
        long total = countParams();
        sb.append(String.format(Locale.ROOT, "Total params: %,d (%s)%n", total, bytes(total * 4)));
        sb.append(String.format(Locale.ROOT, "Trainable params: %,d (%s)%n", total, bytes(total * 4)));
        sb.append("Non-trainable params: 0 (0.00 Byte)\n").append(rule).append('\n');
        return sb.toString();
    }

    private static String row(String a, String b, String c) {
        return String.format(Locale.ROOT, " %-28s %-25s %-10s%n", a, b, c);
    }

    static String shapeString(int[] shape) {
        StringBuilder sb = new StringBuilder("(None");
        for (int d : shape) sb.append(", ").append(d < 0 ? "None" : Integer.toString(d));
        return sb.append(')').toString();
    }

    private static String bytes(long b) {
        if (b >= 1 << 20) return String.format(Locale.ROOT, "%.2f MB", b / (double) (1 << 20));
        if (b >= 1 << 10) return String.format(Locale.ROOT, "%.2f KB", b / 1024.0);
        return b + " Byte";
    }

    // ---------------------------------------------------------------- save / load

    /** Writes the weights alone (safetensors, atomically), named as {@link #weights()}. */
    public void saveWeights(Path file) throws IOException {
        Safetensors.write(file, weights(), Map.of("format", FORMAT));
    }

    /** Reads weights saved by {@link #saveWeights} or {@link #save} into this (built) model; names and shapes must match. */
    public void loadWeights(Path file) throws IOException {
        requireBuilt("loadWeights");
        Map<String, Tensor> src = Safetensors.readTensors(file);
        Map<String, Tensor> dst = weights();
        for (var e : dst.entrySet()) {
            Tensor s = src.get(e.getKey());
            if (s == null) throw new IllegalArgumentException(file + ": missing tensor '" + e.getKey() + "'");
            if (!Arrays.equals(s.shape(), e.getValue().shape())) {
                throw new IllegalArgumentException(file + ": tensor '" + e.getKey() + "' has shape " + Arrays.toString(s.shape()) + " but the model expects " + Arrays.toString(e.getValue().shape()));
            }
            System.arraycopy(s.floats(), 0, e.getValue().data, 0, s.size());
        }
        for (String k : src.keySet()) if (!dst.containsKey(k)) throw new IllegalArgumentException(file + ": unexpected tensor '" + k + "' (not a weight of this model)");
    }

    /** The whole model in a folder: model.json (architecture, compile settings) and model.safetensors. */
    public void save(Path dir) throws IOException {
        requireBuilt("save");
        ObjectNode root = JSON.createObjectNode();
        root.put("format", FORMAT).put("version", 1).put("class_name", this instanceof Sequential ? "Sequential" : "Functional").put("name", name).put("seed", seed);
        ArrayNode in = root.putArray("input_shape");
        for (int d : inputShape) in.add(d);
        ArrayNode ls = root.putArray("layers");
        for (Layer l : layers) {
            ObjectNode o = ls.addObject();
            o.put("class_name", l.className()).put("name", l.name).set("config", l.config());
        }
        if (optimizer != null) {
            ObjectNode c = root.putObject("compile");
            ObjectNode o = c.putObject("optimizer");
            o.put("class_name", optimizer.className()).put("learning_rate", optimizer.learningRate()).put("clipnorm", optimizer.clipNorm);
            if (optimizer instanceof Optimizer.Adam a) o.put("weight_decay", a.weightDecay);
            if (optimizer instanceof Optimizer.SGD s) o.put("momentum", s.momentum);
            c.put("loss", loss.kerasName());
            ArrayNode m = c.putArray("metrics");
            for (Metric x : metrics) m.add(metricSpec(x));
        }
        Files.createDirectories(dir);
        saveWeights(dir.resolve("model.safetensors"));
        AtomicFiles.writeString(dir.resolve("model.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n");
    }

    private static String metricSpec(Metric m) {
        return m instanceof Metric.TopK t ? "top_k:" + t.k : m.name();
    }

    /** Reads a folder written by {@link #save}: the same layers, weights and compile settings. */
    public static Model load(Path dir) throws IOException {
        Path json = dir.resolve("model.json");
        if (!Files.isRegularFile(json)) throw new IOException(dir + ": no model.json (not a model saved by Model.save)");
        JsonNode root = JSON.readTree(Files.readString(json, StandardCharsets.UTF_8));
        if (!FORMAT.equals(root.path("format").asText())) throw new IOException(json + ": format is '" + root.path("format").asText() + "', expected " + FORMAT);
        Model m = "Sequential".equals(root.path("class_name").asText()) ? new Sequential(root.path("name").asText("sequential")) : new Model(root.path("name").asText("functional"));
        m.seed = root.path("seed").asLong();
        for (JsonNode l : root.path("layers")) {
            Layer layer = layerFrom(l.path("class_name").asText(), (ObjectNode) l.path("config"), json);
            layer.name = l.path("name").asText();
            m.layers.add(layer);
        }
        JsonNode in = root.path("input_shape");
        int[] shape = new int[in.size()];
        for (int i = 0; i < shape.length; i++) shape[i] = in.get(i).asInt();
        m.build(shape);
        m.loadWeights(dir.resolve("model.safetensors"));
        JsonNode c = root.path("compile");
        if (!c.isMissingNode()) {
            JsonNode o = c.path("optimizer");
            float lr = (float) o.path("learning_rate").asDouble(1e-3);
            Optimizer opt = switch (o.path("class_name").asText()) {
                case "Adam" -> Optimizer.adam(lr);
                case "AdamW" -> Optimizer.adamW(lr, (float) o.path("weight_decay").asDouble());
                case "SGD" -> Optimizer.sgd(lr, (float) o.path("momentum").asDouble());
                default -> throw new IOException(json + ": unknown optimizer " + o.path("class_name").asText());
            };
            opt.clipNorm = (float) o.path("clipnorm").asDouble();
            List<Metric> ms = new ArrayList<>();
            for (JsonNode x : c.path("metrics")) {
                String s = x.asText();
                ms.add(s.startsWith("top_k:") ? Metric.sparseTopK(Integer.parseInt(s.substring(6))) : Metric.of(s));
            }
            m.compile(opt, Loss.of(c.path("loss").asText()), ms.toArray(new Metric[0]));
        }
        return m;
    }

    static Layer layerFrom(String className, ObjectNode c, Path origin) throws IOException {
        return switch (className) {
            case "Embedding" -> new Embedding(c.path("input_dim").asInt(), c.path("output_dim").asInt(), c.path("mask_zero").asBoolean());
            case "SimpleRNN", "LSTM", "GRU" -> RNN.fromConfig(className, c);
            case "Bidirectional" -> {
                JsonNode inner = c.path("layer");
                yield new Bidirectional(RNN.fromConfig(inner.path("class_name").asText(), (ObjectNode) inner.path("config")));
            }
            case "Dense" -> new Dense(c.path("units").asInt(), c.path("activation").asText());
            case "Dropout" -> new Dropout((float) c.path("rate").asDouble());
            case "GlobalAveragePooling1D" -> new GlobalAveragePooling1D();
            case "Flatten" -> new Flatten();
            case "CategoryEncoding" -> new CategoryEncoding(c.path("num_tokens").asInt(), c.path("output_mode").asText());
            default -> throw new IOException(origin + ": unknown layer class '" + className + "'");
        };
    }
}
