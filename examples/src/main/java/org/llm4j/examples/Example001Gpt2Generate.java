// Seed example 001: pretrained GPT-2 generation, as in Hugging Face transformers — in Java.
//
// The original (Python):
//   model = GPT2LMHeadModel.from_pretrained("gpt2"); tokenizer = GPT2Tokenizer.from_pretrained("gpt2")
//   input_ids = tokenizer.encode("The quick brown fox", return_tensors="pt")
//   output = model.generate(input_ids, max_length=50, num_return_sequences=1)
//   print(tokenizer.decode(output[0], skip_special_tokens=True))
//
// Here ModelFiles.fromPretrained takes a Hub repository id (downloaded once into ~/.cache/llm4j;
// LLM4J_OFFLINE=1 uses the cache only) or a local Hugging Face folder; the weights are
// memory-mapped. generate() with these options is greedy decoding, as in transformers for GPT-2.
//
//   bin/example 001 [gpt2|MODEL_DIR] ["The quick brown fox"]
package org.llm4j.examples;

import java.util.List;
import org.llm4j.format.ModelFiles;
import org.llm4j.generate.GenerationConfig;
import org.llm4j.generate.GenerationResult;
import org.llm4j.generate.Generator;

public final class Example001Gpt2Generate {
    private Example001Gpt2Generate() {}

    public static void main(String[] args) throws Exception {
        String model = args.length > 0 ? args[0] : "gpt2";
        String prompt = args.length > 1 ? args[1] : "The quick brown fox";
        System.out.println(generate(model, prompt).text());
    }

    /** The generated sequence's ids (prompt included) and its text without special tokens. */
    public record Output(int[] ids, String text) {}

    public static Output generate(String model, String prompt) throws Exception {
        ModelFiles.Loaded gpt2 = ModelFiles.fromPretrained(model);                                  // model + tokenizer
        int[] inputIds = gpt2.tokenizer().encode(prompt);                                           // tokenizer.encode
        GenerationConfig cfg = GenerationConfig.builder().maxLength(50).numReturnSequences(1).build();
        GenerationResult out = Generator.generate(gpt2.model(), List.of(inputIds), cfg, gpt2.tokenizer(), null);
        int[] ids = out.sequences().getFirst().tokens();                                          // prompt + new tokens
        return new Output(ids, gpt2.tokenizer().decode(ids, true));                                // skip_special_tokens=True
    }
}
