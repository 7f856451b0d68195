// Where tokenizer tests find the public files of ../shared/data (the mirror), loaded once per run.
package org.llm4j.tokenizer;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

final class TestData {
    private static ByteLevelBpeTokenizer gpt2;

    private TestData() {}

    // Surefire passes $LLM4J_DATA_MIRROR as -Dllm4j.data.mirror; unset, it arrives as "${env...}".
    static Path mirror() {
        String m = System.getProperty("llm4j.data.mirror", "");
        assumeTrue(!m.isBlank() && !m.startsWith("${") && Files.isDirectory(Path.of(m)),
                "set LLM4J_DATA_MIRROR to ../shared/data (bin/test does) to run the GPT-2 tokenizer tests");
        return Path.of(m);
    }

    static Path gpt2Dir() {
        return mirror().resolve("gpt2-tokenizer");
    }

    static synchronized ByteLevelBpeTokenizer gpt2() {
        if (gpt2 == null) {
            try {
                gpt2 = ByteLevelBpeTokenizer.load(gpt2Dir().resolve("tokenizer.json"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return gpt2;
    }

    static String shakespeare() throws IOException {
        return Files.readString(mirror().resolve("tinyshakespeare/input.txt"), StandardCharsets.UTF_8);
    }

    // Chinese, emoji (with ZWJ sequences and skin tones), combining marks, control characters,
    // Unicode spaces, long whitespace runs, numbers in several scripts, contractions, code.
    static final String MIXED = String.join("",
            "我想在apple工作1314151天～ 你好，世界！这是一个测试。\n",
            "😀 😁 👩‍👩‍👧‍👦 👍🏽 🏳️‍🌈 🇫🇷 ❤️ 🫠\n",
            "e\u0301 a\u0308\u0323 Z\u0351\u0354\u0325 ñ vs n\u0303 — café, naïve, Ångström\n",
            "ctrl:\u0000\u0001\u0007\u0008\u000B\u000C\u001B\u001C\u001F\u007F\u0085 tab\tend\r\nCRLF\r\n",
            "nbsp\u00A0x ideographic\u3000space line\u2028sep para\u2029sep thin\u2009space\u202Fnarrow\n",
            "          ten spaces\n\n\n\n\t\t\t\t  \t \n", " ".repeat(200), "x", "\n".repeat(50), "y\t\t\t \n ",
            "123 4567 89012345 3.14159 1,000,000 ½ ² Ⅻ ٣٤٥ ३४५ ১২৩ 0x7fff -42 1e-10\n",
            "I'm you're we've they'll he'd it's don't can't 'tis 'S 'LL O'Neill rock'n'roll ''' '' '\n",
            "I'VE 'Re 's's 'd'd ' s '\n",
            "def f(x):\n    return x**2  # comment\n\tif (a && b) { c->d[i] = e::g<h>(); }\n",
            "Здравствуйте, мир! Γειά σου Κόσμε! مرحبا بالعالم שלום עולם नमस्ते दुनिया こんにちは世界 안녕하세요 세계\n",
            "ក្រុមហ៊ុន ສະບາຍດີ ᚠᛇᚻ ꧁꧂ 𝕳𝖊𝖑𝖑𝖔 𝟙𝟚𝟛 𐍈 \uD83D\uDE00\n",
            "<|endoftext|> is text here <|endoftext|>\n",
            "------======= ''''''```````\"\"\"\"......!!!!!!?????? <<<>>>||| ~~~ ___ ***\n");
}
