// llama.cpp (node-llama-cpp's prebuilt CPU binaries) on a GGUF file: greedy continuation of given token ids, its own
// tokenization of a text, or llama-bench-like speed figures. Run through tools/llamacpp/run.sh, or directly:
//   node llamacpp.mjs greedy --model F.gguf --ids 1,403,9 --n 32 [--text "Once upon"] [--threads 2] [--kv f16] [--fa on]
//   node llamacpp.mjs greedy --model F.gguf --ids 1,403 --expect 9,12,.. [--expect-logprobs -0.1,..] [--tie 0.05]
//   node llamacpp.mjs tokenize --model F.gguf --text "Once upon"
//   node llamacpp.mjs bench  --model F.gguf --pp 512 --tg 128 --reps 3 [--threads 2]
// greedy prints one JSON line: {"ids": [...], "margins": [...], "tokenized": [...]} where margins[i] is the top-1 minus
// top-2 raw logit at step i (small margins mean a near tie, where float rounding may pick another token); with --expect
// also a verdict (PASS, TIE or FAIL, see below), the first divergence and the largest log-probability difference.
// bench prints one JSON line with pp and tg tokens/s (median over --reps runs, each run on a fresh sequence).
import {getLlama, LlamaLogLevel} from 'node-llama-cpp';

const args = process.argv.slice(2);
const mode = args.shift();
const opt = {threads: '2', n: '32', pp: '512', tg: '128', reps: '3'};
while (args.length) {
  const k = args.shift();
  if (!k.startsWith('--') || !args.length) fail(`bad argument ${k}`);
  opt[k.slice(2)] = args.shift();
}
function fail(msg) { console.error('llamacpp.mjs: ' + msg); process.exit(2); }
if (!['greedy', 'bench', 'tokenize'].includes(mode)) fail('mode must be greedy, tokenize or bench');
if (!opt.model) fail('--model FILE.gguf is required');
const threads = Number(opt.threads);


// build: 'never' and gpu: false: the prebuilt CPU binary from @node-llama-cpp/linux-x64 or an error, never a source build.
const llama = await getLlama({gpu: false, build: 'never', usePrebuiltBinaries: true, logLevel: LlamaLogLevel.error});
const model = await llama.loadModel({modelPath: opt.model, gpuLayers: 0, useMmap: true});
const nVocab = model.fileInfo.metadata?.tokenizer?.ggml?.tokens?.length ?? Infinity;

function argmax2(logits) {
  let best = -1, bv = -Infinity, sv = -Infinity;
  for (const [tok, v] of logits) {
    if (v > bv || (v === bv && tok < best)) { sv = bv; bv = v; best = tok; } else if (v > sv) sv = v;
  }
  return [best, bv - sv];
}

