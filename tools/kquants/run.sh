#!/usr/bin/env bash
# Regenerates llm4j-kernels/src/test/resources/org/llm4j/kernels/kquants.bin, the Q4_K / Q6_K / Q8_K parity fixture,
# from llama.cpp's reference quantizers and dot products: the prebuilt libggml-base / libggml-cpu that
# tools/llamacpp installs from npm (pinned there), linked by a small C program (make_fixtures.c). Needs gcc.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cache="${LLM4J_CACHE:-$HOME/.cache/llm4j}/tools/llamacpp"
[ -d "$cache/node_modules/@node-llama-cpp/linux-x64" ] || "$root/tools/llamacpp/run.sh" none >/dev/null 2>&1 || true
lib="$cache/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64"
[ -f "$lib/libggml-base.so" ] || { echo "llama.cpp's libraries are missing under $lib (run tools/llamacpp/run.sh once)" >&2; exit 1; }
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
# -ffp-contract=off: no fused multiply-adds in this program (the generated values come from the libraries anyway)
gcc -O1 -ffp-contract=off -o "$work/make_fixtures" "$here/make_fixtures.c" -L"$lib" -l:libggml-base.so -l:libggml-cpu-x64.so -lm -Wl,-rpath,"$lib"
out="$root/llm4j-kernels/src/test/resources/org/llm4j/kernels/kquants.bin"
mkdir -p "$(dirname "$out")"
"$work/make_fixtures" "$out.tmp" && mv "$out.tmp" "$out"
echo "wrote $out ($(stat -c %s "$out") bytes)"
