// Writes GGUF v3 files: typed metadata and tensors (F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q6_K), data aligned to 32 bytes.
package org.llm4j.format;

import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.llm4j.io.AtomicFiles;
import org.llm4j.kernels.DType;
import org.llm4j.kernels.Quant;
import org.llm4j.tensor.Tensor;

/** Metadata is written in the order given; callers pick the value types llama.cpp expects (UINT32 hyperparameters, FLOAT32 epsilons). */
public final class GgufWriter {
    private static final int ALIGN = 32;
    private final ByteArrayOutputStream kv = new ByteArrayOutputStream();
    private int kvCount;
    private record Entry(String name, int[] shape, DType type, Tensor source) {}
    private final List<Entry> tensors = new ArrayList<>();

    private void key(String key, Gguf.ValueType t) {
        str(kv, key);
        u32(kv, t.ordinal());
        kvCount++;
    }

    public GgufWriter u32(String key, long v) { key(key, Gguf.ValueType.UINT32); u32(kv, (int) v); return this; }

    public GgufWriter f32(String key, float v) { key(key, Gguf.ValueType.FLOAT32); u32(kv, Float.floatToRawIntBits(v)); return this; }

    public GgufWriter bool(String key, boolean v) { key(key, Gguf.ValueType.BOOL); kv.write(v ? 1 : 0); return this; }

    public GgufWriter string(String key, String v) { key(key, Gguf.ValueType.STRING); str(kv, v); return this; }

    public GgufWriter strings(String key, List<String> v) {
        key(key, Gguf.ValueType.ARRAY);
        u32(kv, Gguf.ValueType.STRING.ordinal());
        u64(kv, v.size());
        for (String s : v) str(kv, s);
        return this;
    }

    public GgufWriter floats(String key, float[] v) {
        key(key, Gguf.ValueType.ARRAY);
        u32(kv, Gguf.ValueType.FLOAT32.ordinal());
        u64(kv, v.length);
        for (float f : v) u32(kv, Float.floatToRawIntBits(f));
        return this;
    }

    public GgufWriter ints(String key, int[] v) {
        key(key, Gguf.ValueType.ARRAY);
        u32(kv, Gguf.ValueType.INT32.ordinal());
        u64(kv, v.length);
        for (int i : v) u32(kv, i);
        return this;
    }

    /** A tensor (shape row-major, as llm4j's) stored as type; quantized types need rows of whole blocks. */
    public GgufWriter tensor(String name, Tensor t, DType type) {
        int[] shape = t.shape();
        if (shape[shape.length - 1] % type.blockSize != 0) {
            throw new IllegalArgumentException("tensor '" + name + "': rows of " + shape[shape.length - 1] + " are not whole " + type + " blocks");
        }
        tensors.add(new Entry(name, shape, type, t));
        return this;
    }

    private static Gguf.GgmlType ggml(DType t) {
        return switch (t) {
            case F32 -> Gguf.GgmlType.F32;
            case F16 -> Gguf.GgmlType.F16;
            case BF16 -> Gguf.GgmlType.BF16;
            case Q8_0 -> Gguf.GgmlType.Q8_0;
            case Q4_0 -> Gguf.GgmlType.Q4_0;
            case Q4_K -> Gguf.GgmlType.Q4_K;
            case Q6_K -> Gguf.GgmlType.Q6_K;
        };
    }

    private static byte[] encode(Entry e) {
        float[] v = e.source.floats();
        return switch (e.type) {
            case F32 -> { ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN); for (float f : v) b.putFloat(f); yield b.array(); }
            case F16 -> { ByteBuffer b = ByteBuffer.allocate(2 * v.length).order(ByteOrder.LITTLE_ENDIAN); for (float f : v) b.putShort(Float.floatToFloat16(f)); yield b.array(); }
            case BF16 -> {
                ByteBuffer b = ByteBuffer.allocate(2 * v.length).order(ByteOrder.LITTLE_ENDIAN);
                for (float f : v) {
                    int bits = Float.floatToRawIntBits(f);
                    b.putShort((short) ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16)); // round to nearest even
                }
                yield b.array();
            }
            case Q8_0, Q4_0, Q4_K, Q6_K -> Quant.quantize(e.type, v);
        };
    }

    /** Writes the file atomically. */
    public void write(Path file) throws IOException {
        AtomicFiles.write(file, raw -> {
            OutputStream out = new BufferedOutputStream(raw, 1 << 16);
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            head.writeBytes("GGUF".getBytes(StandardCharsets.US_ASCII));
            u32(head, 3);
            u64(head, tensors.size());
            u64(head, kvCount);
            head.writeBytes(kv.toByteArray());
            long offset = 0;
            for (Entry e : tensors) {
                str(head, e.name);
                u32(head, e.shape.length);
                for (int d = e.shape.length - 1; d >= 0; d--) u64(head, e.shape[d]); // ne[0] is the last (fastest) dimension
                u32(head, ggml(e.type).id);
                u64(head, offset);
                long n = 1;
                for (int d : e.shape) n *= d;
                offset = pad(offset + e.type.byteSize(n));
            }
            out.write(head.toByteArray());
            long pos = head.size();
            out.write(new byte[(int) (pad(pos) - pos)]);
            for (Entry e : tensors) {
                byte[] b = encode(e);
                out.write(b);
                out.write(new byte[(int) (pad(b.length) - b.length)]);
            }
            out.flush();
        });
    }

    private static long pad(long n) {
        return (n + ALIGN - 1) / ALIGN * ALIGN;
    }

    private static void u32(ByteArrayOutputStream o, int v) {
        o.write(v); o.write(v >>> 8); o.write(v >>> 16); o.write(v >>> 24);
    }

    private static void u64(ByteArrayOutputStream o, long v) {
        u32(o, (int) v);
        u32(o, (int) (v >>> 32));
    }

    private static void str(ByteArrayOutputStream o, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        u64(o, b.length);
        o.writeBytes(b);
    }
}