if (mode === 'tokenize' || mode === 'greedy') {
  const out = {};
  if (opt.text !== undefined) {
    out.tokenized = Array.from(model.tokenize(opt.text));
    if (model.tokens.shouldPrependBosToken) out.tokenized.unshift(model.tokens.bos);
  }
  if (mode === 'greedy') {
    const ids = (opt.ids ?? '').split(',').filter(s => s.length).map(Number);
    if (!ids.length || ids.some(x => !Number.isInteger(x) || x < 0 || x >= nVocab)) fail('--ids must be comma-separated token ids');
    // --expect IDS: another engine's greedy continuation; compare token by token over its length.
    const expect = opt.expect === undefined ? null : opt.expect.split(',').filter(x => x.length).map(Number);
    const n = expect ? expect.length : Number(opt.n);
    // Attention in float32 as llm4j computes it: KV cache f32 (--kv; llama.cpp's default is f16) and no flash attention
    // (--fa on: its CPU path rounds Q and the V sums to f16, which moves log-probabilities by ~1e-3 after 40 tokens).
    const kv = (opt.kv ?? 'f32').toUpperCase();
    const context = await model.createContext({contextSize: Math.max(64, ids.length + n + 8), batchSize: 512, threads, sequences: 1,
      experimentalKvCacheKeyType: kv, experimentalKvCacheValueType: kv, flashAttention: opt.fa === 'on'});
    const seq = context.getSequence();
    // --expect: teacher-forced, every step continues the other engine's sequence, so each step is compared on the same
    // context and one near-tie does not derail the rest. Without it llama.cpp feeds its own choice (free-running).
    // --expect-logprobs: the other engine's log-probabilities of its tokens, compared with llama.cpp's of the same tokens.
    const expectLp = opt['expect-logprobs'] === undefined ? null : opt['expect-logprobs'].split(',').map(Number);
    const gen = [], margins = [], gaps = [], spreads = [], lpDiff = [];
    let input = ids.map((t, i) => i === ids.length - 1 ? [t, {generateNext: {logits: true}}] : t);
    for (let step = 0; step < n; step++) {
      const logits = (await seq.controlledEvaluate(input))[input.length - 1].next.logits;
      const [tok, margin] = argmax2(logits);
      gen.push(tok);
      margins.push(Number(margin.toFixed(5)));
      if (expect) gaps.push(Number((logits.get(tok) - (logits.get(expect[step]) ?? -Infinity)).toFixed(5)));
      let m1 = 0, m2 = 0;
      for (const v of logits.values()) { m1 += v; m2 += v * v; }
      if (expectLp) {
        let mx = -Infinity, z = 0;
        for (const v of logits.values()) mx = Math.max(mx, v);
        for (const v of logits.values()) z += Math.exp(v - mx);
        lpDiff.push(Math.abs(logits.get(expect[step]) - mx - Math.log(z) - expectLp[step]));
      }
      spreads.push(Math.sqrt(Math.max(0, m2 / logits.size - (m1 / logits.size) ** 2))); // standard deviation of the logits
      input = [[expect ? expect[step] : tok, {generateNext: {logits: true}}]];
    }
    out.ids = gen;
    out.margins = margins;
    out.min_margin = Math.min(...margins);
    if (expect) {
      // PASS: the same token at every step, so the free-running greedy continuations are equal. TIE: where they differ,
      // llama.cpp's logit for the other engine's token is within --tie (default 0.05) standard deviations of this step's
      // logits of its own top logit: a near-tie that float rounding decides (random weights give near-uniform logits).
      const tie = Number(opt.tie ?? 0.05);
      const rel = k => gaps[k] / spreads[k];
      const diff = gen.map((t, k) => k).filter(k => gen[k] !== expect[k]);
      out.verdict = !diff.length ? 'PASS' : diff.every(k => rel(k) <= tie) ? 'TIE' : 'FAIL';
      out.same_tokens = diff.length ? diff[0] : n;
      out.steps_differing = diff.length;
      out.max_gap = diff.length ? Math.max(...diff.map(k => gaps[k])) : 0;
      out.max_gap_in_sd = diff.length ? Number(Math.max(...diff.map(rel)).toPrecision(3)) : 0;
      if (expectLp) out.max_logprob_diff = Number(Math.max(...lpDiff).toPrecision(3));
      out.median_logit_sd = Number([...spreads].sort((a, b) => a - b)[spreads.length >> 1].toPrecision(3));
      if (diff.length) out.first_divergence = {step: diff[0], expected: expect[diff[0]], llamacpp: gen[diff[0]], logit_gap: gaps[diff[0]]};
    }
    await context.dispose();
  }
  console.log(JSON.stringify(out));
} else {
  const pp = Number(opt.pp), tg = Number(opt.tg), reps = Number(opt.reps);
  const context = await model.createContext({contextSize: pp + tg + 16, batchSize: Math.max(pp, 1), threads, sequences: 1});
  // Random ids as llama-bench uses (it fills the batch with random tokens); fixed seed, skipping the first 3 ids.
  let s = 7;
  const rand = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  const prompt = Array.from({length: pp}, () => 3 + Math.floor(rand() * (Math.min(nVocab, 32000) - 3)));
  const median = a => { const b = [...a].sort((x, y) => x - y); return b[Math.floor(b.length / 2)]; };
  const ppRates = [], tgRates = [];
  for (let r = -1; r < reps; r++) { // run -1 is an untimed warm-up
    const seq = context.getSequence();
    if (pp > 0) {
      const t0 = process.hrtime.bigint();
      await seq.evaluateWithoutGeneratingNewTokens(prompt);
      const sec = Number(process.hrtime.bigint() - t0) / 1e9;
      if (r >= 0) ppRates.push(pp / sec);
      await seq.clearHistory();
    }
    if (tg > 0) {
      // tg as llama-bench: one token in, one out, tg times, from an empty context; greedy, no penalties.
      let tok = 1, k = 0;
      const t0 = process.hrtime.bigint();
      const it = seq.evaluate([tok], {temperature: 0});
      for await (const t of it) { if (++k >= tg) break; }
      const sec = Number(process.hrtime.bigint() - t0) / 1e9;
      if (r >= 0) tgRates.push(tg / sec);
      await seq.clearHistory();
    }
    seq.dispose();
  }
  const round = x => Number(x.toFixed(2));
  console.log(JSON.stringify({model: opt.model, threads, pp, tg, reps,
    pp_tokens_per_s: ppRates.length ? round(median(ppRates)) : null, pp_runs: ppRates.map(round),
    tg_tokens_per_s: tgRates.length ? round(median(tgRates)) : null, tg_runs: tgRates.map(round)}));
  await context.dispose();
}
await model.dispose();
await llama.dispose();
