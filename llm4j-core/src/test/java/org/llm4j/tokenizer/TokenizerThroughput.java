// Encode throughput of our GPT-2 tokenizer and JTokkit's r50k_base on tiny Shakespeare, one thread.
// A measurement to run by hand, not a test (the JMH figures for BENCHMARKS.md live in llm4j-bench):
//   java -cp <test classpath> org.llm4j.tokenizer.TokenizerThroughput [mirror] [repeats]
package org.llm4j.tokenizer;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

public final class TokenizerThroughput {
    public static void main(String[] args) throws Exception {
        Path mirror = Path.of(args.length > 0 ? args[0] : System.getenv().getOrDefault("LLM4J_DATA_MIRROR", "../shared/data"));
        int repeats = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        String text = Files.readString(mirror.resolve("tinyshakespeare/input.txt"));
        double mb = text.getBytes(StandardCharsets.UTF_8).length / 1e6;
        Path tokJson = mirror.resolve("gpt2-tokenizer/tokenizer.json");
        ByteLevelBpeTokenizer ours = ByteLevelBpeTokenizer.load(tokJson);
        Encoding r50k = Encodings.newDefaultEncodingRegistry().getEncoding(EncodingType.R50K_BASE);
        if (!Arrays.equals(ours.encodeOrdinary(text), r50k.encodeOrdinary(text).toArray())) throw new AssertionError("ids differ");
        System.out.printf("java %s, %s, %d cores; tiny Shakespeare %.3f MB x %d, one thread%n",
                System.getProperty("java.version"), System.getProperty("os.arch"), Runtime.getRuntime().availableProcessors(), mb, repeats);

        // Cold: a fresh tokenizer, so its piece cache starts empty (what one call on new text sees).
        // Each figure is the best of several rounds: the machine may be busy with other work.
        double coldBest = 0;
        for (int i = 0; i < 6; i++) {
            ByteLevelBpeTokenizer fresh = ByteLevelBpeTokenizer.load(tokJson);
            long t0 = System.nanoTime();
            fresh.encodeOrdinary(text);
            coldBest = Math.max(coldBest, mb / ((System.nanoTime() - t0) / 1e9));
        }
        double oursBest = 0, theirsBest = 0;
        long sink = 0;
        for (int round = 0; round < 5; round++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < repeats; i++) sink += ours.encodeOrdinary(text).length;
            oursBest = Math.max(oursBest, mb * repeats / ((System.nanoTime() - t0) / 1e9));
            t0 = System.nanoTime();
            for (int i = 0; i < repeats; i++) sink += r50k.encodeOrdinary(text).size();
            theirsBest = Math.max(theirsBest, mb * repeats / ((System.nanoTime() - t0) / 1e9));
        }
        System.out.printf("llm4j ByteLevelBpeTokenizer: %.1f MB/s (piece cache warm), %.1f MB/s (cache cold, first pass)%n", oursBest, coldBest);
        System.out.printf("JTokkit r50k_base:           %.1f MB/s%n", theirsBest);
        System.out.printf("(checksum %d)%n", sink);
    }
}
