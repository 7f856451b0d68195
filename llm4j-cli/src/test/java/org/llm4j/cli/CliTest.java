// The command line end to end: help, train → generate, quickstart on the mirror, and one-line errors.
package org.llm4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.llm4j.util.Progress;

class CliTest {
    record Run(int code, String out, String err) {}

    @BeforeAll
    static void quiet() {
        Progress.setEnabled(false);
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void helpListsEveryCommand() {
        Run r = run("--help");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("quickstart", "train", "generate", "bench");
        for (String c : new String[]{"quickstart", "train", "generate", "bench"}) {
            Run h = run(c, "--help");
            assertThat(h.code()).as(c).isZero();
            assertThat(h.out()).as(c).contains("Usage: llm4j " + c);
        }
    }

    @Test
    void badOptionsAndFilesGetOneLineAndExitCode2(@TempDir Path dir) {
        Run r = run("train", "--max-iters", "many");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--max-iters").doesNotContain("Exception").doesNotContain("\tat ");
        Run g = run("generate", "--model", dir.resolve("nope").toString());
        assertThat(g.code()).isEqualTo(2);
        assertThat(g.err()).contains("nope").doesNotContain("\tat ");
        assertThat(g.err().lines().count()).isEqualTo(1);
        Run m = run("train", "--model", "transformerXL", "--data", "no-such-corpus");
        assertThat(m.code()).isEqualTo(2);
        assertThat(m.err()).contains("--model");
        Run d = run("train", "--data", "no-such-corpus", "--offline");
        assertThat(d.code()).isEqualTo(2);
        assertThat(d.err()).contains("no-such-corpus").doesNotContain("\tat ");
        Run b = run("bench", "everything");
        assertThat(b.code()).isEqualTo(2);
        Run lr = run("train", "--data", "no-such-corpus", "--lr", "-1", "--out", dir.toString());
        assertThat(lr.code()).isEqualTo(2);
        assertThat(lr.err()).contains("learning rate");
    }

    @Test
    void trainThenGenerateFromTheSavedFolder(@TempDir Path dir) throws Exception {
        Path text = dir.resolve("corpus.txt");
        Files.writeString(text, "to be or not to be, that is the question. ".repeat(80));
        Path out = dir.resolve("run");
        Run t = run("train", "--data", text.toString(), "--out", out.toString(), "--n-layer", "1", "--n-head", "2", "--n-embd", "16",
                "--block-size", "16", "--batch-size", "4", "--max-iters", "30", "--eval-interval", "15", "--eval-iters", "2", "--sample-chars", "20");
        assertThat(t.code()).as(t.err()).isZero();
        assertThat(t.out()).contains("step 15:", "step 30:", "val loss", "--- sample ---");
        assertThat(out.resolve("model/config.json")).exists();
        Run g = run("generate", "--model", out.toString(), "--prompt", "to be", "--max-new-tokens", "25", "--seed", "3");
        assertThat(g.code()).as(g.err()).isZero();
        String line = g.out().stripTrailing();
        assertThat(line).startsWith("to be");
        assertThat(line.codePointCount(0, line.length())).isEqualTo(5 + 25);
        assertThat(run("generate", "--model", out.toString(), "--prompt", "to be", "--max-new-tokens", "25", "--seed", "3").out()).isEqualTo(g.out());
        Run resumed = run("train", "--data", text.toString(), "--out", out.toString(), "--max-iters", "40", "--eval-interval", "10",
                "--eval-iters", "2", "--batch-size", "4", "--block-size", "16", "--sample-chars", "0", "--resume");
        assertThat(resumed.code()).as(resumed.err()).isZero();
        assertThat(resumed.out()).contains("resuming", "step 40:").doesNotContain("step 30:");
        Run unknownChar = run("generate", "--model", out.toString(), "--prompt", "XYZ");
        assertThat(unknownChar.code()).isEqualTo(2);
        assertThat(unknownChar.err()).contains("'X'");
    }

    @Test
    void quickstartRunsOnTheMirroredCorpus(@TempDir Path dir) {
        String mirror = System.getProperty("llm4j.data.mirror", "");
        assumeTrue(!mirror.isBlank() && !mirror.startsWith("${") && Files.isDirectory(Path.of(mirror)),
                "set LLM4J_DATA_MIRROR to ../shared/data (bin/test does) to run quickstart offline");
        Run r = run("quickstart", "--mirror", mirror, "--offline", "--max-iters", "4", "--out", dir.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("1,115,394 characters", "vocabulary 65", "809,856 parameters", "step 4:", "--- sample ---");
        assertThat(dir.resolve("loss.png")).exists();
    }

    @Test
    void tokenizerInfoEncodeDecode(@TempDir Path dir) throws Exception {
        String mirror = System.getProperty("llm4j.data.mirror", "");
        assumeTrue(!mirror.isBlank() && !mirror.startsWith("${") && Files.isDirectory(Path.of(mirror)),
                "set LLM4J_DATA_MIRROR to ../shared/data (bin/test does) for the GPT-2 tokenizer files");
        Path gpt2 = Path.of(mirror, "gpt2-tokenizer");
        Run info = run("tokenizer", "info", "--tokenizer", gpt2.toString());
        assertThat(info.code()).as(info.err()).isZero();
        assertThat(info.out()).contains("byte-level BPE", "50,257");
        Run orig = run("tokenizer", "info", "--tokenizer", gpt2.resolve("encoder.json").toString()); // OpenAI's form, found by content
        assertThat(orig.out()).contains("byte-level BPE", "50,257");
        Run enc = run("tokenizer", "encode", "--tokenizer", gpt2.resolve("tokenizer.json").toString(), "--text", "Hello world");
        assertThat(enc.out().strip()).isEqualTo("15496 995"); // GPT-2's ids
        Run dec = run("tokenizer", "decode", "--tokenizer", gpt2.toString(), "--ids", "15496, 995");
        assertThat(dec.out().strip()).isEqualTo("Hello world");
        Run bad = run("tokenizer", "decode", "--tokenizer", gpt2.toString(), "--ids", "15496 x");
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err()).contains("'x'");
        Run missing = run("tokenizer", "info", "--tokenizer", dir.resolve("none.json").toString());
        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.err()).contains("none.json");

        // train a small GPT on BPE tokens through --tokenizer
        Path text = dir.resolve("corpus.txt");
        Files.writeString(text, "to be or not to be, that is the question. ".repeat(200));
        Run t = run("train", "--data", text.toString(), "--tokenizer", gpt2.toString(), "--out", dir.resolve("run").toString(),
                "--n-layer", "1", "--n-head", "1", "--n-embd", "8", "--block-size", "8", "--batch-size", "2", "--max-iters", "2",
                "--eval-interval", "2", "--eval-iters", "1", "--sample-chars", "5");
        assertThat(t.code()).as(t.err()).isZero();
        assertThat(t.out()).contains("vocabulary 50257", "step 2:");
    }

