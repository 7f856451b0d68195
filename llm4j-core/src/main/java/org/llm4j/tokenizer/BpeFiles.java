// Reads and writes byte-level BPE vocabularies in their three common forms, naming the file and
// the line or field of anything malformed: tokenizer.json, vocab.json + merges.txt, encoder.json + vocab.bpe.
package org.llm4j.tokenizer;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.llm4j.io.Json;

final class BpeFiles {
    // Far above any real vocabulary (GPT-2's files are 1–2 MB); a larger file is refused before it is read.
    private static final long MAX_FILE_BYTES = 512L << 20;

    private record Merge(String left, String right, String where) {}

    private BpeFiles() {}

    // ---- the three forms ---------------------------------------------------------------------

    static ByteLevelBpeTokenizer load(Path p) throws IOException {
        if (Files.isDirectory(p)) {
            Path hf = p.resolve("tokenizer.json");
            if (Files.isRegularFile(hf)) return readHuggingFace(hf);
            for (String[] pair : new String[][] {{"vocab.json", "merges.txt"}, {"encoder.json", "vocab.bpe"}}) {
                Path v = p.resolve(pair[0]), m = p.resolve(pair[1]);
                if (Files.isRegularFile(v) && Files.isRegularFile(m)) return readVocabAndMerges(v, m);
            }
            throw new IOException(p + ": no tokenizer found: expected tokenizer.json, vocab.json + merges.txt, or encoder.json + vocab.bpe");
        }
        if (!Files.isRegularFile(p)) throw new IOException(p + ": no such file or folder");
        String name = p.getFileName().toString();
        Path dir = p.toAbsolutePath().getParent();
        switch (name) {
            case "vocab.json": return readVocabAndMerges(p, sibling(p, dir, "merges.txt"));
            case "encoder.json": return readVocabAndMerges(p, sibling(p, dir, "vocab.bpe"));
            case "merges.txt": return readVocabAndMerges(sibling(p, dir, "vocab.json"), p);
            case "vocab.bpe": return readVocabAndMerges(sibling(p, dir, "encoder.json"), p);
            default: return readHuggingFace(p);
        }
    }

    private static Path sibling(Path p, Path dir, String name) throws IOException {
        Path s = dir.resolve(name);
        if (!Files.isRegularFile(s)) throw new IOException(p + ": needs " + name + " beside it, and " + s + " does not exist");
        return s;
    }

    static ByteLevelBpeTokenizer readHuggingFace(Path file) throws IOException {
        return fromHuggingFace(parseJson(file), file.toString());
    }

    static ByteLevelBpeTokenizer readVocabAndMerges(Path vocabFile, Path mergesFile) throws IOException {
        JsonNode root = parseJson(vocabFile);
        String vo = vocabFile.toString();
        if (!root.isObject()) throw new IllegalArgumentException(vo + ": expected a JSON object of token → id, got " + kind(root));
        Map<String, Integer> vocab = readVocab(root, vo, "");
        // NOTE: these files do not mark special tokens. GPT-2's convention (and tiktoken's) is
        // <|name|>, e.g. <|endoftext|>; Hugging Face's GPT2Tokenizer treats it as special too.
        Map<String, Integer> specials = new LinkedHashMap<>();
        for (var e : vocab.entrySet()) {
            String t = e.getKey();
            if (t.length() > 4 && t.startsWith("<|") && t.endsWith("|>")) specials.put(t, e.getValue());
        }
        List<Merge> merges = readMergesText(mergesFile);
        return assemble(vo, vocab, specials, mergesFile.toString(), merges, false, false);
    }

    // merges.txt / vocab.bpe: an optional "#version: 0.2" first line, then one merge per line,
    // "left right", in rank order (GPT-2 encoder.py: bpe_data.split('\n')[1:-1]; Hugging Face
    // refuses any line that is not two tokens split by one space).
    private static List<Merge> readMergesText(Path file) throws IOException {
        String text = readUtf8(file);
        String[] lines = text.split("\n", -1);
        int last = lines.length;
        while (last > 0 && lines[last - 1].isEmpty()) last--;   // trailing newline(s)
        List<Merge> merges = new ArrayList<>(last);
        for (int i = 0; i < last; i++) {
            String line = lines[i].endsWith("\r") ? lines[i].substring(0, lines[i].length() - 1) : lines[i];
            if (line.startsWith("#version")) continue;
            String where = "line " + (i + 1);
            int sp = line.indexOf(' ');
            if (sp <= 0 || sp == line.length() - 1 || line.indexOf(' ', sp + 1) >= 0) {
                int parts = line.isBlank() ? 0 : line.trim().split(" +").length;
                throw new IllegalArgumentException(file + " " + where + ": a merge must be two tokens separated by one space, got "
                        + parts + " token" + (parts == 1 ? "" : "s") + ": \"" + line + "\"");
            }
            merges.add(new Merge(line.substring(0, sp), line.substring(sp + 1), where));
        }
        return merges;
    }

