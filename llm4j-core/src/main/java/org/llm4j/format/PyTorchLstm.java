// Imports a character-level LSTM language model trained with PyTorch nn.LSTM, saved as safetensors.
package org.llm4j.format;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import org.llm4j.model.LanguageModel;
import org.llm4j.model.LstmConfig;
import org.llm4j.tensor.Tensor;
import org.llm4j.tokenizer.CharTokenizer;

/**
 * The import path for your own PyTorch LSTM: save its state dict with safetensors
 * ({@code safetensors.torch.save_file(model.state_dict(), "model.safetensors")}) from a module
 * with an {@code nn.Embedding} named {@code embedding}, an {@code nn.LSTM} named {@code lstm}
 * (batch_first or not: the weights are the same) and an {@code nn.Linear} named {@code head}, and
 * its vocabulary as JSON mapping each character to its id. The sizes (vocabulary, embedding,
 * hidden, layers) are read from the tensor shapes; PyTorch's gate order i, f, g, o is llm4j's.
 */
public final class PyTorchLstm {
    private PyTorchLstm() {}

    public static ModelFiles.Loaded load(Path weights, Path vocabJson) throws IOException {
        Map<String, Tensor> t = Safetensors.readTensors(weights);
        Tensor emb = require(t, "embedding.weight", weights), whh = require(t, "lstm.weight_hh_l0", weights);
        int layers = 0;
        while (t.containsKey("lstm.weight_ih_l" + layers)) layers++;
        if (emb.rank() != 2 || whh.rank() != 2) throw new IOException(weights + ": embedding.weight and lstm.weight_hh_l0 must be matrices");
        LstmConfig cfg = new LstmConfig(emb.dim(0), emb.dim(1), whh.dim(1), layers, 0f);
        LanguageModel model = cfg.build(0);
        model.loadParameters(t, false, weights.toString());
        model.setTraining(false);
        return new ModelFiles.Loaded(model, vocabulary(vocabJson, cfg.vocabSize()));
    }

    private static Tensor require(Map<String, Tensor> t, String name, Path file) throws IOException {
        Tensor x = t.get(name);
        if (x == null) throw new IOException(file + ": missing tensor '" + name + "' (expected modules named embedding, lstm and head)");
        return x;
    }

    /** {"a": 0, "b": 1, ...}: every id in [0, V) exactly once, each key one character. */
    static CharTokenizer vocabulary(Path vocabJson, int vocabSize) throws IOException {
        JsonNode n = new ObjectMapper().readTree(Files.readString(vocabJson));
        if (n == null || !n.isObject()) throw new IOException(vocabJson + ": expected a JSON object mapping characters to ids");
        int[] cps = new int[vocabSize];
        java.util.Arrays.fill(cps, -1);
        Iterator<Map.Entry<String, JsonNode>> it = n.fields();
        while (it.hasNext()) {
            var e = it.next();
            String ch = e.getKey();
            if (ch.codePointCount(0, ch.length()) != 1) throw new IOException(vocabJson + ": key \"" + ch + "\" is not one character");
            if (!e.getValue().canConvertToInt()) throw new IOException(vocabJson + ": id of \"" + ch + "\" is not an integer");
            int id = e.getValue().asInt();
            if (id < 0 || id >= vocabSize) throw new IOException(vocabJson + ": id " + id + " of \"" + ch + "\" is outside [0, " + vocabSize + ") (the embedding has " + vocabSize + " rows)");
            if (cps[id] != -1) throw new IOException(vocabJson + ": id " + id + " is given twice");
            cps[id] = ch.codePointAt(0);
        }
        for (int i = 0; i < vocabSize; i++) if (cps[i] == -1) throw new IOException(vocabJson + ": no character has id " + i);
        return new CharTokenizer(cps);
    }
}
