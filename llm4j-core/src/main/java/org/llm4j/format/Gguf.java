// GGUF v3 (llama.cpp's model file): typed metadata, tensor infos, and tensors memory-mapped in place.
package org.llm4j.format;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.llm4j.kernels.DType;
import org.llm4j.kernels.Weight;
import org.llm4j.tensor.Tensor;

/**
 * Layout (ggml docs/gguf.md), little-endian: magic "GGUF", uint32 version (3; 2 reads the same),
 * uint64 tensor count, uint64 metadata count; metadata as (string key, uint32 type, value); tensor
 * infos as (string name, uint32 n_dims, uint64 ne[n_dims], uint32 ggml type, uint64 offset); then
 * padding to general.alignment (default 32) and the tensor data, each tensor at its offset from
 * there, a multiple of the alignment. A string is a uint64 byte length and UTF-8 bytes. ne[0] is
 * the fastest-varying dimension: a matrix (rows, cols) has ne = [cols, rows].
 *
 * <p>Every length and count is checked against the bytes left in the file before anything is
 * allocated, so a corrupt or hostile file is refused with the field and offset, never read past.
 */
public final class Gguf {
    /** Metadata value types, by their id in the file. */
    public enum ValueType { UINT8, INT8, UINT16, INT16, UINT32, INT32, FLOAT32, BOOL, STRING, ARRAY, UINT64, INT64, FLOAT64 }

    /** ggml tensor types known to this reader: id, elements per block, bytes per block. */
    public enum GgmlType {
        F32(0, 1, 4), F16(1, 1, 2), Q4_0(2, 32, 18), Q4_1(3, 32, 20), Q5_0(6, 32, 22), Q5_1(7, 32, 24),
        Q8_0(8, 32, 34), Q8_1(9, 32, 36), Q2_K(10, 256, 84), Q3_K(11, 256, 110), Q4_K(12, 256, 144),
        Q5_K(13, 256, 176), Q6_K(14, 256, 210), Q8_K(15, 256, 292), I8(24, 1, 1), I16(25, 1, 2),
        I32(26, 1, 4), I64(27, 1, 8), F64(28, 1, 8), BF16(30, 1, 2);

        public final int id, blockSize, blockBytes;

        GgmlType(int id, int blockSize, int blockBytes) {
            this.id = id;
            this.blockSize = blockSize;
            this.blockBytes = blockBytes;
        }

        static GgmlType byId(int id) {
            for (GgmlType t : values()) if (t.id == id) return t;
            return null;
        }
    }

    /** One tensor: dims as in the file (ne[0] fastest), its type, and its data's offset from the data section. */
    public record TensorInfo(String name, long[] ne, GgmlType type, long offset, long bytes) {
        public long elements() {
            long n = 1;
            for (long d : ne) n *= d;
            return n;
        }

        /** The shape in row-major (numpy) order: ne reversed. */
        public int[] shape() {
            int[] s = new int[ne.length];
            for (int i = 0; i < ne.length; i++) s[i] = Math.toIntExact(ne[ne.length - 1 - i]);
            return s;
        }
    }

    static final int MAX_DEPTH = 4, MAX_DIMS = 4;
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final String origin;
    private final int version;
    private final Map<String, Object> metadata;
    private final Map<String, ValueType> types;
    private final Map<String, TensorInfo> tensors;
    private final long alignment, dataStart;
    private final MemorySegment file;

    private Gguf(String origin, int version, Map<String, Object> metadata, Map<String, ValueType> types, Map<String, TensorInfo> tensors,
                 long alignment, long dataStart, MemorySegment file) {
        this.origin = origin;
        this.version = version;
        this.metadata = Collections.unmodifiableMap(metadata);
        this.types = Collections.unmodifiableMap(types);
        this.tensors = Collections.unmodifiableMap(tensors);
        this.alignment = alignment;
        this.dataStart = dataStart;
        this.file = file;
    }