    // ---- Hugging Face tokenizer.json -----------------------------------------------------------
    // https://huggingface.co/docs/tokenizers/api/models (BPE), pre-tokenizers (ByteLevel).

    static ByteLevelBpeTokenizer fromHuggingFace(JsonNode root, String origin) {
        if (root == null || !root.isObject()) throw new IllegalArgumentException(origin + ": expected a tokenizer.json object, got " + kind(root));
        JsonNode model = root.path("model");
        if (!model.isObject()) throw new IllegalArgumentException(origin + ": field 'model' is missing or not an object");
        String type = model.path("type").asText("BPE");   // GPT-2's own file predates the field
        if (!type.equals("BPE")) throw new IllegalArgumentException(origin + ": model.type is '" + type + "'; only BPE is supported");
        for (String f : new String[] {"continuing_subword_prefix", "end_of_word_suffix"}) {
            JsonNode v = model.path(f);
            if (!v.isMissingNode() && !v.isNull() && !v.asText().isEmpty())
                throw new IllegalArgumentException(origin + ": model." + f + " '" + v.asText() + "' is not supported by byte-level BPE");
        }
        JsonNode dropout = model.path("dropout");
        if (!dropout.isMissingNode() && !dropout.isNull() && dropout.asDouble() != 0)
            throw new IllegalArgumentException(origin + ": model.dropout " + dropout + " is not supported (BPE dropout is for training only)");
        if (model.path("byte_fallback").asBoolean(false))
            throw new IllegalArgumentException(origin + ": model.byte_fallback is a SentencePiece-style option, not byte-level BPE");
        boolean ignoreMerges = model.path("ignore_merges").asBoolean(false);

        JsonNode normalizer = root.path("normalizer");
        if (!normalizer.isMissingNode() && !normalizer.isNull())
            throw new IllegalArgumentException(origin + ": normalizer " + normalizer.path("type").asText("?") + " is not supported (GPT-2 has none)");
        JsonNode pre = root.path("pre_tokenizer");
        ByteLevelPreTokenizer splitter = ByteLevelPreTokenizer.GPT2;
        // Llama 3 and Qwen2: Sequence[Split(Regex pattern, Isolated), ByteLevel(use_regex false)].
        if (pre.path("type").asText("").equals("Sequence") && pre.path("pretokenizers").size() == 2) {
            JsonNode split = pre.path("pretokenizers").get(0);
            String regex = split.path("pattern").path("Regex").asText("");
            splitter = ByteLevelPreTokenizer.byRegex(regex);
            if (!split.path("type").asText("").equals("Split") || splitter == null)
                throw new IllegalArgumentException(origin + ": pre_tokenizer.pretokenizers[0] must be a Split on one of the known patterns (GPT-2, Llama 3, Qwen2), got " + split);
            if (!split.path("behavior").asText("Isolated").equals("Isolated") || split.path("invert").asBoolean(false))
                throw new IllegalArgumentException(origin + ": pre_tokenizer Split behavior '" + split.path("behavior").asText() + "' / invert " + split.path("invert") + " is not supported (Isolated, not inverted)");
            pre = pre.path("pretokenizers").get(1);
            if (!pre.path("type").asText("").equals("ByteLevel") || pre.path("use_regex").asBoolean(true))
                throw new IllegalArgumentException(origin + ": pre_tokenizer.pretokenizers[1] must be ByteLevel with use_regex false after a Split");
        } else {
            if (!pre.path("type").asText("").equals("ByteLevel"))
                throw new IllegalArgumentException(origin + ": pre_tokenizer.type must be ByteLevel (or a Sequence of Split and ByteLevel), got " + (pre.isObject() ? "'" + pre.path("type").asText() + "'" : kind(pre)));
            if (!pre.path("use_regex").asBoolean(true))
                throw new IllegalArgumentException(origin + ": pre_tokenizer.use_regex false is not supported without a Split before it");
        }
        boolean addPrefixSpace = pre.path("add_prefix_space").asBoolean(false);
        JsonNode decoder = root.path("decoder");
        if (!decoder.isMissingNode() && !decoder.isNull() && !decoder.path("type").asText("").equals("ByteLevel"))
            throw new IllegalArgumentException(origin + ": decoder.type must be ByteLevel, got '" + decoder.path("type").asText() + "'");
        // NOTE: of post_processor only a TemplateProcessing whose single template is one special
        // token then the text (Llama 3's <|begin_of_text|> $A) is applied, as BOS; anything else
        // is not: encode gives the model's ids for the text alone, as Hugging Face does with
        // add_special_tokens=False (GPT-2's ByteLevel adds nothing).
        String bosToken = null;
        JsonNode post = root.path("post_processor");
        JsonNode single = post.path("type").asText("").equals("TemplateProcessing") ? post.path("single")
                : post.path("type").asText("").equals("Sequence") ? templateIn(post.path("processors")) : null;
        if (single != null && single.size() == 2 && single.get(0).has("SpecialToken") && single.get(1).has("Sequence")) {
            bosToken = single.get(0).path("SpecialToken").path("id").asText(null);
        }

        JsonNode vocabNode = model.path("vocab");
        if (!vocabNode.isObject()) throw new IllegalArgumentException(origin + ": model.vocab must be an object of token → id, got " + kind(vocabNode));
        Map<String, Integer> vocab = readVocab(vocabNode, origin, "model.vocab");

        Map<String, Integer> added = new LinkedHashMap<>();
        JsonNode addedNode = root.path("added_tokens");
        if (!addedNode.isMissingNode() && !addedNode.isNull()) {
            if (!addedNode.isArray()) throw new IllegalArgumentException(origin + ": added_tokens must be an array, got " + kind(addedNode));
            for (int i = 0; i < addedNode.size(); i++) {
                JsonNode t = addedNode.get(i);
                String where = origin + ": added_tokens[" + i + "]";
                JsonNode content = t.path("content"), id = t.path("id");
                if (!content.isTextual() || content.asText().isEmpty()) throw new IllegalArgumentException(where + ".content must be a non-empty string");
                if (!id.canConvertToInt() || !id.isIntegralNumber() || id.asInt() < 0) throw new IllegalArgumentException(where + ".id must be a non-negative integer, got " + id);
                for (String f : new String[] {"lstrip", "rstrip", "single_word"}) {
                    if (t.path(f).asBoolean(false)) throw new IllegalArgumentException(where + "." + f + " true is not supported");
                }
                if (added.put(content.asText(), id.asInt()) != null) throw new IllegalArgumentException(where + ": token '" + content.asText() + "' is listed twice");
            }
        }

        JsonNode mergesNode = model.path("merges");
        if (!mergesNode.isArray()) throw new IllegalArgumentException(origin + ": model.merges must be an array, got " + kind(mergesNode));
        List<Merge> merges = new ArrayList<>(mergesNode.size());
        for (int i = 0; i < mergesNode.size(); i++) {
            JsonNode m = mergesNode.get(i);
            String where = "model.merges[" + i + "]";
            // Two spellings: "left right" (tokenizers < 0.20) and ["left", "right"] (newer).
            if (m.isTextual()) {
                String s = m.asText();
                int sp = s.indexOf(' ');
                if (sp <= 0 || sp == s.length() - 1 || s.indexOf(' ', sp + 1) >= 0)
                    throw new IllegalArgumentException(origin + ": " + where + " must be two tokens separated by one space, got \"" + s + "\"");
                merges.add(new Merge(s.substring(0, sp), s.substring(sp + 1), where));
            } else if (m.isArray() && m.size() == 2 && m.get(0).isTextual() && m.get(1).isTextual()) {
                merges.add(new Merge(m.get(0).asText(), m.get(1).asText(), where));
            } else {
                throw new IllegalArgumentException(origin + ": " + where + " must be \"left right\" or [\"left\", \"right\"], got " + m);
            }
        }
        ByteLevelBpeTokenizer t = assemble(origin, vocab, added, origin, merges, addPrefixSpace, ignoreMerges).withPreTokenizer(splitter);
        if (bosToken == null) return t;
        int bos = t.tokenId(bosToken);
        if (bos < 0) throw new IllegalArgumentException(origin + ": post_processor adds '" + bosToken + "', which is not in the vocabulary");
        return t.withSpecialIds(bos, -1, true);
    }

