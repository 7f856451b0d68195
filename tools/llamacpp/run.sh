#!/usr/bin/env bash
# llama.cpp reads GGUF files written by llm4j and continues them with the same greedy tokens; and llama.cpp's speed on
# this machine beside llm4j's. llama.cpp comes from npm (node-llama-cpp and its prebuilt CPU binary
# @node-llama-cpp/linux-x64, versions pinned in package.json): nothing is built from source or fetched from GitHub.
# Needs node >= 20 and npm. The packages go to ${LLM4J_CACHE:-~/.cache/llm4j}/tools/llamacpp once and are reused.
#
#   tools/llamacpp/run.sh check             greedy parity: stories260K (llama2.c -> GGUF) and a random Llama,
#                                           each in F32, F16, Q8_0, Q4_0, Q4_K, Q6_K, Q4_K_M; prints PASS/FAIL per file and exits 1 on a FAIL
#   tools/llamacpp/run.sh bench [SIZE...]   pp512 / tg tokens/s of llama.cpp and llm4j on the same files, alternating;
#                                           SIZE is 124m and/or 1b (default both), types from TYPES (default "f32 q8_0 q4_0")
# Environment: THREADS (llama.cpp threads, default 2), N (greedy tokens, default 200), WORK (folder for the GGUF
# files, default a temporary one, removed at the end), REPS (bench repetitions, default 3), PP (default 512), TG,
# ROUNDS (llama.cpp then llm4j, this many times; default 2).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
mode="${1:-check}"; shift || true
threads="${THREADS:-2}"
stories="${STORIES:-$root/../shared/data/llama2c-stories260K}"
[ -d "$stories" ] || stories=/work/shared/data/llama2c-stories260K
llm4j() { LLM4J_NO_BUILD="${LLM4J_NO_BUILD:-}" "$root/bin/llm4j" "$@"; }

# llama.cpp from npm: install once into the cache (no postinstall script runs; build: 'never' in llamacpp.mjs).
cache="${LLM4J_CACHE:-$HOME/.cache/llm4j}/tools/llamacpp"
mkdir -p "$cache"
if ! cmp -s "$here/package.json" "$cache/package.json" || [ ! -d "$cache/node_modules/@node-llama-cpp/linux-x64" ]; then
  cp "$here/package.json" "$cache/package.json"
  (cd "$cache" && NODE_LLAMA_CPP_SKIP_DOWNLOAD=true npm install --omit=optional --ignore-scripts --no-audit --no-fund --silent)
fi
cp "$here/llamacpp.mjs" "$cache/llamacpp.mjs"
lcpp() { NODE_LLAMA_CPP_SKIP_DOWNLOAD=true node "$cache/llamacpp.mjs" "$@" --threads "$threads"; }

if [ -n "${WORK:-}" ]; then work="$WORK"; mkdir -p "$work"; else work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT; fi
llm4j --version >/dev/null 2>&1 || true # builds the jar if stale, once, before anything is timed

# One greedy comparison: llm4j continues PROMPT (its own tokenization, BOS first), llama.cpp continues the same ids.
fails=0
compare() { # label file.gguf prompt-text
  local label="$1" file="$2" text="$3" out prompt ids res
  out="$(llm4j generate --model "$file" --prompt "$text" --greedy --max-new-tokens "${N:-200}" --print-ids --logprobs 2>/dev/null)"
  prompt="$(sed -n 's/^prompt ids: \[\(.*\)\]$/\1/p' <<<"$out")"
  ids="$(sed -n 's/^ids: \[\(.*\)\]$/\1/p' <<<"$out")"
  # --logprobs rows: id, "text", model logprob, processed logprob; the text may hold spaces, so count from the end
  lps="$(awk '/^--- logprobs/ {on=1; next} on && /^ *[0-9]+ / {printf "%s%s", sep, $(NF-1); sep=","} /^prompt ids/ {on=0}' <<<"$out")"
  res="$(lcpp greedy --model "$file" --ids "$prompt" --expect "$ids" --expect-logprobs "$lps" --text "$text")"
  node -e '
    const [label, prompt, r] = [process.argv[1], process.argv[2], JSON.parse(process.argv[3])];
    const tok = r.tokenized.join(",") === prompt ? "same prompt tokenization" : "TOKENIZATION DIFFERS: llama.cpp " + r.tokenized.join(",") + " llm4j " + prompt;
    const d = r.first_divergence;
    const div = d ? `; ${r.steps_differing} step(s) pick another token, first at step ${d.step} (llm4j ${d.expected}, llama.cpp ${d.llamacpp}), largest llama.cpp logit gap to the llm4j token ${r.max_gap} = ${r.max_gap_in_sd} logit standard deviations` : "";
    const lp = r.max_logprob_diff === undefined ? "" : `, largest |logprob difference| of the llm4j tokens ${r.max_logprob_diff}`;
    console.log(`${r.verdict} ${label}: ${r.steps_differing ? "the first " + r.same_tokens + " of " + r.ids.length : "all " + r.ids.length} greedy tokens equal, smallest llama.cpp top-2 margin ${r.min_margin} (logit sd ${r.median_logit_sd})${lp}${div}; ${tok}`);
  ' "$label" "$prompt" "$res"
  grep -q '"verdict":"FAIL"' <<<"$res" && fails=$((fails + 1)) || true
}

