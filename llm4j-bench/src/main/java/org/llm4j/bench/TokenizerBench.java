package org.llm4j.bench;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import com.knuddels.jtokkit.api.IntArrayList;
import org.llm4j.data.CorpusOptions;
import org.llm4j.data.CorpusReader;
import org.llm4j.data.SyntheticCorpus;
import org.llm4j.io.AtomicFiles;
import org.llm4j.tokenizer.BpeTrainer;
import org.llm4j.tokenizer.ByteLevelBpeTokenizer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * GPT-2 tokenizer throughput, llm4j beside JTokkit's {@code r50k_base} (a tuned Java port of
 * OpenAI's tiktoken), on tiny Shakespeare (1,115,394 bytes) and on a 100 MB synthetic corpus
 * ({@code llm4j data synth --size 100MB --seed 1}: 100,000,030 bytes); byte-level BPE training
 * time for a 32k vocabulary on both, streamed from the file as {@code llm4j tokenizer train}
 * does; and cold start (a fresh JVM: load the GPT-2 tokenizer, encode 10 kB).
 *
 * <p>Both sides use encodeOrdinary (special-token strings are plain text to both). Each encode op tokenizes a whole corpus, so MB/s = ops/s × 1.115394 (Shakespeare) or
 * × 100.00003 (synthetic); the {@code *AllThreads} scores are JMH's sum over threads. The setup
 * of the single-thread llm4j benchmark checks that llm4j's ids equal JTokkit's on the whole corpus.
 *
 * <p>Data: {@code -Dllm4j.data.mirror} or {@code $LLM4J_DATA_MIRROR} ({@code tinyshakespeare/},
 * {@code gpt2-tokenizer/}, and the three corpora the synthetic one is built from). The synthetic
 * corpus is written once to {@code $TMPDIR/llm4j-synth-100MB-seed1.txt}, or taken from
 * {@code -Dllm4j.bench.synth=FILE}.
 *
 * <pre>LLM4J_DATA_MIRROR=../shared/data java -jar llm4j-bench/target/benchmarks.jar TokenizerBench</pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 3, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector",
        "--enable-native-access=ALL-UNNAMED", "-XX:+UseG1GC", "-Xms4g", "-Xmx4g"})
public class TokenizerBench {
    static final long SYNTH_BYTES = 100_000_000L;
    static final long SYNTH_SEED = 1;

    static Path mirror() {
        String m = System.getProperty("llm4j.data.mirror");
        if (m == null || m.isBlank()) m = System.getenv("LLM4J_DATA_MIRROR");
        if (m == null || m.isBlank()) {
            throw new IllegalStateException("set LLM4J_DATA_MIRROR (or -Dllm4j.data.mirror) to the shared data folder");
        }
        return Path.of(m);
    }

    static Path shakespeareFile() {
        return mirror().resolve("tinyshakespeare/input.txt");
    }

    // The 100 MB synthetic corpus: generated once (deterministic: same seed, same bytes) and kept.
    static synchronized Path synthFile() throws IOException {
        String given = System.getProperty("llm4j.bench.synth");
        if (given != null && !given.isBlank()) return Path.of(given);
        Path f = Path.of(System.getProperty("java.io.tmpdir"), "llm4j-synth-100MB-seed1.txt");
        if (!Files.isRegularFile(f)) {
            var gen = new SyntheticCorpus(SyntheticCorpus.mirrorSources(mirror()));
            AtomicFiles.write(f, out -> gen.generate(SYNTH_BYTES, SYNTH_SEED, out, null));
        }
        return f;
    }

    static void checkSameIds(String what, ByteLevelBpeTokenizer llm4j, Encoding jtokkit, String text) {
        int[] ours = llm4j.encodeOrdinary(text);
        int[] theirs = jtokkit.encodeOrdinary(text).toArray();
        if (!Arrays.equals(ours, theirs)) {
            int i = Arrays.mismatch(ours, theirs);
            throw new IllegalStateException(what + ": llm4j ids differ from JTokkit r50k_base at token " + i
                    + " (llm4j " + ours.length + " tokens, JTokkit " + theirs.length + ")");
        }
        System.out.printf("%n%s: %,d bytes, %,d tokens, ids identical to JTokkit r50k_base%n", what,
                text.getBytes(StandardCharsets.UTF_8).length, ours.length);
    }

    @State(Scope.Benchmark)
    public static class Tokenizers {
        ByteLevelBpeTokenizer llm4j;
        Encoding jtokkit;

        @Setup(Level.Trial)
        public void load() throws IOException {
            llm4j = ByteLevelBpeTokenizer.load(mirror().resolve("gpt2-tokenizer"));
            jtokkit = Encodings.newDefaultEncodingRegistry().getEncoding(EncodingType.R50K_BASE);
        }
    }

    @State(Scope.Benchmark)
    public static class Shakespeare {
        String text;

        @Setup(Level.Trial)
        public void load(Tokenizers t, BenchmarkParams params) throws IOException {
            text = Files.readString(shakespeareFile(), StandardCharsets.UTF_8);
            if (params.getBenchmark().endsWith(".llm4jEncodeShakespeare")) checkSameIds("tiny Shakespeare", t.llm4j, t.jtokkit, text);
        }
    }

    @State(Scope.Benchmark)
    public static class Synth {
        String text;

