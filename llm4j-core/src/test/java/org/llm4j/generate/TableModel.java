// A LanguageModel stub whose next-token logits are a fixed function of the history: beam search and
// stopping rules can be checked against answers worked out by hand or by brute force.
package org.llm4j.generate;

import java.util.Arrays;
import java.util.Map;
import java.util.function.Function;
import org.llm4j.model.DecodeState;
import org.llm4j.model.LanguageModel;
import org.llm4j.model.ModelConfig;
import org.llm4j.tensor.Rng;
import org.llm4j.tensor.Tensor;

final class TableModel implements LanguageModel {
    final int vocab;
    final Function<int[], float[]> logitsOf; // history (prompt + generated so far) → logits (V)
    int steps;

    TableModel(int vocab, Function<int[], float[]> logitsOf) {
        this.vocab = vocab;
        this.logitsOf = logitsOf;
    }

    /** Logits = ln(probabilities): the model's log-softmax is then exactly these. */
    static float[] logOf(double... probs) {
        float[] l = new float[probs.length];
        for (int i = 0; i < l.length; i++) l[i] = (float) Math.log(probs[i]);
        return l;
    }

    /** A model that always puts almost all mass on the next token of script (then on token 0). */
    static TableModel forcing(int vocab, int promptLength, int[] script) {
        return new TableModel(vocab, h -> {
            int g = Math.max(0, h.length - promptLength);   // the prompt itself is being read while g < 0
            float[] l = new float[vocab];
            l[g < script.length ? script[g] : 0] = 20f;
            return l;
        });
    }

    static final class State implements DecodeState {
        int[] history = new int[0];

        @Override public int position() { return history.length; }

        @Override public DecodeState copy() {
            State s = new State();
            s.history = history.clone();
            return s;
        }
    }

    @Override public int vocabSize() { return vocab; }
    @Override public ModelConfig config() { throw new UnsupportedOperationException(); }
    @Override public int contextLength() { return Integer.MAX_VALUE; }
    @Override public Tensor forward(int[] tokens, int batch, int time, Rng dropout) { throw new UnsupportedOperationException(); }
    @Override public DecodeState newState() { return new State(); }

    @Override
    public float[] step(DecodeState state, int token) {
        if (token < 0 || token >= vocab) throw new IllegalArgumentException("token id " + token + " is outside the vocabulary");
        State s = (State) state;
        s.history = Arrays.copyOf(s.history, s.history.length + 1);
        s.history[s.history.length - 1] = token;
        steps++;
        return logitsOf.apply(s.history).clone();
    }

    @Override public Map<String, Tensor> parameters() { return Map.of(); }
    @Override public long parameterCount() { return 0; }
    @Override public void zeroGrad() {}
    @Override public void setTraining(boolean training) {}
    @Override public void loadParameters(Map<String, Tensor> source, boolean allowExtra, String origin) {}
    @Override public Rng dropoutRng() { return new Rng(0); }
}