    @Test
    void tokenizerTrainThenPrepareShardsThenTrainOnThem(@TempDir Path dir) throws Exception {
        Path corpus = dir.resolve("docs.jsonl.gz");
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 300; i++) {
            sb.append("{\"id\": ").append(i).append(", \"text\": \"Document ").append(i % 50)
                    .append(": the cat sat on the mat, and the dog sat on the log.\"}\n");
        }
        try (var out = new java.util.zip.GZIPOutputStream(Files.newOutputStream(corpus))) {
            out.write(sb.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        Path tokJson = dir.resolve("tok.json");
        Run tt = run("tokenizer", "train", "--data", corpus.toString(), "--vocab-size", "300", "--out", tokJson.toString());
        assertThat(tt.code()).as(tt.err()).isZero();
        assertThat(tt.out()).contains("bpe tokenizer of 300 tokens on 50 documents"); // 300 lines, 50 distinct
        Run info = run("tokenizer", "info", "--tokenizer", tokJson.toString());
        assertThat(info.out()).contains("byte-level BPE", "<|endoftext|>");

        Path prepared = dir.resolve("prepared");
        Run prep = run("data", "prepare", "--data", corpus.toString(), "--tokenizer", tokJson.toString(), "--out", prepared.toString(),
                "--val-fraction", "0.2", "--shard-tokens", "200");
        assertThat(prep.code()).as(prep.err()).isZero();
        assertThat(prep.out()).contains("300 documents read", "250 duplicates dropped");
        assertThat(prepared.resolve("train/shard-00000.tok")).exists();
        assertThat(prepared.resolve("val")).isDirectory();
        Run stats = run("data", "stats", "--shards", prepared.toString(), "--check");
        assertThat(stats.code()).as(stats.err()).isZero();
        assertThat(stats.out()).contains("vocabulary 300", "2-byte ids", "all ids valid");

        Path runDir = dir.resolve("run");
        String[] trainArgs = {"train", "--shards", prepared.toString(), "--out", runDir.toString(), "--n-layer", "1", "--n-head", "1",
                "--n-embd", "8", "--block-size", "8", "--batch-size", "2", "--max-iters", "4", "--eval-interval", "2", "--eval-iters", "1",
                "--sample-chars", "5"};
        Run t = run(trainArgs);
        assertThat(t.code()).as(t.err()).isZero();
        assertThat(t.out()).contains("vocabulary 300", "step 4:");
        Run g = run("generate", "--model", runDir.toString(), "--prompt", "the cat", "--max-new-tokens", "5");
        assertThat(g.code()).as(g.err()).isZero();
        assertThat(g.out()).startsWith("the cat");

        Run noShards = run("train", "--shards", dir.resolve("nothing").toString(), "--out", dir.resolve("r2").toString());
        assertThat(noShards.code()).isEqualTo(2);
        assertThat(noShards.err()).contains("tokenizer.json").contains("data prepare");
        Run badType = run("tokenizer", "train", "--data", corpus.toString(), "--type", "unigram", "--out", dir.resolve("x.json").toString());
        assertThat(badType.code()).isEqualTo(2);
        assertThat(badType.err()).contains("--type");
    }

    @Test
    void dataSynthIsDeterministicAndTokenizerTrainStreamsItAndNamesBadBytes(@TempDir Path dir) throws Exception {
        Path src = dir.resolve("src.txt");
        Files.writeString(src, "The cat sat on the mat.\nThe dog sat on the log, and the cat ran.\n\nA bird sang.\n");
        Path a = dir.resolve("a.txt"), b = dir.resolve("b.txt");
        Run s1 = run("data", "synth", "--from", src.toString(), "--size", "30KB", "--seed", "3", "--out", a.toString());
        assertThat(s1.code()).as(s1.err()).isZero();
        assertThat(s1.out()).contains("wrote " + a);
        assertThat(run("data", "synth", "--from", src.toString(), "--size", "30KB", "--seed", "3", "--out", b.toString()).code()).isZero();
        assertThat(Files.size(a)).isGreaterThanOrEqualTo(30_000);
        assertThat(Files.mismatch(a, b)).isEqualTo(-1L);
        Run badSize = run("data", "synth", "--from", src.toString(), "--size", "lots", "--out", b.toString());
        assertThat(badSize.code()).isEqualTo(2);
        assertThat(badSize.err()).contains("--size");

        Path tok = dir.resolve("tok.json");
        Run tt = run("tokenizer", "train", "--data", a.toString(), "--vocab-size", "400", "--out", tok.toString());
        assertThat(tt.code()).as(tt.err()).isZero();
        assertThat(tt.out()).contains("bpe tokenizer of 400 tokens on 1 documents");
        var inMemory = org.llm4j.tokenizer.BpeTrainer.train(Files.readString(a), 400, java.util.List.of("<|endoftext|>"));
        assertThat(Files.readString(tok)).isEqualTo(inMemory.toJson());

        Path bad = dir.resolve("bad.txt");
        Files.write(bad, new byte[] {'o', 'k', '\n', 'x', (byte) 0xFF, '\n'});
        Run badBytes = run("tokenizer", "train", "--data", bad.toString(), "--vocab-size", "300", "--out", dir.resolve("t2.json").toString());
        assertThat(badBytes.code()).isEqualTo(2);
        assertThat(badBytes.err()).contains(bad.toString(), "byte offset 4", "line 2");
        assertThat(dir.resolve("t2.json")).doesNotExist();
    }

    @Test
    void convertTheRealPyTorchCharLstmThenGenerate(@TempDir Path dir) {
        String mirror = System.getProperty("llm4j.data.mirror", "");
        assumeTrue(!mirror.isBlank() && !mirror.startsWith("${") && Files.isDirectory(Path.of(mirror)),
                "set LLM4J_DATA_MIRROR to ../shared/data (bin/test does) for the trained char-LSTM");
        Path src = Path.of(mirror, "charlstm-shakespeare");
        Run c = run("convert", "--from", "pytorch-lstm", "--weights", src.resolve("model.safetensors").toString(),
                "--vocab", src.resolve("vocab.json").toString(), "--out", dir.toString());
        assertThat(c.code()).as(c.err()).isZero();
        assertThat(c.out()).contains("hiddenSize=128", "numLayers=2");
        Run g = run("generate", "--model", dir.toString(), "--prompt", "ROMEO:", "--max-new-tokens", "40", "--greedy");
        assertThat(g.code()).as(g.err()).isZero();
        assertThat(g.out()).startsWith("ROMEO:");
        Run bad = run("convert", "--from", "pytorch-lstm", "--weights", src.resolve("vocab.json").toString(),
                "--vocab", src.resolve("vocab.json").toString(), "--out", dir.resolve("x").toString());
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err()).contains("vocab.json");
    }

    @Test
    void benchmarksRunTinyConfigurations() {
        Run t = run("bench", "train", "--n-layer", "1", "--n-embd", "8", "--n-head", "2", "--block-size", "8", "--batch-size", "2",
                "--iters", "2", "--warmup", "1");
        assertThat(t.code()).as(t.err()).isZero();
        assertThat(t.out()).contains("machine:", "tokens/s", "2 data-parallel shards");
        Run g = run("bench", "generate", "--n-layer", "1", "--n-embd", "8", "--n-head", "2", "--block-size", "16", "--iters", "8", "--warmup-runs", "1");
        assertThat(g.code()).as(g.err()).isZero();
        assertThat(g.out()).contains("ms/token");
        Run m = run("bench", "matmul", "--threads", "1", "--ops", "NN", "--shapes", "8x8x8", "--reps", "1", "--warmup-ms", "1");
        assertThat(m.code()).as(m.err()).isZero();
        Run bad = run("bench", "train", "--shapes", "8x8x8");
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err()).contains("unknown options");
    }
}
