// The unmodified npm `openai` package against `llm4j serve`: completion, chat, streamed chat with usage,
// streamed completion (equal to the plain one for the same seed), and an error in OpenAI's shape.
// Run through tools/openai-npm/run.sh.
import OpenAI from 'openai';
const client = new OpenAI({baseURL: process.env.LLM4J_URL ?? 'http://127.0.0.1:18082/v1', apiKey: 'k1', maxRetries: 0});
const c = await client.completions.create({model: 'tiny', prompt: 'hello', max_tokens: 8, seed: 1});
console.log('completion', JSON.stringify(c.choices[0].text), c.usage);
const ch = await client.chat.completions.create({model: 'tiny', messages: [{role: 'user', content: 'hi'}], max_tokens: 8, seed: 1});
console.log('chat', JSON.stringify(ch.choices[0].message.content), ch.choices[0].finish_reason);
const s = await client.chat.completions.create({model: 'tiny', messages: [{role: 'user', content: 'hi'}], max_tokens: 8, seed: 1, stream: true, stream_options: {include_usage: true}});
let text = '', usage = null;
for await (const chunk of s) { for (const x of chunk.choices) text += x.delta.content ?? ''; if (chunk.usage) usage = chunk.usage; }
console.log('chat stream', JSON.stringify(text), usage);
const cs = await client.completions.create({model: 'tiny', prompt: 'hello', max_tokens: 8, seed: 1, stream: true});
let t2 = ''; for await (const chunk of cs) t2 += chunk.choices[0]?.text ?? '';
console.log('completion stream equal:', t2 === c.choices[0].text);
try { await client.completions.create({model: 'tiny', prompt: 'x', max_tokens: -3}); } catch (e) { console.log('error', e.status, e.error?.param, e.message); }
