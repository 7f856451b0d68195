// Reads and writes the safetensors format: 8-byte header length, JSON header, raw little-endian tensors.
package org.llm4j.format;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
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
import org.llm4j.io.AtomicFiles;
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
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Headers beyond this are refused: real ones are kilobytes, and the length is attacker-controlled. */
    static final long MAX_HEADER = 100L << 20;

    /** A loaded file: tensors in file order and the string metadata. */
    public record Contents(Map<String, Tensor> tensors, Map<String, String> metadata) {}

    private Safetensors() {}

    public static Contents read(Path file) throws IOException {
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
                header = JSON.readTree(new String(hb.array(), StandardCharsets.UTF_8));
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw bad(file, "header is not valid JSON: " + e.getOriginalMessage());
            }
            if (header == null || !header.isObject()) throw bad(file, "header is not a JSON object");
            long dataStart = 8 + n, dataLen = size - dataStart;
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            Map<String, String> meta = new LinkedHashMap<>();
            Iterator<Map.Entry<String, JsonNode>> it = header.fields();
            while (it.hasNext()) {
                var e = it.next();
                String name = e.getKey();
                JsonNode info = e.getValue();
                if (name.equals("__metadata__")) {
                    info.fields().forEachRemaining(m -> meta.put(m.getKey(), m.getValue().asText()));
                    continue;
                }
                tensors.put(name, readTensor(file, ch, name, info, dataStart, dataLen));
            }
            return new Contents(tensors, meta);
        } catch (NoSuchFileException e) {
            throw new IOException(file + ": no such file");
        }
    }

    private static Tensor readTensor(Path file, FileChannel ch, String name, JsonNode info, long dataStart, long dataLen) throws IOException {
        String dtype = info.path("dtype").asText("");
        int width = switch (dtype) {
            case "F32", "I32" -> 4;
            case "F16", "BF16" -> 2;
            case "I64" -> 8;
            default -> throw bad(file, "tensor '" + name + "' has unsupported dtype '" + dtype + "'");
        };
        JsonNode shapeNode = info.path("shape"), offs = info.path("data_offsets");
        if (!shapeNode.isArray() || !offs.isArray() || offs.size() != 2) throw bad(file, "tensor '" + name + "' lacks shape or data_offsets");
        int[] shape = new int[shapeNode.size()];
        long numel = 1;
        for (int i = 0; i < shape.length; i++) {
            long d = shapeNode.get(i).asLong(-1);
            if (d < 0 || d > Integer.MAX_VALUE) throw bad(file, "tensor '" + name + "' has an invalid dimension " + shapeNode.get(i));
            shape[i] = (int) d;
            numel *= d;
            if (numel > Integer.MAX_VALUE - 8) throw bad(file, "tensor '" + name + "' has more than 2^31 elements");
        }
        long begin = offs.get(0).asLong(-1), end = offs.get(1).asLong(-1);
        if (begin < 0 || end < begin || end > dataLen) {
            throw bad(file, "tensor '" + name + "' data_offsets [" + begin + ", " + end + ") fall outside the " + dataLen + " data bytes");
        }
        if (end - begin != numel * width) {
            throw bad(file, "tensor '" + name + "' of shape " + java.util.Arrays.toString(shape) + " and dtype " + dtype
                    + " needs " + numel * width + " bytes but data_offsets span " + (end - begin));
        }
        ByteBuffer buf = ByteBuffer.allocate((int) (end - begin)).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, buf, dataStart + begin);
        buf.flip();
        float[] out = new float[(int) numel];
        switch (dtype) {
            case "F32" -> buf.asFloatBuffer().get(out);
            case "I32" -> { for (int i = 0; i < out.length; i++) out[i] = buf.getInt(); }
            case "I64" -> { for (int i = 0; i < out.length; i++) out[i] = buf.getLong(); }
            case "F16" -> { for (int i = 0; i < out.length; i++) out[i] = Float.float16ToFloat(buf.getShort()); }
            case "BF16" -> { for (int i = 0; i < out.length; i++) out[i] = Float.intBitsToFloat((buf.getShort() & 0xFFFF) << 16); }
            default -> throw new AssertionError(dtype);
        }
        return Tensor.of(out, shape);
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
        ObjectNode header = JSON.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode m = header.putObject("__metadata__");
            metadata.forEach(m::put);
        }
        long offset = 0;
        List<Tensor> order = new ArrayList<>();
        for (var e : tensors.entrySet()) {
            Tensor t = e.getValue();
            ObjectNode info = header.putObject(e.getKey());
            info.put("dtype", "F32");
            var shape = info.putArray("shape");
            for (int d : t.shape()) shape.add(d);
            long bytes = 4L * t.size();
            info.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
            order.add(t);
        }
        byte[] hdr = JSON.writeValueAsBytes(header);
        int padded = (hdr.length + 7) / 8 * 8; // keeps the data 8-byte aligned for memory mapping
        byte[] h = java.util.Arrays.copyOf(hdr, padded);
        java.util.Arrays.fill(h, hdr.length, padded, (byte) ' ');
        AtomicFiles.write(file, out -> {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
            out.write(len.array());
            out.write(h);
            writeFloats(out, order);
        });
    }

    private static void writeFloats(OutputStream out, List<Tensor> tensors) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        for (Tensor t : tensors) {
            for (float v : t.data) {
                if (buf.remaining() < 4) {
                    out.write(buf.array(), 0, buf.position());
                    buf.clear();
                }
                buf.putFloat(v);
            }
        }
        out.write(buf.array(), 0, buf.position());
    }

    /** Reads a file's tensors only, for callers that do not need metadata. */
    public static Map<String, Tensor> readTensors(Path file) throws IOException {
        return read(file).tensors();
    }
}
