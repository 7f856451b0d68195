package org.llm4j.bench;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import com.knuddels.jtokkit.api.IntArrayList;
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

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * GPT-2 tokenizer throughput on tiny Shakespeare (1,115,394 bytes), llm4j beside JTokkit's
 * {@code r50k_base}, plus byte-level BPE training time for a 32k vocabulary.
 *
 * <p>Each encode op tokenizes the whole text, so MB/s = ops/s × 1.115394 (per thread for the
 * single-thread runs; the {@code *AllThreads} scores are JMH's sum over threads). Data comes from
 * {@code -Dllm4j.data.mirror} or {@code $LLM4J_DATA_MIRROR}: {@code tinyshakespeare/input.txt} and
 * {@code gpt2-tokenizer/}.
 *
 * <pre>LLM4J_DATA_MIRROR=../shared/data java -jar llm4j-bench/target/benchmarks.jar TokenizerBench</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector",
        "--enable-native-access=ALL-UNNAMED", "-XX:+UseG1GC", "-Xmx4g"})
public class TokenizerBench {

    String text;
    ByteLevelBpeTokenizer llm4j;
    Encoding jtokkit;

    static Path mirror() {
        String m = System.getProperty("llm4j.data.mirror");
        if (m == null || m.isBlank()) m = System.getenv("LLM4J_DATA_MIRROR");
        if (m == null || m.isBlank()) {
            throw new IllegalStateException("set LLM4J_DATA_MIRROR (or -Dllm4j.data.mirror) to the shared data folder");
        }
        return Path.of(m);
    }

    @Setup(Level.Trial)
    public void setup() throws IOException {
        Path root = mirror();
        text = Files.readString(root.resolve("tinyshakespeare/input.txt"), StandardCharsets.UTF_8);
        llm4j = ByteLevelBpeTokenizer.load(root.resolve("gpt2-tokenizer"));
        jtokkit = Encodings.newDefaultEncodingRegistry().getEncoding(EncodingType.R50K_BASE);

        int[] ours = llm4j.encode(text);
        int[] theirs = jtokkit.encodeOrdinary(text).toArray();
        if (!Arrays.equals(ours, theirs)) {
            int i = Arrays.mismatch(ours, theirs);
            throw new IllegalStateException("llm4j ids differ from JTokkit r50k_base at token " + i
                    + " (llm4j " + ours.length + " tokens, JTokkit " + theirs.length + ")");
        }
    }

    @Benchmark
    @Threads(1)
    public int[] llm4jEncode() {
        return llm4j.encode(text);
    }

    @Benchmark
    @Threads(1)
    public IntArrayList jtokkitEncode() {
        return jtokkit.encodeOrdinary(text);
    }

    @Benchmark
    @Threads(Threads.MAX)
    public int[] llm4jEncodeAllThreads() {
        return llm4j.encode(text);
    }

    @Benchmark
    @Threads(Threads.MAX)
    public IntArrayList jtokkitEncodeAllThreads() {
        return jtokkit.encodeOrdinary(text);
    }

    /** Seconds to train a 32k byte-level BPE vocabulary on the whole text (the trainer is multi-threaded). */
    @Benchmark
    @Threads(1)
    @BenchmarkMode(Mode.SingleShotTime)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @Warmup(iterations = 1)
    @Measurement(iterations = 3)
    public ByteLevelBpeTokenizer bpeTrain32k() {
        return BpeTrainer.train(text, 32000, List.of("<|endoftext|>"));
    }
}