if [ "$mode" = check ]; then
  for t in f32 f16 q8_0 q4_0 q4_k_m; do   # q4_k_m: stories260K's widths (64) are not 256-value super-blocks, so its matrices take Q8_0
    llm4j quantize --model "$stories/stories260K.bin" --tokenizer "$stories/tok512.bin" --type "$t" --out "$work/stories260K-$t.gguf" >/dev/null
    compare "stories260K $t" "$work/stories260K-$t.gguf" "Once upon a time"
  done
  # Random weights: near-tied logits, so a divergence here is judged by the margin printed beside it.
  for t in f32 f16 q8_0 q4_0 q4_k q6_k q4_k_m; do
    llm4j bench generate --model llama --n-embd 256 --n-layer 4 --n-head 8 --kv-heads 4 --hidden 768 --vocab 1024 --block-size 512 \
      --dtype "$t" --write-gguf "$work/random-llama-$t.gguf" >/dev/null
    compare "random llama (dim 256, 4 layers, 8/4 heads, vocab 1024) $t" "$work/random-llama-$t.gguf" "t300"
  done
  # Hook for GPT-2 (architecture "gpt2", written by llm4j since the wip-arch merge, not yet checked here): e.g.
  #   llm4j bench generate --model gpt2-124m --write-model "$work/gpt2"   (GPT-2's tokenizer from the mirror)
  #   llm4j quantize --model "$work/gpt2" --type "$t" --out "$work/gpt2-$t.gguf"
  #   compare "gpt2 $t" "$work/gpt2-$t.gguf" "Hello, my name is"
  # compare() needs only the file, since both engines read the tokenizer from it.
  [ "$fails" -eq 0 ] && echo "all PASS" || { echo "$fails FAIL"; exit 1; }
elif [ "$mode" = bench ]; then
  sizes=("$@"); [ ${#sizes[@]} -gt 0 ] || sizes=(124m 1b)
  pp="${PP:-512}"; reps="${REPS:-3}"
  echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; llama.cpp threads $threads; node-llama-cpp $(node -p "require('$cache/node_modules/node-llama-cpp/package.json').version")"
  for size in "${sizes[@]}"; do
    case "$size" in
      # GPT-2 small's width and depth as a Llama (SwiGLU 2048 = GPT-2's 3072 GELU MLP in parameters), untied 32k vocabulary: 134M
      124m) shape=(--n-embd 768 --n-layer 12 --n-head 12 --kv-heads 12 --hidden 2048 --vocab 32000); tg="${TG:-128}" ;;
      # Llama 3.2 1B's shape (dim 2048, 16 layers, 32 heads, 8 KV heads, FFN 8192) with a 32k untied vocabulary: 1.10B
      1b) shape=(--n-embd 2048 --n-layer 16 --n-head 32 --kv-heads 8 --hidden 8192 --vocab 32000); tg="${TG:-32}" ;;
      *) echo "unknown size $size (124m or 1b)"; exit 2 ;;
    esac
    for t in ${TYPES:-f32 q8_0 q4_0}; do
      f="$work/bench-$size-$t.gguf"
      [ -f "$f" ] || llm4j bench generate --model llama "${shape[@]}" --block-size 1024 --dtype "$t" --write-gguf "$f" | tail -1
      for r in $(seq 1 "${ROUNDS:-2}"); do # alternate the engines; each reports its own median
        echo "[$size $t run $r] load $(cut -d' ' -f1-3 /proc/loadavg)"
        echo "  llama.cpp: $(lcpp bench --model "$f" --pp "$pp" --tg "$tg" --reps "$reps")"
        echo "  load $(cut -d' ' -f1-3 /proc/loadavg)"
        echo "  llm4j: $(llm4j bench generate --model-dir "$f" --prompt-tokens "$pp" --iters "$tg" --warmup-runs 2 2>/dev/null | grep -E '^(prompt|generate):' | tr '\n' ' ')"
      done
    done
  done
else
  echo "usage: tools/llamacpp/run.sh check | bench [124m] [1b]"; exit 2
fi
