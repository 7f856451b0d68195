// Loads the golden fixtures made by tools/pytorch/make_fixtures.py and compares arrays against them.
package org.llm4j.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import org.llm4j.format.Safetensors;
import org.llm4j.tensor.Tensor;

public final class Fixtures {
    private Fixtures() {}

    static Safetensors.Contents load(String name) throws Exception {
        return Safetensors.read(Path.of(Fixtures.class.getResource("/fixtures/" + name).toURI()));
    }

    static int[] ints(Map<String, Tensor> t, String name) {
        float[] f = t.get(name).data;
        int[] out = new int[f.length];
        for (int i = 0; i < f.length; i++) out[i] = (int) f[i];
        return out;
    }

    /** max |actual − expected| ≤ relTol · max |expected|: a relative error over the whole tensor. */
    public static void assertClose(String what, float[] actual, float[] expected, double relTol) {
        assertThat(actual).as(what + " length").hasSize(expected.length);
        double maxErr = 0, scale = 1e-12;
        for (int i = 0; i < expected.length; i++) {
            maxErr = Math.max(maxErr, Math.abs(actual[i] - expected[i]));
            scale = Math.max(scale, Math.abs(expected[i]));
        }
        assertThat(maxErr / scale).as(what + ": max error " + maxErr + " relative to max |expected| " + scale).isLessThanOrEqualTo(relTol);
    }
}
