// `llm4j data prepare|stats`: corpus files → cleaned documents → token shards (train/ and val/), and their statistics.
package org.llm4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.llm4j.data.CorpusReader;
import org.llm4j.data.CorpusStats;
import org.llm4j.data.ShardSet;
import org.llm4j.data.TokenShard;
import org.llm4j.io.AtomicFiles;
import org.llm4j.tokenizer.ByteLevelBpeTokenizer;
import org.llm4j.tokenizer.Tokenizer;
import org.llm4j.util.Progress;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "data", mixinStandardHelpOptions = true, description = "Prepare token shards from a corpus, and inspect them.",
        subcommands = {DataCommand.Prepare.class, DataCommand.Stats.class, DataCommand.Synth.class})
public class DataCommand implements Runnable {
    @Spec CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "prepare", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Read, clean, split and tokenize a corpus into OUT/train/*.tok and OUT/val/*.tok (memory-mapped by 'llm4j train --shards OUT'),",
                    "with OUT/tokenizer.json and OUT/stats.json. Documents are separated by <|endoftext|> when the tokenizer has it."})
    static class Prepare implements Callable<Integer> {
        @Spec CommandSpec spec;
        @Mixin CorpusOptionsMixin corpus = new CorpusOptionsMixin();
        @Option(names = "--tokenizer", required = true, paramLabel = "PATH", description = "Tokenizer (see 'llm4j tokenizer info').")
        Path tokenizer;
        @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder.")
        Path out;
        @Option(names = "--val-fraction", defaultValue = "0.1", description = "Fraction of documents for validation (a stable hash split). Default: ${DEFAULT-VALUE}.")
        double valFraction;
        @Option(names = "--shard-tokens", defaultValue = "100000000", description = "Tokens per shard file. Default: ${DEFAULT-VALUE}.")
        long shardTokens;

        @Override
        public Integer call() throws Exception {
            if (!(valFraction >= 0 && valFraction < 1)) throw new IllegalArgumentException("--val-fraction must be in [0, 1), got " + valFraction);
            if (shardTokens < 1) throw new IllegalArgumentException("--shard-tokens must be positive, got " + shardTokens);
            Tokenizer tok = Tokenizer.load(tokenizer);
            var options = corpus.options(valFraction);
            List<Path> files = corpus.files();
            if (files.isEmpty()) throw new IllegalArgumentException("--data matched no files");
            int eot = tok instanceof ByteLevelBpeTokenizer b && b.specialTokens().containsKey("<|endoftext|>") ? b.specialTokens().get("<|endoftext|>") : -1;
            Files.createDirectories(out);
            try (ShardWriter train = new ShardWriter(out.resolve("train"), tok.vocabSize(), shardTokens);
                 ShardWriter val = new ShardWriter(out.resolve("val"), tok.vocabSize(), shardTokens);
                 Progress bar = Progress.start("prepare", CorpusReader.totalBytes(files), "B")) {
                long t0 = System.nanoTime();
                long[] docs = {0};
                CorpusStats stats = new CorpusReader(options).read(files, doc -> {
                    ShardWriter w = doc.validation() ? val : train;
                    w.append(tok.encode(doc.text()));
                    if (eot >= 0) w.append(new int[]{eot});
                    if (++docs[0] % 1000 == 0) {
                        double secs = (System.nanoTime() - t0) / 1e9;
                        bar.setExtra(String.format("%,d docs | %,.0f tok/s", docs[0], (train.total + val.total) / secs));
                    }
                }, bar);
                train.commit();
                val.commit();
                ObjectNode s = new ObjectMapper().createObjectNode();
                s.put("files", stats.files()).put("bytes_read", stats.bytesRead()).put("documents_read", stats.documentsRead())
                        .put("dropped_short", stats.droppedShort()).put("dropped_duplicate", stats.droppedDuplicate())
                        .put("train_documents", stats.trainDocuments()).put("validation_documents", stats.validationDocuments())
                        .put("kept_bytes", stats.keptBytes()).put("train_tokens", train.total).put("validation_tokens", val.total)
                        .put("vocab_size", tok.vocabSize());
                AtomicFiles.writeString(out.resolve("stats.json"), s.toPrettyString());
                AtomicFiles.writeString(out.resolve("tokenizer.json"), tok.toJson());
                PrintWriter pw = spec.commandLine().getOut();
                pw.printf("%,d documents read (%,d too short, %,d duplicates dropped); train %,d documents / %,d tokens in %d shards; "
                                + "validation %,d documents / %,d tokens; %.3f tokens per byte%n", stats.documentsRead(), stats.droppedShort(),
                        stats.droppedDuplicate(), stats.trainDocuments(), train.total, train.shards, stats.validationDocuments(), val.total,
                        (train.total + val.total) / (double) Math.max(1, stats.keptBytes()));
                pw.printf("wrote %s (train/, val/, tokenizer.json, stats.json)%n", out);
            }
            return 0;
        }
    }

    /** Rolls over to a new shard file every `perShard` tokens; each file is written atomically. */
    static final class ShardWriter implements AutoCloseable {
        final Path dir;
        final int vocab;
        final long perShard;
        TokenShard.Writer current;
        long total;
        int shards;

        ShardWriter(Path dir, int vocab, long perShard) throws java.io.IOException {
            this.dir = dir;
            this.vocab = vocab;
            this.perShard = perShard;
            Files.createDirectories(dir);
            try (var old = Files.list(dir)) { // a re-run replaces the previous shards
                for (Path p : old.filter(p -> p.getFileName().toString().endsWith(".tok")).toList()) Files.delete(p);
            }
        }

