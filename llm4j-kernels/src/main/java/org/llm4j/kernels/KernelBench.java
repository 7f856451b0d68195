// Measures VectorKernels' matrix products in GFLOP/s at GPT-2 shapes, on 1 and all threads.
package org.llm4j.kernels;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.stream.Collectors;

/**
 * Usage: {@code java --add-modules jdk.incubator.vector -XX:+UseG1GC -cp llm4j-kernels/target/classes
 * org.llm4j.kernels.KernelBench [--threads 1,2] [--reps 9] [--warmup-ms 300] [--ops NN,NT,TN]
 * [--shapes 256x768x2304,...] [--csv]}. Shapes are MxKxN. Each figure is the median of the timed
 * repetitions after a warm-up; --csv prints one line per figure for tools/openblas/run.sh:
 * {@code java,OP,M,K,N,THREADS,GFLOPS}. The ops GEMV_F32, GEMV_F16, GEMV_BF16, GEMV_Q8_0, GEMV_Q4_0,
 * GEMV_Q4_K and GEMV_Q6_K time the inference product out = W·x of decoding instead: W (N, K) of that type in an
 * off-heap segment as a memory-mapped model holds it, M vectors x of length K (M = 1: one token),
 * reported also as G weights/s (N·K·M per second), e.g. {@code --ops GEMV_Q4_0 --shapes 1x2048x2048}.
 * With M above {@link Kernels#FEW_ROWS} they time the prompt product as a model runs it
 * ({@code matmul}: Q4_0 in int16 lanes on the interleaved copy, the other types through the float
 * GEMM), e.g. {@code --shapes 512x2048x2048}.
 */
public final class KernelBench {
    private KernelBench() {}

    // GPT-2 small with B·T = 256 tokens: qkv (C → 3C), attention projection (C → C), MLP up
    // (C → 4C), MLP down (4C → C), and a larger 768x3072x768 product.
    static final String DEFAULT_SHAPES = "256x768x2304,256x768x768,256x768x3072,256x3072x768,768x3072x768";

    record Config(int[] threads, int reps, int warmupMs, List<String> ops, List<int[]> shapes, boolean csv) {}

    public static void main(String[] args) {
        System.out.print(run(args));
    }

    /** Runs the benchmark and returns the report (the same text main prints). */
    public static String run(String... args) {
        Config cfg = parse(args);
        StringBuilder out = new StringBuilder();
        String prefix = cfg.csv ? "# " : "";
        for (String line : machine()) out.append(prefix).append(line).append('\n');
        out.append(prefix).append("config: threads=").append(Arrays.toString(cfg.threads)).append(" reps=").append(cfg.reps)
                .append(" warmup-ms=").append(cfg.warmupMs).append(" ops=").append(cfg.ops)
                .append(" species=").append(VectorKernels.S).append(" tile=").append(VectorKernels.MR).append('x').append(VectorKernels.NR)
                .append(" KC=").append(VectorKernels.KC).append(" MC=").append(VectorKernels.MC).append(" NC=").append(VectorKernels.NC)
                .append('\n');
        // Let C2 compile the kernels and packing routines for every op and thread count before the
        // first timed shape: a cold JVM otherwise spends the first figures in lower tiers.
        for (String op : cfg.ops) {
            for (int t : cfg.threads) {
                if (op.startsWith("GEMV_")) measure(op, 1, 2048, 2048, t, 1, cfg.warmupMs);
                else measure(op, 256, 768, 768, t, 1, cfg.warmupMs);
            }
        }
        if (!cfg.csv) out.append(String.format(Locale.ROOT, "%-9s %5s %5s %5s %7s %10s %10s %9s %10s%n",
                "op", "M", "K", "N", "threads", "median ms", "min ms", "GFLOP/s", "Gweights/s"));
        for (int[] s : cfg.shapes) {
            for (String op : cfg.ops) {
                for (int t : cfg.threads) {
                    double[] ms = measure(op, s[0], s[1], s[2], t, cfg.reps, cfg.warmupMs);
                    double median = median(ms), min = Arrays.stream(ms).min().orElse(Double.NaN);
                    double gflops = 2.0 * s[0] * s[1] * s[2] / (median * 1e6);
                    if (cfg.csv) {
                        out.append(String.format(Locale.ROOT, "java,%s,%d,%d,%d,%d,%.2f%n", op, s[0], s[1], s[2], t, gflops));
                    } else {
                        out.append(String.format(Locale.ROOT, "%-9s %5d %5d %5d %7d %10.3f %10.3f %9.2f %10.2f%n",
                                op.startsWith("GEMV_") ? op : "matmul" + op, s[0], s[1], s[2], t, median, min, gflops, gflops / 2));
                    }
                }
            }
        }
        return out.toString();
    }