    private static JsonNode templateIn(JsonNode processors) {
        for (JsonNode p : processors) if (p.path("type").asText("").equals("TemplateProcessing")) return p.path("single");
        return null;
    }

    static String toHuggingFaceJson(ByteLevelBpeTokenizer t) {
        // The layout of GPT-2's tokenizer.json as the tokenizers library writes it, so
        // transformers' PreTrainedTokenizerFast loads it; every token, special ones included, is in
        // model.vocab, and special ones are also listed in added_tokens.
        StringWriter w = new StringWriter(1 << 20);
        try (JsonGenerator g = new JsonFactory().createGenerator(w)) {
            DefaultIndenter newline = new DefaultIndenter("  ", "\n");
            g.setPrettyPrinter(new DefaultPrettyPrinter(Separators.createDefaultInstance().withObjectFieldValueSpacing(Separators.Spacing.AFTER))
                    .withObjectIndenter(newline).withArrayIndenter(newline));
            g.writeStartObject();
            g.writeStringField("version", "1.0");
            g.writeNullField("truncation");
            g.writeNullField("padding");
            g.writeArrayFieldStart("added_tokens");
            for (int id = 0; id < t.vocabSize(); id++) {
                if (!t.special(id)) continue;
                g.writeStartObject();
                g.writeNumberField("id", id);
                g.writeStringField("content", t.token(id));
                g.writeBooleanField("single_word", false);
                g.writeBooleanField("lstrip", false);
                g.writeBooleanField("rstrip", false);
                g.writeBooleanField("normalized", true);
                g.writeBooleanField("special", true);
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeNullField("normalizer");
            if (t.preTokenizer() == ByteLevelPreTokenizer.GPT2) {
                writeByteLevel(g, "pre_tokenizer", t.addPrefixSpace(), true, true);
            } else {
                g.writeObjectFieldStart("pre_tokenizer");
                g.writeStringField("type", "Sequence");
                g.writeArrayFieldStart("pretokenizers");
                g.writeStartObject();
                g.writeStringField("type", "Split");
                g.writeObjectFieldStart("pattern");
                g.writeStringField("Regex", t.preTokenizer().regex());
                g.writeEndObject();
                g.writeStringField("behavior", "Isolated");
                g.writeBooleanField("invert", false);
                g.writeEndObject();
                writeByteLevel(g, null, t.addPrefixSpace(), false, false);
                g.writeEndArray();
                g.writeEndObject();
            }
            if (t.addsBos()) {
                // TemplateProcessing: BOS, then the text (Llama 3's form).
                g.writeObjectFieldStart("post_processor");
                g.writeStringField("type", "TemplateProcessing");
                String bos = t.token(t.bosId());
                g.writeArrayFieldStart("single");
                templatePiece(g, "SpecialToken", bos, 0);
                templatePiece(g, "Sequence", "A", 0);
                g.writeEndArray();
                g.writeArrayFieldStart("pair");
                templatePiece(g, "SpecialToken", bos, 0);
                templatePiece(g, "Sequence", "A", 0);
                templatePiece(g, "SpecialToken", bos, 1);
                templatePiece(g, "Sequence", "B", 1);
                g.writeEndArray();
                g.writeObjectFieldStart("special_tokens");
                g.writeObjectFieldStart(t.token(t.bosId()));
                g.writeStringField("id", t.token(t.bosId()));
                g.writeArrayFieldStart("ids");
                g.writeNumber(t.bosId());
                g.writeEndArray();
                g.writeArrayFieldStart("tokens");
                g.writeString(t.token(t.bosId()));
                g.writeEndArray();
                g.writeEndObject();
                g.writeEndObject();
                g.writeEndObject();
            } else {
                writeByteLevel(g, "post_processor", true, false, true);
            }
            writeByteLevel(g, "decoder", true, true, true);
            g.writeObjectFieldStart("model");
            g.writeStringField("type", "BPE");
            g.writeNullField("dropout");
            g.writeNullField("unk_token");
            g.writeStringField("continuing_subword_prefix", "");
            g.writeStringField("end_of_word_suffix", "");
            g.writeBooleanField("fuse_unk", false);
            g.writeBooleanField("byte_fallback", false);
            g.writeBooleanField("ignore_merges", t.ignoreMerges());
            g.writeObjectFieldStart("vocab");
            for (int id = 0; id < t.vocabSize(); id++) g.writeNumberField(t.token(id), id);
            g.writeEndObject();
            g.writeArrayFieldStart("merges");
            for (int r = 0; r < t.mergeCount(); r++) {
                String left = t.token(t.mergeLeft(r)), right = t.token(t.mergeRight(r));
                if (left.indexOf(' ') < 0 && right.indexOf(' ') < 0) {
                    g.writeString(left + " " + right);   // the older spelling, which every version reads
                } else {
                    g.writeStartArray();   // a token with a space needs the newer spelling
                    g.writeString(left);
                    g.writeString(right);
                    g.writeEndArray();
                }
            }
            g.writeEndArray();
            g.writeEndObject();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);   // a StringWriter does not fail
        }
        return w.toString();
    }