    /** Maps a GGUF file read-only and parses its header; tensor data stays in the file's pages. */
    public static Gguf read(Path path) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            MemorySegment seg = size == 0 ? MemorySegment.NULL.reinterpret(0) : ch.map(FileChannel.MapMode.READ_ONLY, 0, size, Arena.ofAuto());
            return parse(seg, path.toString());
        }
    }

    /** Parses a GGUF image in memory (the whole file). */
    public static Gguf parse(MemorySegment seg, String origin) throws IOException {
        Reader r = new Reader(seg, origin);
        r.need(4, "magic");
        if (seg.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), 0) != 0x47475546) {
            throw new IOException(origin + ": not a GGUF file (the first four bytes are not \"GGUF\")");
        }
        r.pos = 4;
        int version = r.u32("version");
        if (version != 2 && version != 3) throw new IOException(origin + ": GGUF version " + version + " is not supported (expected 3)");
        long nTensors = r.u64("tensor_count"), nKv = r.u64("metadata_kv_count");
        // Each metadata entry takes at least 12 bytes (empty key, type), each tensor info at least 24.
        if (nKv < 0 || nKv > r.left() / 12) throw new IOException(origin + ": metadata_kv_count " + Long.toUnsignedString(nKv) + " is impossible for a file of " + seg.byteSize() + " bytes");
        if (nTensors < 0 || nTensors > r.left() / 24) throw new IOException(origin + ": tensor_count " + Long.toUnsignedString(nTensors) + " is impossible for a file of " + seg.byteSize() + " bytes");
        Map<String, Object> meta = new LinkedHashMap<>();
        Map<String, ValueType> types = new LinkedHashMap<>();
        for (long i = 0; i < nKv; i++) {
            long at = r.pos;
            String key = r.string("key of metadata entry " + i);
            ValueType t = r.type("type of metadata '" + key + "'");
            Object v = r.value(t, key, 0);
            if (meta.put(key, v) != null) throw new IOException(origin + ": metadata key '" + key + "' appears twice (offset " + at + ")");
            types.put(key, t);
        }
        long alignment = 32;
        if (meta.containsKey("general.alignment")) {
            Object a = meta.get("general.alignment");
            if (types.get("general.alignment") != ValueType.UINT32) throw new IOException(origin + ": general.alignment must be a UINT32, it is " + types.get("general.alignment"));
            alignment = (Long) a;
            if (alignment <= 0 || Long.bitCount(alignment) != 1 || alignment > 1 << 20) throw new IOException(origin + ": general.alignment " + alignment + " is not a power of two up to 1 MiB");
        }
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        for (long i = 0; i < nTensors; i++) {
            long at = r.pos;
            String name = r.string("name of tensor " + i);
            int nd = r.u32("n_dims of tensor '" + name + "'");
            if (nd < 1 || nd > MAX_DIMS) throw new IOException(origin + ": tensor '" + name + "' (offset " + at + ") has " + nd + " dimensions; 1 to " + MAX_DIMS + " allowed");
            long[] ne = new long[nd];
            long elements = 1;
            for (int d = 0; d < nd; d++) {
                ne[d] = r.u64("ne[" + d + "] of tensor '" + name + "'");
                if (ne[d] <= 0 || ne[d] > Integer.MAX_VALUE) throw new IOException(origin + ": tensor '" + name + "' dimension ne[" + d + "] = " + Long.toUnsignedString(ne[d]) + " is outside [1, 2^31)");
                elements = Math.multiplyHigh(elements, ne[d]) != 0 || elements * ne[d] < 0 ? -1 : elements * ne[d];
                if (elements < 0) throw new IOException(origin + ": tensor '" + name + "' has too many elements");
            }
            int typeId = r.u32("type of tensor '" + name + "'");
            GgmlType type = GgmlType.byId(typeId);
            if (type == null) throw new IOException(origin + ": tensor '" + name + "' has unknown ggml type " + typeId + " (offset " + (r.pos - 4) + ")");
            if (ne[0] % type.blockSize != 0) throw new IOException(origin + ": tensor '" + name + "' of type " + type + " has ne[0] = " + ne[0] + ", not a multiple of its block size " + type.blockSize);
            long offset = r.u64("offset of tensor '" + name + "'");
            if (offset < 0 || offset % alignment != 0) throw new IOException(origin + ": tensor '" + name + "' offset " + Long.toUnsignedString(offset) + " is not a multiple of the alignment " + alignment);
            long bytes = elements / type.blockSize * type.blockBytes;
            if (tensors.put(name, new TensorInfo(name, ne, type, offset, bytes)) != null) throw new IOException(origin + ": tensor '" + name + "' appears twice (offset " + at + ")");
        }
        long dataStart = (r.pos + alignment - 1) / alignment * alignment;
        long dataLen = seg.byteSize() - dataStart;
        for (TensorInfo t : tensors.values()) {
            if (t.offset > dataLen || t.bytes > dataLen - t.offset) {
                throw new IOException(origin + ": tensor '" + t.name + "' needs bytes [" + t.offset + ", " + (t.offset + t.bytes) + ") of the data section, which has " + Math.max(0, dataLen) + " (file truncated?)");
            }
        }
        return new Gguf(origin, version, meta, types, tensors, alignment, dataStart, seg);
    }

    // ---- metadata -------------------------------------------------------------------------------

    public int version() { return version; }

    public String origin() { return origin; }

    public long alignment() { return alignment; }

    /**
     * Values by key: Integer for (U)INT8/16 and INT32, Long for UINT32 and (U)INT64 (UINT64 as
     * its bits), Float, Double, Boolean, String; arrays as int[], long[], float[], double[],
     * boolean[], String[], or Object[] of arrays.
     */
    public Map<String, Object> metadata() { return metadata; }

    public Map<String, ValueType> types() { return types; }

    public boolean has(String key) { return metadata.containsKey(key); }

    public String string(String key) {
        return get(key, String.class, "a string");
    }

    public String string(String key, String dflt) {
        return has(key) ? string(key) : dflt;
    }

    /** An integer of any width that fits in an int. */
    public int integer(String key) {
        Object v = require(key);
        long x = switch (v) {
            case Integer i -> i;
            case Long l -> l;
            default -> throw new IllegalArgumentException(origin + ": metadata '" + key + "' is " + types.get(key) + ", expected an integer");
        };
        if (x != (int) x) throw new IllegalArgumentException(origin + ": metadata '" + key + "' = " + x + " does not fit in an int");
        return (int) x;
    }

    public int integer(String key, int dflt) {
        return has(key) ? integer(key) : dflt;
    }

    public float real(String key) {
        Object v = require(key);
        return switch (v) {
            case Float f -> f;
            case Double d -> d.floatValue();
            default -> throw new IllegalArgumentException(origin + ": metadata '" + key + "' is " + types.get(key) + ", expected FLOAT32");
        };
    }

    public float real(String key, float dflt) {
        return has(key) ? real(key) : dflt;
    }

    public boolean bool(String key, boolean dflt) {
        return has(key) ? get(key, Boolean.class, "BOOL") : dflt;
    }

    public String[] strings(String key) {
        return get(key, String[].class, "an array of strings");
    }

    public float[] floats(String key) {
        return get(key, float[].class, "an array of FLOAT32");
    }

    public int[] ints(String key) {
        return get(key, int[].class, "an array of INT32");
    }

    private Object require(String key) {
        Object v = metadata.get(key);
        if (v == null) throw new IllegalArgumentException(origin + ": metadata '" + key + "' is missing");
        return v;
    }

    private <T> T get(String key, Class<T> c, String what) {
        Object v = require(key);
        if (!c.isInstance(v)) throw new IllegalArgumentException(origin + ": metadata '" + key + "' is " + types.get(key) + ", expected " + what);
        return c.cast(v);
    }

    // ---- tensors --------------------------------------------------------------------------------

    public Map<String, TensorInfo> tensors() { return tensors; }

    /** The bytes of a tensor, in place. */
    public MemorySegment data(TensorInfo t) {
        return file.asSlice(dataStart + t.offset, t.bytes);
    }

    /** A tensor as a read-only mapped view (shape = ne reversed): F32, F16, BF16, Q8_0, Q4_0, Q4_K or Q6_K, read in place. */
    public Tensor tensor(String name) {
        TensorInfo t = tensors.get(name);
        if (t == null) throw new IllegalArgumentException(origin + ": no tensor '" + name + "'");
        DType d = switch (t.type) {
            case F32 -> DType.F32;
            case F16 -> DType.F16;
            case BF16 -> DType.BF16;
            case Q8_0 -> DType.Q8_0;
            case Q4_0 -> DType.Q4_0;
            case Q4_K -> DType.Q4_K;
            case Q6_K -> DType.Q6_K;
            default -> throw new IllegalArgumentException(origin + ": tensor '" + name + "' has type " + t.type + ", which llm4j cannot compute with yet");
        };
        int cols = Math.toIntExact(t.ne[0]);
        int rows = Math.toIntExact(t.elements() / cols);
        return Tensor.mapped(new Weight.Mapped(data(t), d, rows, cols), t.shape());
    }

    // ---- parsing --------------------------------------------------------------------------------

    private static final class Reader {
        final MemorySegment seg;
        final String origin;
        long pos;

        Reader(MemorySegment seg, String origin) {
            this.seg = seg;
            this.origin = origin;
        }

        long left() { return seg.byteSize() - pos; }

        void need(long n, String what) throws IOException {
            if (n < 0 || n > left()) {
                throw new IOException(origin + ": truncated: " + what + " at offset " + pos + " needs " + (n < 0 ? Long.toUnsignedString(n) : n) + " bytes, " + left() + " left");
            }
        }

        int u32(String what) throws IOException {
            need(4, what);
            int v = seg.get(I32, pos);
            pos += 4;
            return v;
        }

        long u64(String what) throws IOException {
            need(8, what);
            long v = seg.get(I64, pos);
            pos += 8;
            return v;
        }

        String string(String what) throws IOException {
            long n = u64("length of " + what);
            need(n, what);
            byte[] b = seg.asSlice(pos, n).toArray(ValueLayout.JAVA_BYTE);
            try {
                String s = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(java.nio.ByteBuffer.wrap(b)).toString();
                pos += n;
                return s;
            } catch (CharacterCodingException e) {
                throw new IOException(origin + ": " + what + " at offset " + pos + " is not valid UTF-8");
            }
        }

        ValueType type(String what) throws IOException {
            long at = pos;
            int t = u32(what);
            if (t < 0 || t >= ValueType.values().length) throw new IOException(origin + ": " + what + " (offset " + at + ") is " + Integer.toUnsignedString(t) + ", not a GGUF value type (0..12)");
            return ValueType.values()[t];
        }

        static int minBytes(ValueType t) {
            return switch (t) {
                case UINT8, INT8, BOOL -> 1;
                case UINT16, INT16 -> 2;
                case UINT32, INT32, FLOAT32 -> 4;
                case UINT64, INT64, FLOAT64, STRING -> 8;
                case ARRAY -> 12;
            };
        }

        Object value(ValueType t, String key, int depth) throws IOException {
            String what = "metadata '" + key + "'";
            return switch (t) {
                case UINT8 -> { need(1, what); yield seg.get(ValueLayout.JAVA_BYTE, pos++) & 0xFF; }
                case INT8 -> { need(1, what); yield (int) seg.get(ValueLayout.JAVA_BYTE, pos++); }
                case UINT16 -> { need(2, what); int v = seg.get(I16, pos) & 0xFFFF; pos += 2; yield v; }
                case INT16 -> { need(2, what); int v = seg.get(I16, pos); pos += 2; yield v; }
                case UINT32 -> u32(what) & 0xFFFFFFFFL;
                case INT32 -> u32(what);
                case FLOAT32 -> { need(4, what); float v = seg.get(F32, pos); pos += 4; yield v; }
                case UINT64, INT64 -> u64(what);
                case FLOAT64 -> { need(8, what); double v = seg.get(F64, pos); pos += 8; yield v; }
                case BOOL -> {
                    need(1, what);
                    byte b = seg.get(ValueLayout.JAVA_BYTE, pos);
                    if (b != 0 && b != 1) throw new IOException(origin + ": " + what + " (offset " + pos + ") is a BOOL with byte " + b);
                    pos++;
                    yield b == 1;
                }
                case STRING -> string(what);
                case ARRAY -> array(key, depth);
            };
        }

        Object array(String key, int depth) throws IOException {
            if (depth >= MAX_DEPTH) throw new IOException(origin + ": metadata '" + key + "' nests arrays deeper than " + MAX_DEPTH);
            ValueType et = type("element type of array '" + key + "'");
            long at = pos;
            long n = u64("length of array '" + key + "'");
            // Refuse before allocating: every element takes at least minBytes in the file.
            if (n < 0 || n > Integer.MAX_VALUE - 8 || n > left() / minBytes(et)) {
                throw new IOException(origin + ": metadata array '" + key + "' (offset " + at + ") claims " + Long.toUnsignedString(n) + " elements of " + et + ", more than the " + left() + " bytes left can hold");
            }
            int len = (int) n;
            String el = "element of array '" + key + "'";
            switch (et) {
                case UINT8, INT8, UINT16, INT16, INT32 -> {
                    int[] a = new int[len];
                    for (int i = 0; i < len; i++) a[i] = (Integer) value(et, key, depth);
                    return a;
                }
                case UINT32, UINT64, INT64 -> {
                    long[] a = new long[len];
                    for (int i = 0; i < len; i++) a[i] = (Long) value(et, key, depth);
                    return a;
                }
                case FLOAT32 -> {
                    float[] a = new float[len];
                    MemorySegment.copy(seg, F32, pos, a, 0, len);
                    pos += 4L * len;
                    return a;
                }
                case FLOAT64 -> {
                    double[] a = new double[len];
                    MemorySegment.copy(seg, F64, pos, a, 0, len);
                    pos += 8L * len;
                    return a;
                }
                case BOOL -> {
                    boolean[] a = new boolean[len];
                    for (int i = 0; i < len; i++) a[i] = (Boolean) value(et, key, depth);
                    return a;
                }
                case STRING -> {
                    String[] a = new String[len];
                    for (int i = 0; i < len; i++) a[i] = string(el + " " + i);
                    return a;
                }
                case ARRAY -> {
                    Object[] a = new Object[len];
                    for (int i = 0; i < len; i++) a[i] = array(key, depth + 1);
                    return a;
                }
            }
            throw new AssertionError(et);
        }
    }
}
