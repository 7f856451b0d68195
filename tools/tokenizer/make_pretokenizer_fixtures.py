# Reference pieces for llm4j's byte-level pre-tokenizers (ByteLevelPreTokenizer): GPT-2's, Llama 3's
# (llama.cpp "llama-bpe", tiktoken cl100k_base) and Qwen2's patterns, split by Python's `regex`
# module (what Hugging Face's pattern author and tiktoken use) over a varied text set: contractions
# in both cases, letters of many scripts, digit runs, punctuation with newlines, every kind of
# white space, emoji (astral code points) and combining marks.
# Writes llm4j-core/src/test/resources/fixtures/pretokenizer_pieces.json; run from the repository
# root with /usr/bin/python3 tools/tokenizer/make_pretokenizer_fixtures.py (needs python3-regex).

import json

import regex

PATTERNS = {
    "gpt-2": r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""",
    "llama-bpe": r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+""",
    "qwen2": r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+""",
}

TEXTS = [
    "Hello world! It's a test.",
    "I'M SURE THEY'LL SAY WE'VE DONE IT, DON'T YOU THINK? 'S 'T 'Re",
    "x'sy 'ſ 'ſt ’s",
    "The year 2024 had 365 days; 1234567 is seven digits, 3.14159 and 1,000,000.",
    "١٢٣٤٥ ٦٧ and ⅫⅪ ² ³ ½ numbers",
    "  leading spaces,   three inside,\ttab\t\tand trailing   ",
    "line one\nline two\n\n\nafter blank lines\r\nwindows\r\n",
    "punctuation!!!\n\n(brackets) [x] {y} <z> --- ... ?!",
    "Ελληνικά κείμενο, русский текст, עברית, العربية",
    "中文没有空格。日本語のテキスト、カタカナ。한국어 문장입니다.",
    "emoji 😀😃 👍🏽 family 👨‍👩‍👧 flags 🇫🇷 ok",
    "e\u0301 combining: cafe\u0301 nai\u0308ve; precomposed: café",
    "nbsp:\u00a0here, thin\u2009space, ideographic\u3000space, line\u2028sep",
    "tabs\t\t\tand\u000b vertical \u000c form feed \u0085 next line",
    "   ",
    "\n",
    "a",
    "don't\n\n  won't  \n",
    "$100.00 + 20% = ~$120; email@example.com #hashtag @user",
    "def f(x):\n    return x**2  # comment\n\tpass\n",
    "ÀÉÎÕÜ àéîõü ÇÑ ß ẞ Ǆǅǆ",
    "𝓗𝓮𝓵𝓵𝓸 𝟙𝟚𝟛 mathematical",
    "'ll've'd're's't'm",
    "A1B2C3 123abc abc123 1a2b3c",
    "...\n\n\n",
    " \n \n x",
]


def main():
    cases = []
    for t in TEXTS:
        cases.append({"text": t, "pieces": {name: regex.findall(p, t) for name, p in PATTERNS.items()}})
    out = {"regex_version": regex.__version__, "patterns": PATTERNS, "cases": cases}
    path = "llm4j-core/src/test/resources/fixtures/pretokenizer_pieces.json"
    with open(path, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=True, indent=1)
        f.write("\n")
    print(f"{len(cases)} texts, {sum(len(c['pieces']['llama-bpe']) for c in cases)} llama-bpe pieces -> {path}")


if __name__ == "__main__":
    main()
