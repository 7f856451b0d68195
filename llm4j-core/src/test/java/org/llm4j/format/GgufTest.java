// GGUF reader: every metadata type, arrays, alignment and mapped tensors; corrupt files refused by field.
package org.llm4j.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.llm4j.kernels.DType;
import org.llm4j.tensor.Tensor;

class GgufTest {
    /** A little-endian byte writer for hand-made GGUF images. */
    static final class W {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();

        W u8(int v) { out.write(v); return this; }
        W u16(int v) { return bytes(ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN).putShort((short) v).array()); }
        W u32(long v) { return bytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) v).array()); }
        W u64(long v) { return bytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array()); }
        W f32(float v) { return u32(Float.floatToIntBits(v)); }
        W f64(double v) { return u64(Double.doubleToLongBits(v)); }
        W str(String s) { byte[] b = s.getBytes(StandardCharsets.UTF_8); u64(b.length); return bytes(b); }
        W bytes(byte[] b) { out.writeBytes(b); return this; }
        W kv(String key, int type) { str(key); return u32(type); }
        W pad(int align) { while (out.size() % align != 0) out.write(0); return this; }
        int size() { return out.size(); }
        byte[] done() { return out.toByteArray(); }
    }

    // Header with every scalar type, arrays (including strings and a nested array), alignment 64,
    // and two tensors: an F32 (2, 3) matrix and an F16 vector of 4.
    static byte[] sample() {
        W w = new W();
        w.bytes("GGUF".getBytes(StandardCharsets.US_ASCII)).u32(3).u64(2).u64(17);
        w.kv("u8", 0).u8(200);
        w.kv("i8", 1).u8(0xFE);
        w.kv("u16", 2).u16(60000);
        w.kv("i16", 3).u16(-2);
        w.kv("u32", 4).u32(4_000_000_000L);
        w.kv("i32", 5).u32(-7);
        w.kv("f32", 6).f32(1.5f);
        w.kv("bool", 7).u8(1);
        w.kv("general.name", 8).str("tëst");
        w.kv("u64", 10).u64(1L << 40);
        w.kv("i64", 11).u64(-5);
        w.kv("f64", 12).f64(2.25);
        w.kv("general.alignment", 4).u32(64);
        w.kv("arr.f32", 9).u32(6).u64(3).f32(1f).f32(-2f).f32(0.5f);
        w.kv("arr.str", 9).u32(8).u64(2).str("a").str("▁b");
        w.kv("arr.i32", 9).u32(5).u64(2).u32(-1).u32(9);
        w.kv("arr.nested", 9).u32(9).u64(2).u32(0).u64(1).u8(7).u32(7).u64(2).u8(1).u8(0);
        w.str("m").u32(2).u64(3).u64(2).u32(0).u64(0);       // F32, ne = [3, 2]: rows 2, cols 3
        w.str("v").u32(1).u64(4).u32(1).u64(64);            // F16, 4 values at offset 64
        w.pad(64);
        for (int i = 0; i < 6; i++) w.f32(i + 0.25f);
        w.pad(64);
        for (float f : new float[] {1, -2, 0.5f, 65504}) w.u16(Float.floatToFloat16(f));
        return w.done();
    }

    static Gguf parse(byte[] b) throws IOException {
        return Gguf.parse(MemorySegment.ofArray(b), "test.gguf");
    }

    @Test
    void readsEveryTypeAndMapsTensors(@TempDir Path tmp) throws IOException {
        Path f = tmp.resolve("s.gguf");
        Files.write(f, sample());
        Gguf g = Gguf.read(f);
        assertThat(g.version()).isEqualTo(3);
        assertThat(g.alignment()).isEqualTo(64);
        var m = g.metadata();
        assertThat(m.get("u8")).isEqualTo(200);
        assertThat(m.get("i8")).isEqualTo(-2);
        assertThat(m.get("u16")).isEqualTo(60000);
        assertThat(m.get("i16")).isEqualTo(-2);
        assertThat(m.get("u32")).isEqualTo(4_000_000_000L);
        assertThat(g.integer("i32")).isEqualTo(-7);
        assertThat(g.real("f32")).isEqualTo(1.5f);
        assertThat(g.bool("bool", false)).isTrue();
        assertThat(g.string("general.name")).isEqualTo("tëst");
        assertThat(m.get("u64")).isEqualTo(1L << 40);
        assertThat(m.get("i64")).isEqualTo(-5L);
        assertThat(g.real("f64")).isEqualTo(2.25f);
        assertThat(g.floats("arr.f32")).containsExactly(1f, -2f, 0.5f);
        assertThat(g.strings("arr.str")).containsExactly("a", "▁b");
        assertThat(g.ints("arr.i32")).containsExactly(-1, 9);
        Object[] nested = (Object[]) m.get("arr.nested");
        assertThat((int[]) nested[0]).containsExactly(7);
        assertThat((boolean[]) nested[1]).containsExactly(true, false);
        assertThatThrownBy(() -> g.integer("u64")).hasMessageContaining("'u64'").hasMessageContaining("does not fit");
        assertThatThrownBy(() -> g.strings("arr.f32")).hasMessageContaining("'arr.f32'");
        assertThatThrownBy(() -> g.string("nope")).hasMessageContaining("'nope' is missing");

        Tensor t = g.tensor("m");
        assertThat(t.isMapped()).isTrue();
        assertThat(t.shape()).containsExactly(2, 3);
        assertThat(t.weight().get(1, 2)).isEqualTo(5.25f);
        Tensor v = g.tensor("v");
        assertThat(v.dtype()).isEqualTo(DType.F16);
        assertThat(v.floats()).containsExactly(1f, -2f, 0.5f, 65504f);
    }

    @Test
    void everyTruncationIsRefusedWithAnIOException() {
        byte[] full = sample();
        for (int n = 0; n < full.length - 1; n++) {
            byte[] cut = Arrays.copyOf(full, n);
            assertThatThrownBy(() -> parse(cut)).as("truncated to " + n).isInstanceOf(IOException.class);
        }
    }

    static byte[] header(long tensors, long kvs) {
        return new W().bytes("GGUF".getBytes(StandardCharsets.US_ASCII)).u32(3).u64(tensors).u64(kvs).done();
    }

    static byte[] cat(byte[]... parts) {
        W w = new W();
        for (byte[] p : parts) w.bytes(p);
        w.bytes(new byte[64]);
        return w.done();
    }

    @Test
    void hostileFieldsAreRefusedByName() {
        assertThatThrownBy(() -> parse("GGML0000000000000000000000".getBytes())).hasMessageContaining("not a GGUF file");
        assertThatThrownBy(() -> parse(new W().bytes("GGUF".getBytes()).u32(1).u64(0).u64(0).done())).hasMessageContaining("version 1");
        assertThatThrownBy(() -> parse(header(0, Long.MAX_VALUE))).hasMessageContaining("metadata_kv_count");
        assertThatThrownBy(() -> parse(header(-1, 0))).hasMessageContaining("tensor_count");
        // An array claiming 2^40 strings, and a string claiming 2^62 bytes: refused before allocating.
        assertThatThrownBy(() -> parse(cat(header(0, 1), new W().kv("tokens", 9).u32(8).u64(1L << 40).done())))
                .hasMessageContaining("'tokens'").hasMessageContaining("claims 1099511627776 elements");
        assertThatThrownBy(() -> parse(cat(header(0, 1), new W().kv("name", 8).u64(1L << 62).done())))
                .hasMessageContaining("metadata 'name'").hasMessageContaining("truncated");
        assertThatThrownBy(() -> parse(cat(header(0, 1), new W().kv("weird", 13).done()))).hasMessageContaining("type of metadata 'weird'").hasMessageContaining("13");
        assertThatThrownBy(() -> parse(cat(header(0, 1), new W().kv("arr", 9).u32(99).u64(1).done()))).hasMessageContaining("element type of array 'arr'");
        assertThatThrownBy(() -> parse(cat(header(0, 1), new W().kv("b", 7).u8(5).done()))).hasMessageContaining("'b'").hasMessageContaining("BOOL");
        assertThatThrownBy(() -> parse(cat(header(0, 2), new W().kv("k", 0).u8(1).kv("k", 0).u8(1).done()))).hasMessageContaining("'k' appears twice");
        assertThatThrownBy(() -> parse(cat(header(0, 1), new W().kv("general.alignment", 4).u32(48).done()))).hasMessageContaining("general.alignment 48");
        assertThatThrownBy(() -> parse(cat(header(1, 0), new W().str("t").u32(1).u64(4).u32(77).u64(0).done()))).hasMessageContaining("'t' has unknown ggml type 77");
        assertThatThrownBy(() -> parse(cat(header(1, 0), new W().str("t").u32(1).u64(4).u32(0).u64(16).done()))).hasMessageContaining("'t' offset 16 is not a multiple of the alignment 32");
        assertThatThrownBy(() -> parse(cat(header(1, 0), new W().str("t").u32(1).u64(1 << 20).u32(0).u64(0).done()))).hasMessageContaining("'t' needs bytes");
        assertThatThrownBy(() -> parse(cat(header(1, 0), new W().str("t").u32(9).done()))).hasMessageContaining("'t'").hasMessageContaining("9 dimensions");
        assertThatThrownBy(() -> parse(cat(header(1, 0), new W().str("t").u32(1).u64(0).u32(0).u64(0).done()))).hasMessageContaining("ne[0] = 0");
        assertThatThrownBy(() -> parse(cat(header(1, 0), new W().str("t").u32(1).u64(40).u32(8).u64(0).done()))).hasMessageContaining("not a multiple of its block size 32");
    }
}
