#!/usr/bin/env bash
# Side-by-side training throughput: llm4j vs PyTorch (Debian python3-torch) on the same GPT
# configuration and thread count, alternating rounds so host noise hits both alike.
#   tools/bench/compare_train.sh [ROUNDS=5] [THREADS=2] [extra llm4j bench options...]
# Defaults: nanoGPT's shakespeare-char CPU config (4 layers, 4 heads, 128 channels, block 64, batch 12).
# MODEL=lstm compares the char-level 2-layer LSTM LM instead (embedding 128, hidden 512, sequence
# 100, batch 32) with tools/pytorch/bench_lstm_train.py.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
rounds="${1:-5}"; threads="${2:-2}"; shift $(( $# > 2 ? 2 : $# )) || true
data="${LLM4J_DATA_MIRROR:-$root/../shared/data}/tinyshakespeare/input.txt"
py=/usr/bin/python3
"$py" -c "import torch" 2>/dev/null || { echo "needs Debian's python3-torch: apt-get install python3-torch" >&2; exit 1; }
"$root/bin/llm4j" --version >/dev/null
j=(); p=()
for r in $(seq 1 "$rounds"); do
  if [ "${MODEL:-gpt}" = lstm ]; then
    jl=$(LLM4J_JAVA_OPTS="-XX:ActiveProcessorCount=$threads -Dllm4j.threads=$threads" \
         "$root/bin/llm4j" bench train --model lstm --n-layer 2 --n-embd 128 --hidden 512 --block-size 100 --batch-size 32 \
         --iters 30 --warmup 5 "$@" | grep '^train:')
    pl=$("$py" "$root/tools/pytorch/bench_lstm_train.py" --threads "$threads" --iters 30 --data "$data" | tail -n 1)
  else
    jl=$(LLM4J_JAVA_OPTS="-XX:ActiveProcessorCount=$threads -Dllm4j.threads=$threads" \
         "$root/bin/llm4j" bench train --iters 100 --warmup 20 "$@" | grep '^train:')
    pl=$("$py" "$root/tools/pytorch/bench_gpt_train.py" --threads "$threads" --iters 100 --data "$data" | tail -n 1)
  fi
  jt=$(sed -E 's/.* ([0-9]+) tokens\/s.*/\1/' <<<"$jl")
  pt=$(sed -E 's/.*tokens_per_s=([0-9]+).*/\1/' <<<"$pl")
  echo "round $r: llm4j $jt tok/s | pytorch $pt tok/s"
  j+=("$jt"); p+=("$pt")
done
med() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
mj=$(med "${j[@]}"); mp=$(med "${p[@]}")
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; threads $threads; rounds $rounds"
echo "median: llm4j $mj tok/s, pytorch $mp tok/s, ratio $(awk -v a="$mj" -v b="$mp" 'BEGIN {printf "%.2f", a/b}')x"
# Each round pairs two adjacent runs, so its own ratio sees the same host episode on both sides.
rs=(); for i in "${!j[@]}"; do rs+=("$(awk -v a="${j[$i]}" -v b="${p[$i]}" 'BEGIN {printf "%.2f", a/b}')"); done
echo "per-round ratios: ${rs[*]}; median $(med "${rs[@]}")x"