    private static void templatePiece(JsonGenerator g, String kind, String id, int typeId) throws IOException {
        g.writeStartObject();
        g.writeObjectFieldStart(kind);
        g.writeStringField("id", id);
        g.writeNumberField("type_id", typeId);
        g.writeEndObject();
        g.writeEndObject();
    }

    // field null: an element of the current array.
    private static void writeByteLevel(JsonGenerator g, String field, boolean addPrefixSpace, boolean trimOffsets, boolean useRegex) throws IOException {
        if (field == null) g.writeStartObject();
        else g.writeObjectFieldStart(field);
        g.writeStringField("type", "ByteLevel");
        g.writeBooleanField("add_prefix_space", addPrefixSpace);
        g.writeBooleanField("trim_offsets", trimOffsets);
        g.writeBooleanField("use_regex", useRegex);
        g.writeEndObject();
    }

    // ---- from memory ---------------------------------------------------------------------------

    static ByteLevelBpeTokenizer fromLists(List<String> tokens, List<String> mergeLines, List<String> specialTokens) {
        Map<String, Integer> vocab = new LinkedHashMap<>();
        for (int id = 0; id < tokens.size(); id++) {
            if (vocab.put(tokens.get(id), id) != null) throw new IllegalArgumentException("vocabulary: token '" + tokens.get(id) + "' appears twice");
        }
        Map<String, Integer> specials = new LinkedHashMap<>();
        for (String s : specialTokens) {
            Integer id = vocab.get(s);
            if (id == null) throw new IllegalArgumentException("vocabulary: special token '" + s + "' is not in the vocabulary");
            specials.put(s, id);
        }
        List<Merge> merges = new ArrayList<>(mergeLines.size());
        for (int i = 0; i < mergeLines.size(); i++) {
            String s = mergeLines.get(i);
            int sp = s.indexOf(' ');
            if (sp <= 0 || sp == s.length() - 1 || s.indexOf(' ', sp + 1) >= 0)
                throw new IllegalArgumentException("merges item " + i + ": must be two tokens separated by one space, got \"" + s + "\"");
            merges.add(new Merge(s.substring(0, sp), s.substring(sp + 1), "item " + i));
        }
        return assemble("vocabulary", vocab, specials, "merges", merges, false, false);
    }