        @Setup(Level.Trial)
        public void load(Tokenizers t, BenchmarkParams params) throws IOException {
            text = Files.readString(synthFile(), StandardCharsets.UTF_8);
            if (params.getBenchmark().endsWith(".llm4jEncodeSynth100MB")) checkSameIds("synthetic 100 MB", t.llm4j, t.jtokkit, text);
        }
    }

    // ---- encode: tiny Shakespeare (about 20-90 ms per op) ----

    @Benchmark
    @Threads(1)
    public int[] llm4jEncodeShakespeare(Tokenizers t, Shakespeare s) {
        return t.llm4j.encodeOrdinary(s.text);
    }

    @Benchmark
    @Threads(1)
    public IntArrayList jtokkitEncodeShakespeare(Tokenizers t, Shakespeare s) {
        return t.jtokkit.encodeOrdinary(s.text);
    }

    @Benchmark
    @Threads(Threads.MAX)
    public int[] llm4jEncodeShakespeareAllThreads(Tokenizers t, Shakespeare s) {
        return t.llm4j.encodeOrdinary(s.text);
    }

    @Benchmark
    @Threads(Threads.MAX)
    public IntArrayList jtokkitEncodeShakespeareAllThreads(Tokenizers t, Shakespeare s) {
        return t.jtokkit.encodeOrdinary(s.text);
    }

    // ---- encode: the 100 MB synthetic corpus (seconds per op: one op per iteration) ----

    @Benchmark
    @Threads(1)
    @Warmup(iterations = 2, time = 1)
    @Measurement(iterations = 3, time = 1)
    public int[] llm4jEncodeSynth100MB(Tokenizers t, Synth s) {
        return t.llm4j.encodeOrdinary(s.text);
    }

    @Benchmark
    @Threads(1)
    @Warmup(iterations = 2, time = 1)
    @Measurement(iterations = 3, time = 1)
    public IntArrayList jtokkitEncodeSynth100MB(Tokenizers t, Synth s) {
        return t.jtokkit.encodeOrdinary(s.text);
    }

    @Benchmark
    @Threads(Threads.MAX)
    @Warmup(iterations = 2, time = 1)
    @Measurement(iterations = 3, time = 1)
    public int[] llm4jEncodeSynth100MBAllThreads(Tokenizers t, Synth s) {
        return t.llm4j.encodeOrdinary(s.text);
    }

    @Benchmark
    @Threads(Threads.MAX)
    @Warmup(iterations = 2, time = 1)
    @Measurement(iterations = 3, time = 1)
    public IntArrayList jtokkitEncodeSynth100MBAllThreads(Tokenizers t, Synth s) {
        return t.jtokkit.encodeOrdinary(s.text);
    }

    // ---- BPE training, 32k vocabulary, streamed from the file as `llm4j tokenizer train` does ----

    static ByteLevelBpeTokenizer train32k(Path file) {
        var reader = new CorpusReader(CorpusOptions.DEFAULTS);
        return BpeTrainer.train(sink -> reader.readPieces(List.of(file), sink::accept, null),
                BpeTrainer.Config.of(32_000, List.of("<|endoftext|>")));
    }

    /** Seconds to train a 32k vocabulary on tiny Shakespeare (multi-threaded counting). */
    @Benchmark
    @Threads(1)
    @BenchmarkMode(Mode.SingleShotTime)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @Warmup(iterations = 2)
    @Measurement(iterations = 3)
    public ByteLevelBpeTokenizer bpeTrain32kShakespeare() {
        return train32k(shakespeareFile());
    }

    /** Seconds to train a 32k vocabulary on the 100 MB synthetic corpus. */
    @Benchmark
    @Threads(1)
    @BenchmarkMode(Mode.SingleShotTime)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @Warmup(iterations = 1)
    @Measurement(iterations = 2)
    public ByteLevelBpeTokenizer bpeTrain32kSynth100MB() throws IOException {
        return train32k(synthFile());
    }

    // ---- cold start: the first encode in a fresh JVM (tokenizer load + encode 10 kB) ----

    @State(Scope.Benchmark)
    public static class Prompt {
        String text;
        Path gpt2;

        @Setup(Level.Trial)
        public void load() throws IOException {
            text = Files.readString(shakespeareFile(), StandardCharsets.UTF_8).substring(0, 10_000);
            gpt2 = mirror().resolve("gpt2-tokenizer");
        }
    }

    @Benchmark
    @Threads(1)
    @BenchmarkMode(Mode.SingleShotTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    @Warmup(iterations = 0)
    @Measurement(iterations = 1)
    @Fork(value = 10, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-XX:+UseG1GC"})
    public int[] llm4jColdStart(Prompt p) throws IOException {
        return ByteLevelBpeTokenizer.load(p.gpt2).encodeOrdinary(p.text);
    }

    @Benchmark
    @Threads(1)
    @BenchmarkMode(Mode.SingleShotTime)
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    @Warmup(iterations = 0)
    @Measurement(iterations = 1)
    @Fork(value = 10, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-XX:+UseG1GC"})
    public IntArrayList jtokkitColdStart(Prompt p) {
        return Encodings.newDefaultEncodingRegistry().getEncoding(EncodingType.R50K_BASE).encodeOrdinary(p.text);
    }
}
