// How a Llama-family model stretches RoPE's frequencies beyond its training context: a closed set.
package org.llm4j.model;

import java.util.List;

/**
 * RoPE (Su et al. 2021) turns pair j of a head of size hs by pos·f_j with f_j = θ^(−2j/hs). A
 * scaling divides each f_j by a factor s_j ≥ 1 (so pos·f_j/s_j: the model sees positions as if
 * they were closer together). The forms, by where they come from:
 * <ul>
 *   <li>{@link None}: s_j = 1.
 *   <li>{@link Linear} (Hugging Face rope_type "linear", llama.cpp rope.scaling.type "linear"):
 *       s_j = factor for every j (position interpolation, Chen et al. 2023).
 *   <li>{@link Llama3} (Hugging Face rope_type "llama3"): with wavelength λ_j = 2π/f_j and
 *       L = original_max_position_embeddings, s_j = 1 for λ_j &lt; L/high_freq_factor (high
 *       frequencies kept), s_j = factor for λ_j &gt; L/low_freq_factor, and between them
 *       1/s_j = (1 − m)/factor + m with m = (L/λ_j − low_freq_factor)/(high_freq_factor − low_freq_factor),
 *       as transformers' _compute_llama3_parameters.
 *   <li>{@link Factors}: s_j given one by one, llama.cpp's tensor rope_freqs.weight (its converter
 *       writes the Llama 3 s_j there; ggml_rope_ext divides the angle by them).
 * </ul>
 */
public sealed interface RopeScaling {
    /** s_j for j = 0 .. hs/2 − 1, given the unscaled frequencies f_j. */
    double[] divisors(float[] freqs);

    RopeScaling NONE = new None();

    record None() implements RopeScaling {
        @Override public double[] divisors(float[] freqs) {
            double[] s = new double[freqs.length];
            java.util.Arrays.fill(s, 1.0);
            return s;
        }
    }

    record Linear(float factor) implements RopeScaling {
        public Linear {
            if (!(factor >= 1f) || Float.isInfinite(factor)) throw new IllegalArgumentException("linear RoPE scaling factor must be ≥ 1, got " + factor);
        }

        @Override public double[] divisors(float[] freqs) {
            double[] s = new double[freqs.length];
            java.util.Arrays.fill(s, factor);
            return s;
        }
    }

    record Llama3(float factor, float lowFreqFactor, float highFreqFactor, int originalMaxPositions) implements RopeScaling {
        public Llama3 {
            if (!(factor >= 1f) || Float.isInfinite(factor)) throw new IllegalArgumentException("llama3 RoPE scaling factor must be ≥ 1, got " + factor);
            if (!(lowFreqFactor > 0f) || !(highFreqFactor > lowFreqFactor) || Float.isInfinite(highFreqFactor)) {
                throw new IllegalArgumentException("llama3 RoPE scaling needs 0 < low_freq_factor < high_freq_factor, got " + lowFreqFactor + " and " + highFreqFactor);
            }
            if (originalMaxPositions <= 0) throw new IllegalArgumentException("llama3 RoPE scaling needs a positive original_max_position_embeddings, got " + originalMaxPositions);
        }

        @Override public double[] divisors(float[] freqs) {
            double lowWavelen = originalMaxPositions / (double) lowFreqFactor, highWavelen = originalMaxPositions / (double) highFreqFactor;
            double[] s = new double[freqs.length];
            for (int j = 0; j < freqs.length; j++) {
                double wavelen = 2 * Math.PI / freqs[j];
                if (wavelen < highWavelen) s[j] = 1.0;
                else if (wavelen > lowWavelen) s[j] = factor;
                else {
                    double m = (originalMaxPositions / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
                    s[j] = 1.0 / ((1 - m) / factor + m);
                }
            }
            return s;
        }
    }

    /** One divisor per frequency (a List so that configs compare by value). */
    record Factors(List<Float> values) implements RopeScaling {
        public Factors {
            values = List.copyOf(values);
            for (int j = 0; j < values.size(); j++) {
                float v = values.get(j);
                if (!(v > 0f) || Float.isInfinite(v)) throw new IllegalArgumentException("RoPE frequency factor " + j + " must be positive and finite, got " + v);
            }
        }

        @Override public double[] divisors(float[] freqs) {
            if (values.size() != freqs.length) {
                throw new IllegalArgumentException(values.size() + " RoPE frequency factors for a head with " + freqs.length + " frequency pairs");
            }
            double[] s = new double[freqs.length];
            for (int j = 0; j < s.length; j++) s[j] = values.get(j);
            return s;
        }
    }
}