    // ---- shared checks -------------------------------------------------------------------------

    // Resolves tokens to ids and checks that the ids run 0..N-1, that every byte has a token, and
    // that each merge names known tokens whose concatenation is a token too.
    private static ByteLevelBpeTokenizer assemble(String vocabOrigin, Map<String, Integer> vocab, Map<String, Integer> specials,
                                                  String mergesOrigin, List<Merge> merges, boolean addPrefixSpace, boolean ignoreMerges) {
        int count = vocab.size();
        for (var e : specials.entrySet()) {
            Integer inVocab = vocab.get(e.getKey());
            if (inVocab == null) count++;
            else if (!inVocab.equals(e.getValue()))
                throw new IllegalArgumentException(vocabOrigin + ": special token '" + e.getKey() + "' has id " + e.getValue() + " but the vocabulary gives it " + inVocab);
        }
        // Every id is checked against the count before anything is sized by it, so a hostile id
        // cannot make us allocate: N distinct ids all below N means exactly 0..N-1.
        String[] byId = new String[count];
        boolean[] special = new boolean[count];
        for (var e : vocab.entrySet()) place(byId, e.getKey(), e.getValue(), vocabOrigin);
        for (var e : specials.entrySet()) {
            if (!vocab.containsKey(e.getKey())) place(byId, e.getKey(), e.getValue(), vocabOrigin);
            special[e.getValue()] = true;
        }
        byte[][] bytes = new byte[count][];
        for (int id = 0; id < count; id++) {
            byte[] b = special[id] ? null : ByteLevel.toBytes(byId[id]);
            // A token outside the byte alphabet (an added token) stands for its own UTF-8 text.
            bytes[id] = b != null ? b : byId[id].getBytes(StandardCharsets.UTF_8);
        }
        for (int b = 0; b < 256; b++) {
            String s = String.valueOf(ByteLevel.charOf(b));
            Integer id = vocab.get(s);
            if (id == null || special[id])
                throw new IllegalArgumentException(vocabOrigin + ": byte 0x" + String.format("%02X", b) + " (written '" + s + "') has no token; a byte-level vocabulary needs all 256");
        }
        int n = merges.size();
        int[] left = new int[n], right = new int[n], result = new int[n];
        for (int r = 0; r < n; r++) {
            Merge m = merges.get(r);
            left[r] = idOf(vocab, m.left, mergesOrigin, m.where, vocabOrigin);
            right[r] = idOf(vocab, m.right, mergesOrigin, m.where, vocabOrigin);
            Integer merged = vocab.get(m.left + m.right);
            if (merged == null)
                throw new IllegalArgumentException(mergesOrigin + " " + m.where + ": merging '" + m.left + "' and '" + m.right + "' makes '"
                        + m.left + m.right + "', which is not in the vocabulary (" + vocabOrigin + ")");
            result[r] = merged;
        }
        return new ByteLevelBpeTokenizer(byId, bytes, special, left, right, result, addPrefixSpace, ignoreMerges);
    }

