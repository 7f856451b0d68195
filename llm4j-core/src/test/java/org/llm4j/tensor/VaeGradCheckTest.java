// The whole loss of a tiny sentence VAE (encoder, reparameterisation, decoder, KL) against finite differences.
package org.llm4j.tensor;

import static org.llm4j.tensor.GradCheck.check;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.llm4j.model.SentenceVae;
import org.llm4j.model.SentenceVaeConfig;

class VaeGradCheckTest {
    @Test void negativeElboWithSampledLatent() {
        SentenceVae vae = new SentenceVae(new SentenceVaeConfig(8, 3, 4, 2, true, 0f), 3);
        var p = vae.parameters();
        List<int[]> batch = List.of(new int[]{2, 3, 4}, new int[]{5}, new int[]{4, 2});
        // A fresh generator per call: the same eps every time, so the loss is a function of the weights.
        check("sentence VAE loss", in -> vae.forward(batch, 0.7f, true, new Rng(5)).loss(),
                p.get("hidden_to_mean.weight"), p.get("hidden_to_logvar.weight"), p.get("hidden_to_logvar.bias"),
                p.get("latent_to_hidden.weight"), p.get("encoder.weight_hh_l0_reverse"), p.get("decoder.weight_ih_l0"));
    }
}
