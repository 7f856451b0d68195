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
        assertThat(r.out()).contains("quickstart", "train", "generate", "serve", "bench");
        for (String c : new String[]{"quickstart", "train", "generate", "serve", "bench"}) {
            Run h = run(c, "--help");
            assertThat(h.code()).as(c).isZero();
            assertThat(h.out()).as(c).contains("Usage: llm4j " + c);
        }
    }

    @Test
    void theStartUpCacheTrainingRunCompletes() {
        // bin/llm4j records the AOT cache with this hidden command and drops the cache silently
        // when it fails: GPT through a folder, a tiny Llama through Q8_0 and F32 GGUF files.
        Run r = run("aot-train");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).doesNotContain("Exception");
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
        Run s = run("serve", "--model", dir.resolve("nope").toString());
        assertThat(s.code()).isEqualTo(2);
        assertThat(s.err()).contains("nope").doesNotContain("\tat ");
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
        // Hugging Face options: a batch of two prompts with beams and log-probabilities, and a stop string.
        Run beams = run("generate", "--model", out.toString(), "--prompt", "to be", "--prompt", "not", "--max-new-tokens", "6", "--greedy",
                "--num-beams", "3", "--num-return-sequences", "2", "--no-repeat-ngram-size", "3", "--logprobs");
        assertThat(beams.code()).as(beams.err()).isZero();
        assertThat(beams.out()).contains("--- prompt 0, sequence 0 (length, score ", "--- prompt 0, sequence 1 (", "--- prompt 1, sequence 1 (",
                "--- logprobs: token, logprob (model), processed logprob");
        assertThat(beams.out().lines().filter(l -> l.startsWith("--- logprobs"))).hasSize(4);
        String full = run("generate", "--model", out.toString(), "--prompt", "to be", "--max-new-tokens", "40", "--greedy").out();
        String stopAt = full.substring(8, 10);                       // two generated characters
        String expected = full.substring(0, full.indexOf(stopAt, 4) + 2); // the first occurrence the generated text completes
        Run stop = run("generate", "--model", out.toString(), "--prompt", "to be", "--max-new-tokens", "40", "--greedy", "--stop", stopAt);
        assertThat(stop.code()).as(stop.err()).isZero();
        assertThat(stop.out()).isEqualTo(expected + System.lineSeparator());
        assertThat(stop.err()).contains("finish: stop_string");
        // eos_token_id from the model folder's generation_config.json ends the sequence at that character
        Path genCfg = out.resolve("model/generation_config.json");
        int eos = org.llm4j.tokenizer.Tokenizer.load(out.resolve("model")).encode(full.substring(8, 9))[0];
        Files.writeString(genCfg, "{\"eos_token_id\": " + eos + ", \"bos_token_id\": null, \"transformers_version\": \"4.40.0\"}");
        Run ended = run("generate", "--model", out.toString(), "--prompt", "to be", "--max-new-tokens", "40", "--greedy");
        assertThat(ended.out()).isEqualTo(full.substring(0, full.indexOf(full.charAt(8), 5) + 1) + System.lineSeparator());
        assertThat(ended.err()).contains("finish: eos");
        Files.writeString(genCfg, "{\"top_p\": \"high\"}");
        Run badFile = run("generate", "--model", out.toString());
        assertThat(badFile.code()).isEqualTo(2);
        assertThat(badFile.err()).contains("generation_config.json", "top_p");
        Files.delete(genCfg);
        Run badStop = run("generate", "--model", out.toString(), "--early-stopping", "sometimes");
        assertThat(badStop.code()).isEqualTo(2);
        assertThat(badStop.err()).contains("early_stopping");
        Run resumed = run("train", "--data", text.toString(), "--out", out.toString(), "--max-iters", "40", "--eval-interval", "10",
                "--eval-iters", "2", "--batch-size", "4", "--block-size", "16", "--sample-chars", "0", "--resume");
        assertThat(resumed.code()).as(resumed.err()).isZero();
        assertThat(resumed.out()).contains("resuming", "step 40:").doesNotContain("step 30:");
        Run unknownChar = run("generate", "--model", out.toString(), "--prompt", "XYZ");
        assertThat(unknownChar.code()).isEqualTo(2);
        assertThat(unknownChar.err()).contains("'X'");
    }

    @Test
    void trainServesADashboardWhileItRuns(@TempDir Path dir) throws Exception {
        Path text = dir.resolve("corpus.txt");
        Files.writeString(text, "to be or not to be, that is the question. ".repeat(40));
        Run t = run("train", "--data", text.toString(), "--out", dir.resolve("run").toString(), "--n-layer", "1", "--n-head", "2", "--n-embd", "16",
                "--block-size", "16", "--batch-size", "2", "--max-iters", "3", "--eval-interval", "3", "--eval-iters", "1", "--sample-chars", "10",
                "--dashboard", "--dashboard-port", "0");
        assertThat(t.code()).as(t.err()).isZero();
        assertThat(t.out()).containsPattern("dashboard: http://127\\.0\\.0\\.1:[0-9]+/");
    }

    @Test
    void infoConvertAndFineTuneAModelFolder(@TempDir Path dir) throws Exception {
        Path text = dir.resolve("corpus.txt");
        Files.writeString(text, "to be or not to be, that is the question. ".repeat(80));
        Path run = dir.resolve("run");
        Run t = run("train", "--data", text.toString(), "--out", run.toString(), "--n-layer", "1", "--n-head", "2", "--n-embd", "16",
                "--block-size", "16", "--batch-size", "4", "--max-iters", "4", "--eval-interval", "4", "--eval-iters", "1", "--sample-chars", "0");
        assertThat(t.code()).as(t.err()).isZero();

        Run info = run("info", run.resolve("model").toString());
        assertThat(info.code()).as(info.err()).isZero();
        assertThat(info.out()).contains("GPT-2", "1 layers", "parameters:", "F32", "memory-mapped", "KV cache", "CharTokenizer");

        Path half = dir.resolve("half");
        Run c = run("convert", "--from", "hf", "--model", run.toString(), "--dtype", "bf16", "--out", half.toString());
        assertThat(c.code()).as(c.err()).isZero();
        assertThat(run("info", half.toString()).out()).contains("BF16");
        assertThat(run("generate", "--model", half.toString(), "--prompt", "to", "--max-new-tokens", "5").code()).isZero();

        Path fromCkpt = dir.resolve("from-ckpt");
        Run c2 = run("convert", "--from", "checkpoint", "--checkpoint", run.resolve("checkpoint.safetensors").toString(), "--out", fromCkpt.toString());
        assertThat(c2.code()).as(c2.err()).isZero();
        assertThat(Files.readAllBytes(fromCkpt.resolve("model.safetensors"))).isEqualTo(Files.readAllBytes(run.resolve("model/model.safetensors")));

        Path again = dir.resolve("again");
        Run c3 = run("convert", "--from", "hf", "--model", fromCkpt.toString(), "--to", "checkpoint", "--out", again.toString());
        assertThat(c3.code()).as(c3.err()).isZero();
        Run resumed = run("train", "--data", text.toString(), "--out", again.toString(), "--resume", "--max-iters", "2", "--eval-interval", "2",
                "--eval-iters", "1", "--batch-size", "4", "--block-size", "16", "--sample-chars", "0");
        assertThat(resumed.code()).as(resumed.err()).isZero();

        Path tuned = dir.resolve("tuned");
        Run ft = run("train", "--init-from", fromCkpt.toString(), "--data", text.toString(), "--out", tuned.toString(), "--max-iters", "3",
                "--eval-interval", "3", "--eval-iters", "1", "--batch-size", "2", "--block-size", "16", "--sample-chars", "0");
        assertThat(ft.code()).as(ft.err()).isZero();
        assertThat(ft.out()).contains("fine-tuning");
        assertThat(Files.readString(tuned.resolve("model/tokenizer.json"))).isEqualTo(Files.readString(fromCkpt.resolve("tokenizer.json")));
        assertThat(Files.readAllBytes(tuned.resolve("model/model.safetensors"))).isNotEqualTo(Files.readAllBytes(fromCkpt.resolve("model.safetensors")));

        Run tooLong = run("train", "--init-from", fromCkpt.toString(), "--data", text.toString(), "--out", tuned.toString(), "--block-size", "4096");
        assertThat(tooLong.code()).isEqualTo(2);
        assertThat(tooLong.err()).contains("--block-size 4096", "context length");
        Run badDtype = run("convert", "--from", "hf", "--model", fromCkpt.toString(), "--dtype", "q3", "--out", half.toString());
        assertThat(badDtype.err()).contains("--dtype");
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
    void benchmarksRunTinyConfigurations(@TempDir Path dir) {
        Run t = run("bench", "train", "--n-layer", "1", "--n-embd", "8", "--n-head", "2", "--block-size", "8", "--batch-size", "2",
                "--iters", "2", "--warmup", "1");
        assertThat(t.code()).as(t.err()).isZero();
        assertThat(t.out()).contains("machine:", "tokens/s", "2 data-parallel shards");
        Run g = run("bench", "generate", "--n-layer", "1", "--n-embd", "8", "--n-head", "2", "--block-size", "16", "--iters", "8", "--warmup-runs", "1");
        assertThat(g.code()).as(g.err()).isZero();
        assertThat(g.out()).contains("ms/token");
        Run m = run("bench", "matmul", "--threads", "1", "--ops", "NN", "--shapes", "8x8x8", "--reps", "1", "--warmup-ms", "1");
        assertThat(m.code()).as(m.err()).isZero();
        Run gemv = run("bench", "matmul", "--threads", "1", "--ops", "GEMV_Q4_0,GEMV_Q4_K", "--shapes", "1x256x8", "--reps", "1", "--warmup-ms", "1");
        assertThat(gemv.code()).as(gemv.err()).isZero();
        assertThat(gemv.out()).contains("Gweights/s", "GEMV_Q4_0", "GEMV_Q4_K");
        Run badOp = run("bench", "matmul", "--ops", "GEMV_Q5_K", "--reps", "1", "--warmup-ms", "1");
        assertThat(badOp.code()).isEqualTo(2);
        assertThat(badOp.err()).contains("unknown op GEMV_Q5_K");
        Run badK = run("bench", "matmul", "--threads", "1", "--ops", "GEMV_Q4_K", "--shapes", "1x96x8", "--reps", "1", "--warmup-ms", "1");
        assertThat(badK.code()).isEqualTo(2);
        assertThat(badK.err()).contains("K must be a multiple of 256, got 96");
        Run bad = run("bench", "train", "--shapes", "8x8x8");
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err()).contains("unknown options");
        Run badDtype = run("bench", "generate", "--model", "llama", "--n-layer", "1", "--n-embd", "32", "--n-head", "2",
                "--write-gguf", dir.resolve("x.gguf").toString(), "--dtype", "q5_k");
        assertThat(badDtype.code()).isEqualTo(2);
        assertThat(badDtype.err()).contains("--dtype must be one of").doesNotContain("--type");
        assertThat(dir.resolve("x.gguf")).doesNotExist();
    }

    @Test
    void classifyTrainsTheBagOfWordsBaselineOnASliceOfSst2(@TempDir Path dir) throws Exception {
        String mirror = System.getProperty("llm4j.data.mirror", "");
        assumeTrue(!mirror.isBlank() && !mirror.startsWith("${") && Files.isDirectory(Path.of(mirror, "sst2")), "SST-2 mirror not available");
        for (String f : new String[]{"train_part.tsv", "train_heldout.tsv", "glue_dev.tsv"}) {
            var lines = Files.readAllLines(Path.of(mirror, "sst2", f));
            Files.write(dir.resolve(f), lines.subList(0, 301));
        }
        Run r = run("classify", "train", "--data", dir.toString(), "--model", "bow", "--epochs", "1", "--batch-size", "32");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("Epoch 1/1", "10/10 [==============================]", "val_accuracy: ", "bow: ", "report set accuracy");
        Run missing = run("classify", "train", "--data", dir.resolve("nope").toString());
        assertThat(missing.code()).isNotZero();
        assertThat(missing.err()).contains("--data: ").contains("nope");
    }

    @Test
    void llama2cCheckpointGeneratesAndQuantizes(@TempDir Path dir) {
        String m = System.getProperty("llm4j.data.mirror", "");
        assumeTrue(!m.isBlank() && !m.startsWith("${") && Files.isDirectory(Path.of(m, "llama2c-stories260K")), "needs LLM4J_DATA_MIRROR");
        Path d = Path.of(m, "llama2c-stories260K");
        String bin = d.resolve("stories260K.bin").toString(), tok = d.resolve("tok512.bin").toString();
        Run g = run("generate", "--model", bin, "--tokenizer", tok, "--greedy", "--max-new-tokens", "20");
        assertThat(g.code()).as(g.err()).isZero();
        assertThat(g.out()).startsWith("Once upon a time, there was a little girl named Lily.");
        Path q = dir.resolve("s.gguf");
        Run qz = run("quantize", "--model", bin, "--tokenizer", tok, "--type", "q8_0", "--out", q.toString());
        assertThat(qz.code()).as(qz.err()).isZero();
        Run info = run("info", q.toString());
        assertThat(info.code()).as(info.err()).isZero();
        assertThat(info.out()).contains("Llama: 5 layers, 8 heads (4 key/value)", "Q8_0 31 tensors", "SentencePieceBpeTokenizer");
        Run gq = run("generate", "--model", q.toString(), "--prompt", "Lily", "--greedy", "--max-new-tokens", "5");
        assertThat(gq.code()).as(gq.err()).isZero();
        assertThat(gq.out()).startsWith("Lily");
        Run bad = run("quantize", "--model", bin, "--type", "q5_k", "--out", q.toString());
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err()).contains("--type");
    }

    @Test
    void gpt2GgufIsWrittenReadQuantizedAndGenerates(@TempDir Path dir) {
        Path f = dir.resolve("g.gguf"), q = dir.resolve("g-q8.gguf");
        Run w = run("bench", "generate", "--model", "gpt", "--n-layer", "2", "--n-head", "2", "--n-embd", "64", "--vocab", "300",
                "--block-size", "32", "--write-gguf", f.toString());
        assertThat(w.code()).as(w.err()).isZero();
        Run qz = run("quantize", "--model", f.toString(), "--type", "q8_0", "--out", q.toString());
        assertThat(qz.code()).as(qz.err()).isZero();
        Run info = run("info", q.toString());
        assertThat(info.code()).as(info.err()).isZero();
        assertThat(info.out()).contains("Q8_0", "ByteLevelBpeTokenizer");
        Run g = run("generate", "--model", q.toString(), "--prompt", "ab", "--greedy", "--max-new-tokens", "5");
        assertThat(g.code()).as(g.err()).isZero();
        assertThat(g.out()).startsWith("ab");
        // the prompt as ids (for comparisons with other engines), printed back with --print-ids
        Run ids = run("generate", "--model", q.toString(), "--prompt-ids", "5,6,7", "--greedy", "--max-new-tokens", "3", "--print-ids");
        assertThat(ids.code()).as(ids.err()).isZero();
        assertThat(ids.out()).contains("prompt ids: [5,6,7]").containsPattern("(?m)^ids: \\[\\d+(,\\d+){0,2}\\]$");
        Run outside = run("generate", "--model", q.toString(), "--prompt-ids", "5,300", "--max-new-tokens", "1");
        assertThat(outside.code()).isEqualTo(2);
        assertThat(outside.err()).contains("--prompt-ids 300 is outside the vocabulary [0, 300)");
        Run both = run("generate", "--model", q.toString(), "--prompt-ids", "5", "--prompt", "ab");
        assertThat(both.code()).isEqualTo(2);
        assertThat(both.err()).contains("give --prompt or --prompt-ids, not both");
        Run notInt = run("generate", "--model", q.toString(), "--prompt-ids", "5,x");
        assertThat(notInt.code()).isEqualTo(2);
        assertThat(notInt.err()).contains("--prompt-ids");
        // serve takes the same model arguments: the GGUF loads, and only the port in use is refused
        try (java.net.ServerSocket busy = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Run s = run("serve", "--model", q.toString(), "--port", String.valueOf(busy.getLocalPort()));
            assertThat(s.code()).isEqualTo(2);
            assertThat(s.err()).contains("cannot serve on 127.0.0.1:" + busy.getLocalPort()).doesNotContain("g-q8.gguf");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