    private static Config parse(String[] args) {
        int cores = Runtime.getRuntime().availableProcessors();
        int[] threads = cores > 1 ? new int[] {1, cores} : new int[] {1};
        int reps = 9, warmupMs = 300;
        List<String> ops = List.of("NN", "NT", "TN");
        String shapes = DEFAULT_SHAPES;
        boolean csv = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--threads" -> threads = Arrays.stream(value(args, ++i, a).split(",")).mapToInt(Integer::parseInt).toArray();
                case "--reps" -> reps = Integer.parseInt(value(args, ++i, a));
                case "--warmup-ms" -> warmupMs = Integer.parseInt(value(args, ++i, a));
                case "--ops" -> ops = Arrays.stream(value(args, ++i, a).split(",")).map(s -> s.trim().toUpperCase(Locale.ROOT)).toList();
                case "--shapes" -> shapes = value(args, ++i, a);
                case "--csv" -> csv = true;
                case "-h", "--help" -> throw new IllegalArgumentException(
                        "KernelBench [--threads 1,2] [--reps 9] [--warmup-ms 300] [--ops NN,NT,TN,GEMV_Q4_0,...] [--shapes MxKxN,...] [--csv]");
                default -> throw new IllegalArgumentException("unknown option " + a + " (try --help)");
            }
        }
        for (String op : ops) {
            if (!List.of("NN", "NT", "TN").contains(op) && gemvType(op) == null) {
                throw new IllegalArgumentException("unknown op " + op + " (NN, NT, TN, or GEMV_ and a weight type: F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q6_K)");
            }
        }
        List<int[]> shapeList = new ArrayList<>();
        for (String s : shapes.split(",")) {
            String[] p = s.trim().toLowerCase(Locale.ROOT).split("x");
            if (p.length != 3) throw new IllegalArgumentException("shape must be MxKxN, got " + s);
            shapeList.add(new int[] {Integer.parseInt(p[0]), Integer.parseInt(p[1]), Integer.parseInt(p[2])});
        }
        if (reps < 1) throw new IllegalArgumentException("--reps must be >= 1");
        return new Config(threads, reps, warmupMs, ops, shapeList, csv);
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) throw new IllegalArgumentException(option + " needs a value");
        return args[i];
    }

    // Times `reps` calls after warming up for at least warmupMs (and at least 3 calls); returns ms per call.
    static double[] measure(String op, int m, int k, int n, int threads, int reps, int warmupMs) {
        Random rnd = new Random(1);
        float[] a = new float[m * k], b = new float[k * n], c = new float[m * n];
        for (int i = 0; i < a.length; i++) a[i] = rnd.nextFloat() - 0.5f;
        for (int i = 0; i < b.length; i++) b[i] = rnd.nextFloat() - 0.5f;
        Kernels kern = new VectorKernels(threads);
        DType gemv = gemvType(op);
        if (gemv != null && k % gemv.blockSize != 0) throw new IllegalArgumentException(op + ": K must be a multiple of " + gemv.blockSize + ", got " + k);
        Weight.Mapped w = gemv == null ? null : mapped(gemv, b, n, k);
        // GEMV_ with more rows than decoding takes: the prompt product as the models run it (matmul)
        Runnable call = gemv != null ? (m <= Kernels.FEW_ROWS ? () -> VectorWeights.gemvRows(threads, m, w, a, 0, c, 0, false)
                : () -> kern.matmul(a, 0, w, true, c, 0, m, false)) : switch (op) {
            case "NN" -> () -> kern.matmulNN(a, 0, b, 0, c, 0, m, k, n, false);
            case "NT" -> () -> kern.matmulNT(a, 0, b, 0, c, 0, m, k, n, false);
            default -> () -> kern.matmulTN(a, 0, b, 0, c, 0, m, k, n, false);
        };
        long warmEnd = System.nanoTime() + warmupMs * 1_000_000L;
        for (int i = 0; i < 3 || System.nanoTime() < warmEnd; i++) call.run();
        double[] ms = new double[reps];
        for (int r = 0; r < reps; r++) {
            long t0 = System.nanoTime();
            call.run();
            ms[r] = (System.nanoTime() - t0) / 1e6;
        }
        return ms;
    }

    // GEMV_<type> → the weight type; null for the matrix-product ops
    private static DType gemvType(String op) {
        if (!op.startsWith("GEMV_")) return null;
        try {
            return DType.valueOf(op.substring(5));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    // values[0..n·k) as a (n, k) matrix of the given type in an off-heap segment
    private static Weight.Mapped mapped(DType type, float[] values, int n, int k) {
        byte[] bytes = Quant.encode(type, Arrays.copyOf(values, n * k));
        java.lang.foreign.MemorySegment seg = java.lang.foreign.Arena.ofAuto().allocate(bytes.length, 64);
        java.lang.foreign.MemorySegment.copy(java.lang.foreign.MemorySegment.ofArray(bytes), 0, seg, 0, bytes.length);
        return new Weight.Mapped(seg, type, n, k);
    }

    static double median(double[] x) {
        double[] s = x.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : 0.5 * (s[s.length / 2 - 1] + s[s.length / 2]);
    }

    static List<String> machine() {
        List<String> lines = new ArrayList<>();
        lines.add("machine: " + System.getProperty("os.name") + " " + System.getProperty("os.arch")
                + ", " + Runtime.getRuntime().availableProcessors() + " cores, cpu: " + cpuModel());
        lines.add("java: " + System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version")
                + ", gc: " + ManagementFactory.getGarbageCollectorMXBeans().stream().map(g -> g.getName()).collect(Collectors.joining("/"))
                + ", max heap: " + Runtime.getRuntime().maxMemory() / (1 << 20) + " MiB");
        lines.add("jvm args: " + String.join(" ", ManagementFactory.getRuntimeMXBean().getInputArguments()));
        return lines;
    }

    private static String cpuModel() {
        try {
            Path p = Path.of("/proc/cpuinfo");
            if (Files.isReadable(p)) {
                for (String line : Files.readAllLines(p)) {
                    if (line.startsWith("model name")) return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException | RuntimeException ignored) {
            // Not Linux, or not readable: the model is only informative.
        }
        return "unknown";
    }
}
