// Safetensors round trip and refusal of truncated, inconsistent or hostile files.
package org.llm4j.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.llm4j.tensor.Tensor;

class SafetensorsTest {

    @Test
    void roundTripKeepsNamesShapesValuesAndMetadata(@TempDir Path dir) throws IOException {
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("a.weight", Tensor.of(new float[]{1, 2, 3, 4, 5, 6}, 2, 3));
        t.put("b", Tensor.of(new float[]{-0.5f}, 1));
        Path f = dir.resolve("x.safetensors");
        Safetensors.write(f, t, Map.of("k", "v"));
        Safetensors.Contents c = Safetensors.read(f);
        assertThat(c.tensors().keySet()).containsExactly("a.weight", "b");
        assertThat(c.tensors().get("a.weight").shape()).containsExactly(2, 3);
        assertThat(c.tensors().get("a.weight").data).containsExactly(1, 2, 3, 4, 5, 6);
        assertThat(c.metadata()).containsEntry("k", "v");
        long headerLen = ByteBuffer.wrap(Files.readAllBytes(f), 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertThat(headerLen % 8).as("data aligned to 8 bytes").isZero();
    }

    static Path file(Path dir, String header, int dataBytes) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        Path f = dir.resolve("bad.safetensors");
        Files.write(f, b.array());
        return f;
    }

    @Test
    void refusesBadFilesWithTheFileAndTensorNamed(@TempDir Path dir) throws IOException {
        Path tiny = dir.resolve("tiny.safetensors");
        Files.write(tiny, new byte[]{1, 2, 3});
        assertThatThrownBy(() -> Safetensors.read(tiny)).hasMessageContaining("tiny.safetensors").hasMessageContaining("shorter than");

        Path longHeader = dir.resolve("long.safetensors");
        Files.write(longHeader, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1L << 40).array());
        assertThatThrownBy(() -> Safetensors.read(longHeader)).hasMessageContaining("header length");

        assertThatThrownBy(() -> Safetensors.read(file(dir, "{not json", 0))).hasMessageContaining("not valid JSON");
        assertThatThrownBy(() -> Safetensors.read(file(dir, "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 4)))
                .hasMessageContaining("'w'").hasMessageContaining("outside");
        assertThatThrownBy(() -> Safetensors.read(file(dir, "{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8)))
                .hasMessageContaining("'w'").hasMessageContaining("needs 12 bytes");
        assertThatThrownBy(() -> Safetensors.read(file(dir, "{\"w\":{\"dtype\":\"Q9\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4)))
                .hasMessageContaining("unsupported dtype 'Q9'");
        assertThatThrownBy(() -> Safetensors.read(file(dir, "{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4)))
                .hasMessageContaining("invalid dimension");
        assertThatThrownBy(() -> Safetensors.read(file(dir, "{\"w\":{\"dtype\":\"F32\",\"shape\":[65536,65536],\"data_offsets\":[0,4]}}", 4)))
                .hasMessageContaining("2^31");
        assertThatThrownBy(() -> Safetensors.read(dir.resolve("missing.safetensors"))).hasMessageContaining("missing.safetensors");
    }

    @Test
    void modelFolderErrorsNameTheFile(@TempDir Path dir) throws IOException {
        assertThatThrownBy(() -> ModelFiles.load(dir)).hasMessageContaining("config.json").hasMessageContaining("missing");
        assertThatThrownBy(() -> ModelFiles.parseConfig("{\"model_type\":\"gpt2\",\"vocab_size\":10}", "c.json"))
                .hasMessageContaining("c.json").hasMessageContaining("n_positions");
        assertThatThrownBy(() -> ModelFiles.parseConfig("{\"model_type\":\"bert\"}", "c.json")).hasMessageContaining("unsupported model_type 'bert'");
        assertThatThrownBy(() -> ModelFiles.parseConfig("{\"model_type\":\"gpt2\",\"vocab_size\":10,\"n_positions\":8,\"n_layer\":1,\"n_head\":3,\"n_embd\":8}", "c.json"))
                .hasMessageContaining("c.json").hasMessageContaining("multiple of n_head");
    }
}
