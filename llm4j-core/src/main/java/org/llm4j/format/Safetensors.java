// Reads and writes the safetensors format: 8-byte header length, JSON header, raw little-endian tensors.
package org.llm4j.format;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.llm4j.io.Json;
import org.llm4j.io.AtomicFiles;
import org.llm4j.kernels.DType;
import org.llm4j.kernels.Weight;
import org.llm4j.tensor.Tensor;

/**
 * Format (huggingface/safetensors): u64 little-endian N; N bytes of UTF-8 JSON mapping each
 * tensor name to {dtype, shape, data_offsets: [begin, end)} relative to the byte after the
 * header, plus an optional "__metadata__" of string to string; then the data. This reader
 * validates every offset against the file size before touching the data, so a truncated or
 * hostile file is refused with a message naming the file and tensor. Tensors of type F32, F16
 * and BF16 load as float32; I32 and I64 load as float32 too (token ids in fixtures are small).
 */
public final class Safetensors {
    /** Headers beyond this are refused: real ones are kilobytes, and the length is attacker-controlled. */
    static final long MAX_HEADER = 100L << 20;

    /** A loaded file: tensors in file order, the string metadata, and each tensor's dtype as the file names it. */
    public record Contents(Map<String, Tensor> tensors, Map<String, String> metadata, Map<String, String> dtypes) {}

    private Safetensors() {}

    public static Contents read(Path file) throws IOException {
        return open(file, false);
    }

    /**
     * Maps the file and returns its floating-point tensors as read-only views of the file's pages
     * (no copy, in the file's element type); integer tensors are small and are copied. The mapping
     * lives as long as any of its tensors is reachable.
     */
    public static Contents map(Path file) throws IOException {
        return open(file, true);
    }

    /** One tensor's header entry, validated against the file. */
    record Entry(String name, String dtype, int[] shape, long begin, long end) {}

