package org.llm4j.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenizerCacheTest {
    private static final String TEXT = "Hello world! It's 2026 — naïve café, 日本語, emoji 🎉\n\n  tabs\tand <|endoftext|> too";

    @Test
    void binaryCopyEncodesAndSavesLikeTheParsedTokenizer() throws Exception {
        ByteLevelBpeTokenizer parsed = TestData.gpt2();
        byte[] src = Files.readAllBytes(TestData.gpt2Dir().resolve("tokenizer.json"));
        TokenizerCache.Key key = TokenizerCache.Key.of(src);
        ByteLevelBpeTokenizer back = TokenizerCache.decode(java.nio.ByteBuffer.wrap(TokenizerCache.encode(parsed, key)), key);
        assertEquals(parsed.vocabSize(), back.vocabSize());
        assertArrayEquals(parsed.encode(TEXT), back.encode(TEXT));
        assertArrayEquals(parsed.encode(TestData.shakespeare().substring(0, 20_000)), back.encode(TestData.shakespeare().substring(0, 20_000)));
        assertEquals(parsed.decode(parsed.encode(TEXT)), back.decode(back.encode(TEXT)));
        assertEquals(parsed.specialTokens(), back.specialTokens());
        assertEquals(parsed.tokenId("Ġthe"), back.tokenId("Ġthe"));
        assertEquals(parsed.toJson(), back.toJson());
    }

    @Test
    void thePreTokenizerAndBosSettingsComeBack() throws Exception {
        ByteLevelBpeTokenizer llama3ish = TestData.gpt2().withPreTokenizer(ByteLevelPreTokenizer.LLAMA3).withSpecialIds(50256, 50256, true);
        TokenizerCache.Key key = TokenizerCache.Key.of(new byte[] {42});
        ByteLevelBpeTokenizer back = TokenizerCache.decode(java.nio.ByteBuffer.wrap(TokenizerCache.encode(llama3ish, key)), key);
        assertEquals(ByteLevelPreTokenizer.LLAMA3, back.preTokenizer());
        assertEquals(50256, back.bosId());
        assertTrue(back.addsBos());
        String digits = "In 2026, 1234567 tokens";   // Llama 3 splits digits in threes, GPT-2 does not
        assertArrayEquals(llama3ish.encode(digits), back.encode(digits));
        assertEquals(50256, back.encode(digits)[0]);
    }

    @Test
    void loadWritesTheCacheOnceAndAnEditedSourceMissesIt(@TempDir Path tmp) throws Exception {
        ByteLevelBpeTokenizer small = ByteLevelBpeTokenizer.of(bytesAnd(List.of("ab", "abc", "<|end|>")), List.of("a b", "ab c"), List.of("<|end|>"));
        Path json = tmp.resolve("tokenizer.json");
        Files.writeString(json, small.toJson());
        Path cacheRoot = tmp.resolve("cache");
        String before = System.getProperty("llm4j.cache"), on = System.getProperty("llm4j.tokenizer.cache");
        System.setProperty("llm4j.cache", cacheRoot.toString());
        System.setProperty("llm4j.tokenizer.cache", "true");
        try {
            Tokenizer first = Tokenizer.load(json);
            Path dir = cacheRoot.resolve("tokenizers");
            List<Path> files;
            try (var s = Files.list(dir)) {
                files = s.toList();
            }
            assertEquals(1, files.size(), "one cache file after the first load");
            Tokenizer second = Tokenizer.load(json);
            assertArrayEquals(first.encode("abcab<|end|>c"), second.encode("abcab<|end|>c"));
            assertArrayEquals(new int[] {small.tokenId("abc"), small.tokenId("ab"), small.tokenId("<|end|>"), small.tokenId("c")}, second.encode("abcab<|end|>c"));

            // A damaged cache file is ignored (the source is parsed again) and rewritten.
            Files.write(files.getFirst(), new byte[] {1, 2, 3});
            assertArrayEquals(first.encode("abcab"), Tokenizer.load(json).encode("abcab"));
            assertTrue(Files.size(files.getFirst()) > 3, "rewritten");

            // A different source has another key: no stale answer.
            ByteLevelBpeTokenizer other = ByteLevelBpeTokenizer.of(bytesAnd(List.of("ab")), List.of("a b"), List.of());
            Files.writeString(json, other.toJson());
            Tokenizer edited = Tokenizer.load(json);
            assertArrayEquals(new int[] {other.tokenId("ab"), other.tokenId("c")}, edited.encode("abc"));
        } finally {
            restore("llm4j.cache", before);
            restore("llm4j.tokenizer.cache", on);
        }
    }

    @Test
    void aForeignOrTruncatedFileIsAMiss(@TempDir Path tmp) throws Exception {
        TokenizerCache cache = new TokenizerCache(tmp);
        ByteLevelBpeTokenizer small = ByteLevelBpeTokenizer.of(bytesAnd(List.of("ab")), List.of("a b"), List.of());
        TokenizerCache.Key key = TokenizerCache.Key.of(small.toJson().getBytes());
        assertNull(cache.get(key));
        cache.put(key, small);
        assertNotNull(cache.get(key));
        assertNull(cache.get(new TokenizerCache.Key(key.size(), key.crc() ^ 1)), "another source's key");
        byte[] whole = Files.readAllBytes(tmp.resolve(key.fileName()));
        for (int cut : new int[] {0, 7, 30, whole.length / 2, whole.length - 1}) {
            Files.write(tmp.resolve(key.fileName()), java.util.Arrays.copyOf(whole, cut));
            assertNull(cache.get(key), "cut at " + cut);
        }
    }

    private static List<String> bytesAnd(List<String> extra) {
        List<String> v = new java.util.ArrayList<>();
        for (int b = 0; b < 256; b++) v.add(String.valueOf(ByteLevel.charOf(b)));
        v.addAll(extra);
        return v;
    }

    private static void restore(String key, String value) {
        if (value == null) System.clearProperty(key);
        else System.setProperty(key, value);
    }
}