        void append(int[] ids) {
            int off = 0;
            while (off < ids.length) {
                if (current == null) current = TokenShard.writer(dir.resolve(String.format("shard-%05d.tok", shards)), vocab);
                int n = (int) Math.min(ids.length - off, perShard - current.count());
                current.append(ids, off, n);
                off += n;
                total += n;
                if (current.count() == perShard) commit();
            }
        }

        void commit() {
            if (current != null) {
                current.commit();
                current.close();
                current = null;
                shards++;
            }
        }

        @Override
        public void close() throws java.io.IOException {
            if (current != null) current.close(); // not committed: the temporary file is deleted
        }
    }

    @Command(name = "stats", mixinStandardHelpOptions = true, description = "Shards, tokens, vocabulary and width of a prepared folder; --check scans every id.")
    static class Stats implements Callable<Integer> {
        @Spec CommandSpec spec;
        @Option(names = "--shards", required = true, paramLabel = "DIR", description = "A folder written by 'data prepare', or a folder or file of .tok shards.")
        Path dir;
        @Option(names = "--check", description = "Read every id and verify it is below the vocabulary size.")
        boolean check;

        @Override
        public Integer call() throws Exception {
            PrintWriter w = spec.commandLine().getOut();
            List<Path> parts = Files.isDirectory(dir.resolve("train")) ? List.of(dir.resolve("train"), dir.resolve("val")) : List.of(dir);
            for (Path p : parts) {
                if (!Files.exists(p)) continue;
                try (ShardSet s = ShardSet.open(p)) {
                    if (check) s.check();
                    long bytes = 0;
                    for (TokenShard t : s.shards()) bytes += Files.size(t.file());
                    w.printf("%s: %d shards, %,d tokens, vocabulary %,d, %d-byte ids, %,d bytes on disk%s%n", p, s.shards().size(), s.size(),
                            s.vocabSize(), s.shards().isEmpty() ? 0 : s.shards().get(0).width(), bytes, check ? ", all ids valid" : "");
                }
            }
            return 0;
        }
    }

    @Command(name = "synth", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Write a deterministic synthetic English-like corpus of a given size (an order-2 word Markov chain over",
                    "tiny Shakespeare, the TinyStories sample and SST-2 from the data mirror, with a growing vocabulary, numbers,",
                    "mixed case and lines in other scripts): benchmark data for machines without internet. Not natural text."})
    static class Synth implements Callable<Integer> {
        @Spec CommandSpec spec;
        @Mixin Common.DataOptions data = new Common.DataOptions();
        @Option(names = "--size", defaultValue = "100MB", paramLabel = "N[KB|MB|GB]", description = "Bytes to write (decimal units; whole lines, so slightly more). Default: ${DEFAULT-VALUE}.")
        String size;
        @Option(names = "--seed", defaultValue = "1", description = "Sampling seed: the same seed and sources give the same bytes. Default: ${DEFAULT-VALUE}.")
        long seed;
        @Option(names = "--from", split = ",", paramLabel = "FILE", description = "UTF-8 source texts instead of the mirror's three corpora.")
        List<Path> from;
        @Option(names = "--out", required = true, paramLabel = "FILE", description = "Output file (written atomically).")
        Path out;

        @Override
        public Integer call() throws Exception {
            long bytes = parseSize(size);
            List<String> sources;
            if (from != null && !from.isEmpty()) {
                sources = new java.util.ArrayList<>();
                for (Path p : from) sources.add(org.llm4j.data.TextLoader.read(p));
            } else {
                Path mirror = data.store().mirror().orElseThrow(() -> new IllegalArgumentException(
                        "data synth needs --mirror DIR (or $LLM4J_DATA_MIRROR) holding tinyshakespeare/, tinystories-sample/ and sst2/, or --from FILE,..."));
                sources = org.llm4j.data.SyntheticCorpus.mirrorSources(mirror);
            }
            long t0 = System.nanoTime();
            var gen = new org.llm4j.data.SyntheticCorpus(sources);
            long[] written = {0};
            try (Progress bar = Progress.start("synth", bytes, "B")) {
                AtomicFiles.write(out, os -> written[0] = gen.generate(bytes, seed, os, bar));
            }
            spec.commandLine().getOut().printf("wrote %s: %,d bytes (seed %d, %,d source words) in %.1f s%n", out, written[0], seed,
                    gen.sourceVocabulary(), (System.nanoTime() - t0) / 1e9);
            return 0;
        }

        static long parseSize(String s) {
            var m = java.util.regex.Pattern.compile("(?i)\\s*(\\d+(?:\\.\\d+)?)\\s*(B|KB|MB|GB)?\\s*").matcher(s);
            if (!m.matches()) throw new IllegalArgumentException("--size: expected a number with an optional KB, MB or GB, got '" + s + "'");
            double n = Double.parseDouble(m.group(1));
            String unit = m.group(2) == null ? "B" : m.group(2).toUpperCase(java.util.Locale.ROOT);
            long mult = switch (unit) { case "KB" -> 1_000L; case "MB" -> 1_000_000L; case "GB" -> 1_000_000_000L; default -> 1L; };
            long v = (long) (n * mult);
            if (v < 1 || v > (1L << 40)) throw new IllegalArgumentException("--size must be between 1 byte and 1 TB, got '" + s + "'");
            return v;
        }
    }
}