    private static Contents open(Path file, boolean mapped) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) throw bad(file, "file is " + size + " bytes, shorter than the 8-byte header length");
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0);
            long n = lenBuf.getLong(0);
            if (n <= 0 || n > MAX_HEADER || n > size - 8) {
                throw bad(file, "header length " + n + " is impossible for a file of " + size + " bytes");
            }
            ByteBuffer hb = ByteBuffer.allocate((int) n);
            readFully(ch, hb, 8);
            JsonNode header;
            try {
                header = Json.parse(new String(hb.array(), StandardCharsets.UTF_8));
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw bad(file, "header is not valid JSON: " + e.getOriginalMessage());
            }
            if (header == null || !header.isObject()) throw bad(file, "header is not a JSON object");
            long dataStart = 8 + n, dataLen = size - dataStart;
            List<Entry> entries = new ArrayList<>();
            Map<String, String> meta = new LinkedHashMap<>();
            Iterator<Map.Entry<String, JsonNode>> it = header.fields();
            while (it.hasNext()) {
                var e = it.next();
                if (e.getKey().equals("__metadata__")) {
                    if (!e.getValue().isObject()) throw bad(file, "__metadata__ is not a JSON object");
                    e.getValue().fields().forEachRemaining(m -> meta.put(m.getKey(), m.getValue().asText()));
                    continue;
                }
                entries.add(entry(file, e.getKey(), e.getValue(), dataLen));
            }
            checkOverlaps(file, entries);
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            Map<String, String> dtypes = new LinkedHashMap<>();
            for (Entry e : entries) dtypes.put(e.name, e.dtype);
            MemorySegment all = mapped && !entries.isEmpty() ? ch.map(FileChannel.MapMode.READ_ONLY, dataStart, dataLen, Arena.ofAuto()) : null;
            for (Entry e : entries) {
                DType floatType = floatType(e.dtype);
                if (mapped && floatType != null) {
                    int cols = e.shape.length == 0 ? 1 : e.shape[e.shape.length - 1];
                    long numel = (e.end - e.begin) / floatType.byteSize(1);
                    int rows = cols == 0 ? 0 : (int) (numel / cols);
                    tensors.put(e.name, Tensor.mapped(new Weight.Mapped(all.asSlice(e.begin, e.end - e.begin), floatType, rows, cols), e.shape));
                } else {
                    tensors.put(e.name, readTensor(ch, e, dataStart));
                }
            }
            return new Contents(tensors, meta, dtypes);
        } catch (NoSuchFileException e) {
            throw new IOException(file + ": no such file");
        }
    }

    private static DType floatType(String dtype) {
        return switch (dtype) {
            case "F32" -> DType.F32;
            case "F16" -> DType.F16;
            case "BF16" -> DType.BF16;
            default -> null;
        };
    }

    private static int width(String dtype) {
        return switch (dtype) {
            case "F32", "I32" -> 4;
            case "F16", "BF16" -> 2;
            case "I64" -> 8;
            default -> -1;
        };
    }

    private static Entry entry(Path file, String name, JsonNode info, long dataLen) throws IOException {
        if (!info.isObject()) throw bad(file, "entry '" + name + "' is not a JSON object");
        String dtype = info.path("dtype").asText("");
        int width = width(dtype);
        if (width < 0) throw bad(file, "tensor '" + name + "' has unsupported dtype '" + dtype + "' (F32, F16, BF16, I32 and I64 are read)");
        JsonNode shapeNode = info.path("shape"), offs = info.path("data_offsets");
        if (!shapeNode.isArray() || !offs.isArray() || offs.size() != 2) throw bad(file, "tensor '" + name + "' lacks shape or data_offsets");
        int[] shape = new int[shapeNode.size()];
        long numel = 1;
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = shapeNode.get(i);
            long v = d.canConvertToLong() && d.isIntegralNumber() ? d.asLong() : -1;
            if (v < 0 || v > Integer.MAX_VALUE) throw bad(file, "tensor '" + name + "' has an invalid dimension " + d);
            shape[i] = (int) v;
            numel *= v;
            if (numel > Integer.MAX_VALUE - 8) throw bad(file, "tensor '" + name + "' has more than 2^31 elements");
        }
        JsonNode b = offs.get(0), e = offs.get(1);
        long begin = b.isIntegralNumber() ? b.asLong() : -1, end = e.isIntegralNumber() ? e.asLong() : -1;
        if (begin < 0 || end < begin || end > dataLen) {
            throw bad(file, "tensor '" + name + "' data_offsets [" + b + ", " + e + ") fall outside the " + dataLen + " data bytes");
        }
        if (end - begin != numel * width) {
            throw bad(file, "tensor '" + name + "' of shape " + java.util.Arrays.toString(shape) + " and dtype " + dtype
                    + " needs " + numel * width + " bytes but data_offsets span " + (end - begin));
        }
        return new Entry(name, dtype, shape, begin, end);
    }

    // Two tensors sharing bytes would silently alias each other's weights.
    private static void checkOverlaps(Path file, List<Entry> entries) throws IOException {
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort(java.util.Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        for (int i = 1; i < sorted.size(); i++) {
            Entry prev = sorted.get(i - 1), cur = sorted.get(i);
            if (cur.begin < prev.end && cur.end > cur.begin) {
                throw bad(file, "tensors '" + prev.name + "' [" + prev.begin + ", " + prev.end + ") and '" + cur.name + "' [" + cur.begin + ", "
                        + cur.end + ") overlap");
            }
        }
    }

    private static Tensor readTensor(FileChannel ch, Entry e, long dataStart) throws IOException {
        int numel = (int) ((e.end - e.begin) / width(e.dtype));
        ByteBuffer buf = ByteBuffer.allocate((int) (e.end - e.begin)).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, buf, dataStart + e.begin);
        buf.flip();
        float[] out = new float[numel];
        switch (e.dtype) {
            case "F32" -> buf.asFloatBuffer().get(out);
            case "I32" -> { for (int i = 0; i < out.length; i++) out[i] = buf.getInt(); }
            case "I64" -> { for (int i = 0; i < out.length; i++) out[i] = buf.getLong(); }
            case "F16" -> { for (int i = 0; i < out.length; i++) out[i] = Float.float16ToFloat(buf.getShort()); }
            case "BF16" -> { for (int i = 0; i < out.length; i++) out[i] = Float.intBitsToFloat((buf.getShort() & 0xFFFF) << 16); }
            default -> throw new AssertionError(e.dtype);
        }
        return Tensor.of(out, e.shape);
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long pos) throws IOException {
        while (buf.hasRemaining()) {
            int r = ch.read(buf, pos);
            if (r < 0) throw new IOException("unexpected end of file at byte " + pos);
            pos += r;
        }
    }

    private static IOException bad(Path file, String why) {
        return new IOException(file + ": not a valid safetensors file: " + why);
    }

    /** Writes float32 tensors (atomically: temporary file, fsync, rename). */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        write(file, tensors, metadata, DType.F32);
    }

    /**
     * Writes tensors in the given element type (F16 and BF16 round to nearest even), atomically.
     * Vectors (rank below 2: biases, norm gains) stay F32 whatever the type, as mixed-precision
     * checkpoints keep them.
     */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata, DType dtype) throws IOException {
        if (dtype.quantized()) throw new IllegalArgumentException(file + ": safetensors stores F32, F16 or BF16, not " + dtype + " (GGUF stores quantized weights)");
        ObjectNode header = Json.object();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode m = header.putObject("__metadata__");
            metadata.forEach(m::put);
        }
        long offset = 0;
        List<Tensor> order = new ArrayList<>();
        List<DType> types = new ArrayList<>();
        for (var e : tensors.entrySet()) {
            Tensor t = e.getValue();
            ObjectNode info = header.putObject(e.getKey());
            DType type = t.rank() < 2 ? DType.F32 : dtype;
            types.add(type);
            info.put("dtype", type.name());
            var shape = info.putArray("shape");
            for (int d : t.shape()) shape.add(d);
            long bytes = type.byteSize(t.size());
            info.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
            order.add(t);
        }
        byte[] hdr = Json.mapper().writeValueAsBytes(header);
        int padded = (hdr.length + 7) / 8 * 8; // keeps the data 8-byte aligned for memory mapping
        byte[] h = java.util.Arrays.copyOf(hdr, padded);
        java.util.Arrays.fill(h, hdr.length, padded, (byte) ' ');
        AtomicFiles.write(file, out -> {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
            out.write(len.array());
            out.write(h);
            writeValues(out, order, types);
        });
    }

    private static void writeValues(OutputStream out, List<Tensor> tensors, List<DType> types) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < tensors.size(); i++) {
            DType type = types.get(i);
            for (float v : tensors.get(i).floats()) {
                if (buf.remaining() < 4) {
                    out.write(buf.array(), 0, buf.position());
                    buf.clear();
                }
                switch (type) {
                    case F32 -> buf.putFloat(v);
                    case F16 -> buf.putShort(Float.floatToFloat16(v));
                    case BF16 -> buf.putShort(toBf16(v));
                    case Q8_0, Q4_0, Q4_K, Q6_K -> throw new IllegalArgumentException("safetensors has no " + type + " type (GGUF does)");
                }
            }
        }
        out.write(buf.array(), 0, buf.position());
    }

    // Round to nearest even on the 16 dropped bits; NaN stays a (quiet) NaN.
    static short toBf16(float v) {
        int bits = Float.floatToRawIntBits(v);
        if (Float.isNaN(v)) return (short) ((bits >>> 16) | 0x40);
        return (short) ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16);
    }

    /** Reads a file's tensors only, for callers that do not need metadata. */
    public static Map<String, Tensor> readTensors(Path file) throws IOException {
        return read(file).tensors();
    }
}
