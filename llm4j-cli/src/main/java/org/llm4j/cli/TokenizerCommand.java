// `llm4j tokenizer info|encode|decode`: inspect a tokenizer and convert between text and ids.
package org.llm4j.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.List;
import org.llm4j.data.CorpusReader;
import org.llm4j.io.AtomicFiles;
import org.llm4j.tokenizer.BpeTrainer;
import org.llm4j.tokenizer.ByteLevelBpeTokenizer;
import org.llm4j.util.Progress;
import org.llm4j.tokenizer.CharTokenizer;
import org.llm4j.tokenizer.Tokenizer;
import org.llm4j.tokenizer.WordTokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "tokenizer", mixinStandardHelpOptions = true,
        description = "Inspect tokenizers and convert text to ids and back.",
        subcommands = {TokenizerCommand.Train.class, TokenizerCommand.Info.class, TokenizerCommand.Encode.class, TokenizerCommand.Decode.class})
public class TokenizerCommand implements Runnable {
    @Spec CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
            description = "Train a tokenizer on a corpus and write it as tokenizer.json (byte-level BPE in Hugging Face's format).")
    static class Train implements Callable<Integer> {
        @Spec CommandSpec spec;
        @picocli.CommandLine.Mixin CorpusOptionsMixin corpus = new CorpusOptionsMixin();
        @Option(names = "--type", defaultValue = "bpe", paramLabel = "bpe|word|char", description = "Tokenizer type. Default: ${DEFAULT-VALUE}.")
        String type;
        @Option(names = "--vocab-size", defaultValue = "32000", description = "Vocabulary size (bpe, word). Default: ${DEFAULT-VALUE}.")
        int vocabSize;
        @Option(names = "--special", split = ",", description = "Special tokens (bpe). Default: <|endoftext|>.")
        List<String> specials = List.of("<|endoftext|>");
        @Option(names = "--min-frequency", defaultValue = "0", description = "bpe: stop when the best pair is rarer; word: rarer words become <unk>. Default: ${DEFAULT-VALUE}.")
        int minFrequency;
        @Option(names = "--stop-words", paramLabel = "english|FILE", description = "word: drop English stop words, or those listed one per line in FILE.")
        String stopWords;
        @Option(names = "--punctuation", defaultValue = "split", paramLabel = "remove|split|keep", description = "word: punctuation handling. Default: ${DEFAULT-VALUE}.")
        String punctuation;
        @Option(names = "--keep-case", description = "word: do not lower-case.")
        boolean keepCase;
        @Option(names = "--out", required = true, paramLabel = "FILE", description = "Where to write tokenizer.json.")
        Path out;

        @Override
        public Integer call() throws Exception {
            List<Path> files = corpus.files();
            if (files.isEmpty()) throw new IllegalArgumentException("--data matched no files");
            if (!List.of("bpe", "word", "char").contains(type)) throw new IllegalArgumentException("--type must be bpe, word or char, got '" + type + "'");
            long t0 = System.nanoTime();
            long[] docCount = {0};
            Tokenizer tok;
            if (type.equals("bpe")) {
                // Streamed: the corpus is read block by block while pre-tokens are counted on all
                // cores; memory holds the distinct pre-tokens and a few blocks, not the corpus.
                var reader = new CorpusReader(corpus.options(0));
                try (Progress bar = Progress.start("BPE count", CorpusReader.totalBytes(files), "B")) {
                    tok = BpeTrainer.train(sink -> docCount[0] = reader.readPieces(files, (piece, end) -> {
                                sink.accept(piece, end);
                                if (end && ++docCount[0] % 1000 == 0) bar.setExtra(String.format("%,d docs", docCount[0]));
                            }, bar).keptDocuments(),
                            BpeTrainer.Config.of(vocabSize, specials).withMinFrequency(minFrequency).withProgress(true));
                }
            } else {
                List<String> docs = new java.util.ArrayList<>();
                try (Progress bar = Progress.start("read", CorpusReader.totalBytes(files), "B")) {
                    new CorpusReader(corpus.options(0)).read(files, d -> docs.add(d.text()), bar);
                }
                docCount[0] = docs.size();
                tok = switch (type) {
                    case "char" -> CharTokenizer.fit(String.join("\n", docs));
                    case "word" -> {
                        WordTokenizer.Punctuation p;
                        try {
                            p = WordTokenizer.Punctuation.valueOf(punctuation.toUpperCase(java.util.Locale.ROOT));
                        } catch (IllegalArgumentException e) {
                            throw new IllegalArgumentException("--punctuation must be remove, split or keep, got '" + punctuation + "'");
                        }
                        java.util.Set<String> stop = stopWords == null ? java.util.Set.of()
                                : stopWords.equals("english") ? WordTokenizer.ENGLISH_STOP_WORDS
                                : java.util.Set.copyOf(java.nio.file.Files.readAllLines(Path.of(stopWords)).stream().map(String::strip).filter(x -> !x.isEmpty()).toList());
                        yield WordTokenizer.fit(docs, new WordTokenizer.Options(!keepCase, "NFKC", p, stop, Math.max(1, minFrequency), vocabSize));
                    }
                    default -> throw new IllegalArgumentException("--type must be bpe, word or char, got '" + type + "'");
                };
            }
            AtomicFiles.writeString(out, tok.toJson());
            spec.commandLine().getOut().printf("trained a %s tokenizer of %,d tokens on %,d documents in %.1f s; wrote %s%n", type, tok.vocabSize(),
                    docCount[0], (System.nanoTime() - t0) / 1e9, out);
            return 0;
        }
    }

    @Command(name = "info", mixinStandardHelpOptions = true, description = "Type, vocabulary size and special tokens of a tokenizer.")
    static class Info implements Callable<Integer> {
        @Spec CommandSpec spec;
        @Option(names = "--tokenizer", required = true, paramLabel = "PATH",
                description = "tokenizer.json (llm4j char/word or Hugging Face BPE), a folder, vocab.json + merges.txt, or encoder.json + vocab.bpe.")
        Path path;

        @Override
        public Integer call() throws Exception {
            Tokenizer t = Tokenizer.load(path);
            PrintWriter w = spec.commandLine().getOut();
            String type = switch (t) {
                case CharTokenizer c -> "character";
                case WordTokenizer wt -> "word (" + wt.options() + ")";
                case ByteLevelBpeTokenizer b -> "byte-level BPE (GPT-2 style), special tokens " + b.specialTokens();
                case org.llm4j.tokenizer.SentencePieceBpeTokenizer sp -> "SentencePiece BPE (Llama style), BOS " + sp.bosId() + ", EOS " + sp.eosId();
            };
            w.printf("%s: %s, vocabulary %,d%n", path, type, t.vocabSize());
            return 0;
        }
    }

    @Command(name = "encode", mixinStandardHelpOptions = true, description = "Print the ids of a text (space separated).")
    static class Encode implements Callable<Integer> {
        @Spec CommandSpec spec;
        @Option(names = "--tokenizer", required = true, paramLabel = "PATH", description = "See 'tokenizer info'.")
        Path path;
        @Option(names = "--text", description = "Text to encode.")
        String text;
        @Option(names = "--file", paramLabel = "FILE", description = "UTF-8 file to encode instead of --text.")
        Path file;
        @Option(names = "--show", description = "Also print each token's text.")
        boolean show;

        @Override
        public Integer call() throws Exception {
            if ((text == null) == (file == null)) throw new IllegalArgumentException("give exactly one of --text and --file");
            String input = text != null ? text : org.llm4j.data.TextLoader.read(file);
            Tokenizer t = Tokenizer.load(path);
            int[] ids = t.encode(input);
            PrintWriter w = spec.commandLine().getOut();
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < ids.length; i++) sb.append(i > 0 ? " " : "").append(ids[i]);
            w.println(sb);
            if (show) {
                for (int id : ids) w.printf("%d\t%s%n", id, printable(t.decode(new int[]{id})));
            }
            System.err.printf("%,d tokens, %,d characters%n", ids.length, input.length());
            return 0;
        }

        static String printable(String s) {
            return s.replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r");
        }
    }

    @Command(name = "decode", mixinStandardHelpOptions = true, description = "Print the text of ids.")
    static class Decode implements Callable<Integer> {
        @Spec CommandSpec spec;
        @Option(names = "--tokenizer", required = true, paramLabel = "PATH", description = "See 'tokenizer info'.")
        Path path;
        @Option(names = "--ids", required = true, description = "Ids separated by spaces or commas.")
        String ids;

        @Override
        public Integer call() throws Exception {
            Tokenizer t = Tokenizer.load(path);
            String[] parts = ids.trim().split("[\\s,]+");
            int[] out = new int[parts.length];
            for (int i = 0; i < parts.length; i++) {
                try {
                    out[i] = Integer.parseInt(parts[i]);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("--ids: '" + parts[i] + "' (item " + (i + 1) + ") is not an integer id");
                }
            }
            spec.commandLine().getOut().println(t.decode(out));
            return 0;
        }
    }

}
