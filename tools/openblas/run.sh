#!/usr/bin/env bash
# Compares llm4j's Java matmul (KernelBench) with OpenBLAS cblas_sgemm (sgemm_bench.c) on the same shapes.
#
# Usage: tools/openblas/run.sh [ROUNDS] [THREADS...]     e.g. tools/openblas/run.sh 3 1 2
# Each round runs, for each thread count, OpenBLAS then Java, each in a fresh process, so that a
# noisy episode on the host hits both; the table shows per-figure medians over the rounds and
# the ratio Java / OpenBLAS. Needs gcc and libopenblas-dev (Debian), and JDK 25 (bin/find-jdk.sh).
# Extra KernelBench/sgemm_bench options can be passed in BENCH_ARGS, e.g.
# BENCH_ARGS="--shapes 256x768x2304 --reps 15".
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
rounds="${1:-3}"
shift || true
threads=("$@")
if [ ${#threads[@]} -eq 0 ]; then threads=(1 "$(nproc)"); fi
if [ "${threads[0]}" = "${threads[1]:-}" ]; then threads=(1); fi
bench_args=(${BENCH_ARGS:-})

# OpenBLAS reference: the cblas.h on Debian lives in /usr/include/x86_64-linux-gnu (found by
# default); other layouts keep it in /usr/include/openblas.
build="$root/llm4j-kernels/target/openblas"
mkdir -p "$build"
cflags=(-O2)
[ -d /usr/include/openblas ] && cflags+=(-I/usr/include/openblas)
gcc "${cflags[@]}" "$here/sgemm_bench.c" -o "$build/sgemm_bench" -lopenblas

# Java: the compiled classes of llm4j-kernels (built here when missing).
. "$root/bin/find-jdk.sh"
llm4j_find_jdk
if [ ! -f "$root/llm4j-kernels/target/classes/org/llm4j/kernels/KernelBench.class" ]; then
  (cd "$root" && MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow" mvn -B -ntp -q -pl llm4j-kernels compile)
fi
java_cmd=("$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector -XX:+UseG1GC -Xms2g -Xmx2g
          -cp "$root/llm4j-kernels/target/classes" org.llm4j.kernels.KernelBench)

results="$build/results.csv"
: > "$results"
header_done=0
for ((r = 1; r <= rounds; r++)); do
  for t in "${threads[@]}"; do
    echo "round $r/$rounds, $t thread(s): OpenBLAS, then Java" >&2
    OPENBLAS_NUM_THREADS="$t" "$build/sgemm_bench" --csv --threads "$t" "${bench_args[@]}" > "$build/openblas.out"
    "${java_cmd[@]}" --csv --threads "$t" "${bench_args[@]}" 2>/dev/null > "$build/java.out"
    if [ $header_done -eq 0 ]; then
      grep '^#' "$build/java.out" | sed 's/^# //'
      grep '^#' "$build/openblas.out" | sed 's/^# machine: /openblas: /'
      header_done=1
    fi
    grep -v '^#' "$build/openblas.out" >> "$results"
    grep -v '^#' "$build/java.out" >> "$results"
  done
done

echo
echo "GFLOP/s, median of $rounds rounds (ratio = Java / OpenBLAS); the host is shared, so expect ±10-20% noise"
# Lines: impl,op,m,k,n,threads,gflops -> median per (impl, op, shape, threads), then one row per figure.
sort -t, -k1,1 -k2,2 -k3,3n -k4,4n -k5,5n -k6,6n -k7,7g "$results" | awk -F, '
  { key = $1 "," $2 "," $3 "," $4 "," $5 "," $6
    if (key != last && last != "") flush()
    last = key; v[n++] = $7 }
  function flush() { med = (n % 2) ? v[int(n / 2)] : (v[n / 2 - 1] + v[n / 2]) / 2
                     print last "," med; n = 0 }
  END { if (last != "") flush() }' > "$build/medians.csv"
awk -F, '
  { id = $2 "," $3 "," $4 "," $5 "," $6; g[$1 "," id] = $7; if (!(id in seen)) { seen[id] = 1; order[n++] = id } }
  END {
    printf "%-4s %5s %5s %5s %7s %10s %10s %7s\n", "op", "M", "K", "N", "threads", "Java", "OpenBLAS", "ratio"
    for (i = 0; i < n; i++) {
      split(order[i], f, ",")
      j = g["java," order[i]]; o = g["openblas," order[i]]
      printf "%-4s %5d %5d %5d %7d %10.1f %10.1f %7.2f\n", f[1], f[2], f[3], f[4], f[5], j, o, (o > 0 ? j / o : 0)
    }
  }' "$build/medians.csv"
