// `llm4j generate`: continue one or several prompts from a trained model folder, with every Hugging
// Face generate() option; a single sampled or greedy sequence streams as it is generated.
package org.llm4j.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.llm4j.format.GenerationConfigFile;
import org.llm4j.format.ModelFiles;
import org.llm4j.generate.GenerationConfig;
import org.llm4j.generate.GenerationResult;
import org.llm4j.generate.GenerationResult.FinishReason;
import org.llm4j.generate.Generator;
import org.llm4j.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "generate", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Generate text from a model folder (config.json, model.safetensors, tokenizer.json).",
                "One sequence streams as it is generated; several prompts, --num-return-sequences or --num-beams print each sequence when done.",
                "Option names are Hugging Face generate()'s, with dashes."})
public class GenerateCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR|REPO|FILE", description = "Model folder, e.g. runs/quickstart/model (a run folder works too), a Hugging Face repository id such as gpt2 (downloaded into the cache once; LLM4J_OFFLINE=1 uses the cache only), a llama2.c checkpoint FILE.bin, or a GGUF FILE.gguf of architecture llama, qwen2 or gpt2 (F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q6_K; memory-mapped).")
    String model;
    @Option(names = "--tokenizer", paramLabel = "FILE", description = "With a llama2.c FILE.bin: its tokenizer.bin (llama2.c's -z). Default: tokenizer.bin beside the checkpoint.")
    Path tokenizer;
    @Option(names = "--prompt", paramLabel = "TEXT", description = "Text to continue; repeat for a batch of prompts. Default: a newline (nothing but BOS for a Llama tokenizer).")
    List<String> prompts = new ArrayList<>();
    @Option(names = "--prompt-ids", split = ",", paramLabel = "ID", description = "The prompt as token ids (comma-separated), instead of --prompt: no tokenizer in between, e.g. to compare with another engine.")
    List<Integer> promptIds = new ArrayList<>();
    @Option(names = "--print-ids", description = "After each sequence, print its prompt's and its generated token ids as JSON arrays on lines 'prompt ids: [...]' and 'ids: [...]'.")
    boolean printIds;
    @Option(names = "--max-new-tokens", description = "Tokens to generate after the prompt (max_new_tokens). Default: 500, or unset when --max-length is given.")
    Integer maxNewTokens;
    @Option(names = "--max-length", description = "Longest sequence, prompt included (max_length); used when --max-new-tokens is not given.")
    Integer maxLength;
    @Option(names = "--min-new-tokens", description = "Ban EOS until this many tokens are generated (min_new_tokens). Default: ${DEFAULT-VALUE}.", defaultValue = "0")
    int minNewTokens;
    @Option(names = "--greedy", description = "Do not sample (do_sample=false): greedy decoding, or beam search with --num-beams.")
    boolean greedy;
    @Option(names = "--temperature", description = "Sampling temperature. Default: ${DEFAULT-VALUE}.", defaultValue = "0.8")
    float temperature;
    @Option(names = "--top-k", description = "Keep the k most likely tokens; 0 = off. Default: ${DEFAULT-VALUE}.", defaultValue = "0")
    int topK;
    @Option(names = "--top-p", description = "Nucleus sampling mass; 1 = off. Default: ${DEFAULT-VALUE}.", defaultValue = "1.0")
    float topP;
    @Option(names = "--min-p", description = "Drop tokens below min-p x the top probability; 0 = off. Default: ${DEFAULT-VALUE}.", defaultValue = "0")
    float minP;
    @Option(names = "--typical-p", description = "Locally typical sampling mass; 1 = off. Default: ${DEFAULT-VALUE}.", defaultValue = "1.0")
    float typicalP;
    @Option(names = "--repetition-penalty", description = "CTRL repetition penalty; 1 = off. Default: ${DEFAULT-VALUE}.", defaultValue = "1.0")
    float repetitionPenalty;
    @Option(names = "--no-repeat-ngram-size", description = "No n-gram of this size occurs twice; 0 = off. Default: ${DEFAULT-VALUE}.", defaultValue = "0")
    int noRepeatNgramSize;
    @Option(names = "--num-beams", description = "Beam search width; 1 = off. Beam sampling unless --greedy is given (HF do_sample). Default: ${DEFAULT-VALUE}.", defaultValue = "1")
    int numBeams;
    @Option(names = "--length-penalty", description = "Beam score = sum logprob / length^p. Default: ${DEFAULT-VALUE}.", defaultValue = "1.0")
    float lengthPenalty;
    @Option(names = "--early-stopping", paramLabel = "true|false|never", description = "When beam search stops. Default: ${DEFAULT-VALUE}.", defaultValue = "false")
    String earlyStopping;
    @Option(names = "--num-return-sequences", description = "Sequences per prompt (samples, or the best beams). Default: ${DEFAULT-VALUE}.", defaultValue = "1")
    int numReturnSequences;
    @Option(names = "--eos-token-id", split = ",", paramLabel = "ID", description = "End-of-sequence token id(s); comma-separated or repeated. Default: eos_token_id of the model's generation_config.json, if any.")
    List<Integer> eosTokenIds = new ArrayList<>();
    @Option(names = "--pad-token-id", description = "Pad id for finished sequences (pad_token_id); the CLI prints sequences unpadded. Default: the first EOS id.", defaultValue = "-1")
    int padTokenId;
    @Option(names = "--stop", paramLabel = "TEXT", description = "Stop a sequence once its text contains this (stop_strings); repeatable.")
    List<String> stopStrings = new ArrayList<>();
    @Option(names = "--seed", description = "Sampling seed. Default: ${DEFAULT-VALUE}.", defaultValue = "42")
    long seed;
    @Option(names = "--logprobs", description = "After each sequence, list every generated token with its log-probability (raw model) and processed log-probability.")
    boolean logprobs;

    @Override
    public Integer call() throws Exception {
        Path resolved = Common.resolveModel(model);
        ModelFiles.Loaded loaded = Common.loadModel(resolved, tokenizer);
        String genOrigin = Common.isModelFile(model) ? model : resolved.resolve(GenerationConfigFile.NAME).toString();
        GenerationConfig fromFile = GenerationConfigFile.apply(loaded.generationConfig(), GenerationConfig.builder(), genOrigin).build();
        Tokenizer tok = loaded.tokenizer();
        GenerationConfig.Builder b = GenerationConfig.builder()
                .minNewTokens(minNewTokens).doSample(!greedy).temperature(temperature).topK(topK).topP(topP).minP(minP)
                .typicalP(typicalP).repetitionPenalty(repetitionPenalty).noRepeatNgramSize(noRepeatNgramSize)
                .numBeams(numBeams).lengthPenalty(lengthPenalty).earlyStopping(GenerationConfig.EarlyStopping.parse(earlyStopping))
                .numReturnSequences(numReturnSequences).eosTokenId(eosTokenIds.stream().mapToInt(Integer::intValue).toArray())
                .padTokenId(padTokenId).stopStrings(stopStrings).seed(seed);
        if (maxNewTokens != null) b.maxNewTokens(maxNewTokens);
        if (maxLength != null) b.maxLength(maxLength);
        else if (maxNewTokens == null) b.maxNewTokens(500);
        // The model folder's generation_config.json supplies the EOS and pad ids unless given here.
        if (eosTokenIds.isEmpty()) b.eosTokenId(fromFile.eosTokenIds().stream().mapToInt(Integer::intValue).toArray());
        if (padTokenId < 0) b.padTokenId(fromFile.padTokenId());
        GenerationConfig cfg = b.build();
        for (int id : cfg.eosTokenIds()) {
            if (id >= tok.vocabSize()) throw new IllegalArgumentException("--eos-token-id " + id + " is outside the vocabulary [0, " + tok.vocabSize() + ")");
        }
        if (!promptIds.isEmpty() && !prompts.isEmpty()) throw new IllegalArgumentException("give --prompt or --prompt-ids, not both");
        for (int id : promptIds) {
            if (id < 0 || id >= tok.vocabSize()) throw new IllegalArgumentException("--prompt-ids " + id + " is outside the vocabulary [0, " + tok.vocabSize() + ")");
        }
        List<String> texts = !promptIds.isEmpty() ? List.of(tok.decode(promptIds.stream().mapToInt(Integer::intValue).toArray()))
                : prompts.isEmpty() ? List.of(tok instanceof org.llm4j.tokenizer.SentencePieceBpeTokenizer ? "" : "\n") : prompts;
        List<int[]> ids = new ArrayList<>();
        if (!promptIds.isEmpty()) ids.add(promptIds.stream().mapToInt(Integer::intValue).toArray());
        else for (String t : texts) ids.add(tok.encode(t));
        PrintWriter w = spec.commandLine().getOut();
        boolean stream = ids.size() == 1 && cfg.numBeams() == 1 && cfg.numReturnSequences() == 1;
        long t0 = System.nanoTime();
        GenerationResult result;
        if (stream) {
            w.print(texts.getFirst());
            w.flush();
            // The stream decoder holds back the bytes of a character split across tokens until it is whole.
            result = Generator.generate(loaded.model(), ids, cfg, tok, new Generator.TokenListener() {
                @Override public void onToken(int sequence, int token, String text) {
                    w.print(text);
                    w.flush();
                }

                @Override public void onFinish(int sequence, String tail, FinishReason reason) {
                    w.print(tail);
                }
            });
            w.println();
        } else {
            result = Generator.generate(loaded.model(), ids, cfg, tok, null);
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        int total = 0;
        for (int i = 0; i < result.sequences().size(); i++) {
            GenerationResult.Sequence s = result.sequences().get(i);
            total += s.generated().length;
            if (!stream) {
                w.printf("--- prompt %d, sequence %d (%s%s) ---%n", s.prompt(), i % cfg.numReturnSequences(), s.finishReason().hfName(),
                        Double.isNaN(s.beamScore()) ? "" : String.format(", score %.4f", s.beamScore()));
                w.println(tok.decode(s.tokens()));
            }
            if (logprobs) printLogprobs(w, tok, s);
            if (printIds) {
                w.println("prompt ids: " + java.util.Arrays.toString(ids.get(s.prompt())).replace(" ", ""));
                w.println("ids: " + java.util.Arrays.toString(s.generated()).replace(" ", ""));
            }
        }
        w.flush();
        PrintWriter err = spec.commandLine().getErr();
        err.printf("[%d tokens in %.2f s, %.1f tokens/s; finish: %s]%n", total, secs, total / secs,
                result.sequences().stream().map(s -> s.finishReason().hfName()).distinct().reduce((x, y) -> x + ", " + y).orElse(""));
        err.flush();
        return 0;
    }

    private static void printLogprobs(PrintWriter w, Tokenizer tok, GenerationResult.Sequence s) {
        w.printf("--- logprobs: token, logprob (model), processed logprob; sum %.4f ---%n", s.sumLogprobs());
        int[] gen = s.generated();
        for (int i = 0; i < gen.length; i++) {
            String text = tok.decodeToken(gen[i]).replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t").replace("\"", "\\\"");
            w.printf("%6d %-20s %10.4f %10.4f%n", gen[i], "\"" + text + "\"", s.logprobs()[i], s.processedLogprobs()[i]);
        }
    }
}
