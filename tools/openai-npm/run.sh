#!/usr/bin/env bash
# Drives `llm4j serve` with the unmodified npm `openai` package (from the npm registry): a tiny
# random GPT is written, served with an API key, and check.mjs completes, chats, streams and reads
# an error. Needs node and npm. Usage: tools/openai-npm/run.sh
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
work="$(mktemp -d)"
trap 'kill "${pid:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
"$root/bin/llm4j" bench generate --write-model "$work/model" >/dev/null
port=18082
"$root/bin/llm4j" serve --model "$work/model" --model-name tiny --port "$port" --api-key k1 >"$work/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 120); do
  curl -fs "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
  sleep 0.5
done
cp "$here/package.json" "$here/check.mjs" "$work/"
(cd "$work" && npm install --silent --no-audit --no-fund >/dev/null)
LLM4J_URL="http://127.0.0.1:$port/v1" node "$work/check.mjs"