    private static void place(String[] byId, String token, int id, String origin) {
        if (id >= byId.length)
            throw new IllegalArgumentException(origin + ": token '" + token + "' has id " + id + ", but " + byId.length
                    + " tokens must have the ids 0.." + (byId.length - 1) + " without gaps");
        if (byId[id] != null) throw new IllegalArgumentException(origin + ": id " + id + " is given to both '" + byId[id] + "' and '" + token + "'");
        byId[id] = token;
    }

    private static int idOf(Map<String, Integer> vocab, String token, String mergesOrigin, String where, String vocabOrigin) {
        Integer id = vocab.get(token);
        if (id == null) throw new IllegalArgumentException(mergesOrigin + " " + where + ": token '" + token + "' is not in the vocabulary (" + vocabOrigin + ")");
        return id;
    }

    private static Map<String, Integer> readVocab(JsonNode obj, String origin, String field) {
        Map<String, Integer> vocab = new LinkedHashMap<>(obj.size() * 2);
        for (Iterator<Map.Entry<String, JsonNode>> it = obj.fields(); it.hasNext(); ) {
            var e = it.next();
            JsonNode v = e.getValue();
            String name = field.isEmpty() ? "token '" + e.getKey() + "'" : field + "['" + e.getKey() + "']";
            if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < 0)
                throw new IllegalArgumentException(origin + ": " + name + " must have a non-negative integer id, got " + v);
            vocab.put(e.getKey(), v.asInt());
        }
        return vocab;
    }

    private static JsonNode parseJson(Path file) throws IOException {
        String text = readUtf8(file);
        try {
            JsonNode node = Json.parse(text);
            if (node == null || node.isMissingNode()) throw new IllegalArgumentException(file + ": empty file, expected JSON");
            return node;
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            String where = at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
            throw new IllegalArgumentException(file + ": not valid JSON" + where + ": " + e.getOriginalMessage());
        }
    }

    private static String readUtf8(Path file) throws IOException {
        long size = Files.size(file);
        if (size > MAX_FILE_BYTES) throw new IOException(file + ": " + size + " bytes is too large for a tokenizer file (limit " + MAX_FILE_BYTES + ")");
        return decodeUtf8(Files.readAllBytes(file), file);
    }

    /** The bytes of file as strict UTF-8 (a malformed sequence is an error naming the file, not U+FFFD). */
    static String decodeUtf8(byte[] bytes, Path file) throws IOException {
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new IOException(file + ": not valid UTF-8", e);
        }
    }

    private static String kind(JsonNode n) {
        return n == null || n.isMissingNode() ? "nothing" : n.getNodeType().toString().toLowerCase();
    }
}
