# Beam search as Hugging Face transformers does it (GenerationMixin._beam_search with
# BeamSearchScorer and BeamHypotheses, and the RepetitionPenalty, NoRepeatNGram and MinNewTokens
# logits processors), run on the tiny GPT-2 fixture, and HF's sampling warpers (temperature, top_k,
# top_p, min_p, typical_p, with min_tokens_to_keep) on random logits; writes gpt_beam_search.json,
# which llm4j's BeamSearchParityTest and WarperParityTest must match.
# Run from the repository root:  /usr/bin/python3 tools/pytorch/generate_reference.py
#
# NOTE: transformers cannot be installed here, so its beam search is written out below, following
# transformers 4.40's generation/beam_search.py and utils.py step for step. The model runs in
# float64 from the stored float32 weights (as make_fixtures.py does) and its logits are rounded to
# float32; from there on the arithmetic is HF's float32 (log_softmax, processors, beam sums).
# One deliberate difference: a hypothesis that ends in EOS is written with the EOS id that ended
# it, where HF's output puts eos_token_id[0] in that slot (the same id when there is one EOS).

import json
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gpt_reference import GPTConfig, GPT2LMHeadModel, load_safetensors  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
FIXTURES = os.path.join(ROOT, "llm4j-core", "src", "test", "resources", "fixtures")


def load_tiny_gpt():
    tensors, meta = load_safetensors(os.path.join(FIXTURES, "gpt_tiny.safetensors"))
    hf = json.loads(meta["config"])
    cfg = GPTConfig(**{k: hf[k] for k in ("vocab_size", "n_positions", "n_embd", "n_layer", "n_head",
                                          "layer_norm_epsilon", "activation_function")})
    model = GPT2LMHeadModel(cfg)
    state = {n: torch.from_numpy(tensors[n].copy()) for n in model.state_dict()}
    model.load_state_dict(state)
    return cfg, model.double().eval()


class BeamHypotheses:
    """transformers BeamHypotheses: the num_beams best finished hypotheses of one prompt."""

    def __init__(self, num_beams, length_penalty, early_stopping, max_length):
        self.num_beams, self.length_penalty = num_beams, length_penalty
        self.early_stopping, self.max_length = early_stopping, max_length
        self.beams, self.worst_score = [], 1e9

    def add(self, hyp, sum_logprobs, generated_len, reason):
        score = sum_logprobs / (generated_len ** self.length_penalty)
        if len(self.beams) < self.num_beams or score > self.worst_score:
            self.beams.append((score, hyp, reason))
            if len(self.beams) > self.num_beams:
                sorted_next_scores = sorted([(s, idx) for idx, (s, _, _) in enumerate(self.beams)])
                del self.beams[sorted_next_scores[0][1]]
                self.worst_score = sorted_next_scores[1][0]
            else:
                self.worst_score = min(score, self.worst_score)

    def is_done(self, best_sum_logprobs, cur_len, decoder_prompt_len):
        if len(self.beams) < self.num_beams:
            return False
        if self.early_stopping is True:
            return True
        if self.early_stopping is False:
            highest = best_sum_logprobs / (cur_len - decoder_prompt_len) ** self.length_penalty
        elif self.length_penalty > 0.0:  # "never"
            highest = best_sum_logprobs / (self.max_length - decoder_prompt_len) ** self.length_penalty
        else:
            highest = best_sum_logprobs / (cur_len - decoder_prompt_len) ** self.length_penalty
        return self.worst_score >= highest


def repetition_penalty(input_ids, scores, penalty):
    score = torch.gather(scores, 1, input_ids)
    score = torch.where(score < 0, score * penalty, score / penalty)
    return scores.scatter(1, input_ids, score)


def no_repeat_ngram(input_ids, scores, n):
    cur_len = input_ids.shape[-1]
    if cur_len + 1 < n:
        return scores
    for b, row in enumerate(input_ids.tolist()):
        ngrams = {}
        for i in range(len(row) - n + 1):
            ngram = tuple(row[i:i + n])
            ngrams.setdefault(ngram[:-1], []).append(ngram[-1])
        banned = ngrams.get(tuple(row[cur_len + 1 - n:cur_len]), [])
        scores[b, banned] = -float("inf")
    return scores


def beam_search(model, prompt, num_beams, max_new_tokens, eos=(), length_penalty=1.0, early_stopping=False,
                num_return_sequences=1, rep_penalty=1.0, no_repeat_ngram_size=0, min_new_tokens=0):
    vocab = model.config.vocab_size
    p_len = len(prompt)
    max_length = p_len + max_new_tokens
    input_ids = torch.tensor([prompt] * num_beams, dtype=torch.long)          # (B, T)
    beam_scores = torch.zeros(num_beams, dtype=torch.float32)
    beam_scores[1:] = -1e9                                                     # only beam 0 is live at first
    hyps = BeamHypotheses(num_beams, length_penalty, early_stopping, max_length)
    done, min_gap = False, float("inf")
    k = max(2, 1 + len(eos)) * num_beams
    while True:
        with torch.no_grad():
            logits, _ = model(input_ids)
        scores = F.log_softmax(logits[:, -1, :].float(), dim=-1)              # (B, V) float32
        if rep_penalty != 1.0:
            scores = repetition_penalty(input_ids, scores, rep_penalty)
        if no_repeat_ngram_size > 0:
            scores = no_repeat_ngram(input_ids, scores, no_repeat_ngram_size)
        if min_new_tokens > 0 and input_ids.shape[-1] - p_len < min_new_tokens:
            scores[:, list(eos)] = -float("inf")
        next_scores = (scores + beam_scores[:, None]).view(1, num_beams * vocab)
        top, next_tokens = torch.topk(next_scores, k + 1, dim=1, largest=True, sorted=True)
        finite = top[0][torch.isfinite(top[0]) & (top[0] > -1e8)]
        if len(finite) > 1:
            min_gap = min(min_gap, (finite[:-1] - finite[1:]).min().item())
        next_scores, next_tokens = top[:, :k], next_tokens[:, :k]
        next_indices = torch.div(next_tokens, vocab, rounding_mode="floor")
        next_tokens = next_tokens % vocab

        # BeamSearchScorer.process
        cur_len = input_ids.shape[-1] + 1
        nb_scores, nb_tokens, nb_indices = [], [], []
        for rank in range(k):
            tok, sc, idx = next_tokens[0, rank].item(), next_scores[0, rank], next_indices[0, rank].item()
            if tok in eos:
                if rank >= num_beams:
                    continue
                hyps.add(input_ids[idx].tolist() + [tok], sc.item(), cur_len - p_len, "eos")
            else:
                nb_scores.append(sc)
                nb_tokens.append(tok)
                nb_indices.append(idx)
            if len(nb_tokens) == num_beams:
                break
        done = done or hyps.is_done(next_scores[0].max().item(), cur_len, p_len)
        input_ids = torch.cat([input_ids[nb_indices], torch.tensor(nb_tokens).unsqueeze(-1)], dim=-1)
        beam_scores = torch.stack(nb_scores)
        if done or input_ids.shape[-1] >= max_length:
            break

    # BeamSearchScorer.finalize
    if not done:
        for b in range(num_beams):
            hyps.add(input_ids[b].tolist(), beam_scores[b].item(), input_ids.shape[-1] - p_len, "length")
    ranked = sorted(hyps.beams, key=lambda x: x[0])
    out = []
    for _ in range(num_return_sequences):
        score, hyp, reason = ranked.pop()
        out.append({"tokens": hyp[p_len:], "score": round(score, 6), "finish_reason": reason})
    return out, min_gap


# ---------------------------------------------------------------------------------------------
# Sampling warpers, as transformers 4.40's generation/logits_process.py; each maps scores (1, V)
# to scores with the removed tokens at -inf.

def top_k_warper(scores, top_k, min_keep=1):
    top_k = min(max(top_k, min_keep), scores.size(-1))
    remove = scores < torch.topk(scores, top_k)[0][..., -1, None]
    return scores.masked_fill(remove, -float("inf"))


def top_p_warper(scores, top_p, min_keep=1):
    sorted_logits, sorted_indices = torch.sort(scores, descending=False)
    cumulative_probs = sorted_logits.softmax(dim=-1).cumsum(dim=-1)
    sorted_remove = cumulative_probs <= (1 - top_p)
    sorted_remove[..., -min_keep:] = 0
    remove = sorted_remove.scatter(1, sorted_indices, sorted_remove)
    return scores.masked_fill(remove, -float("inf"))


def min_p_warper(scores, min_p, min_keep=1):
    probs = torch.softmax(scores, dim=-1)
    top_probs, _ = probs.max(dim=-1, keepdim=True)
    remove = probs < min_p * top_probs
    sorted_indices = torch.argsort(scores, descending=True, dim=-1)
    sorted_remove = torch.gather(remove, dim=-1, index=sorted_indices)
    sorted_remove[..., :min_keep] = False
    remove = sorted_remove.scatter(1, sorted_indices, sorted_remove)
    return scores.masked_fill(remove, -float("inf"))


def typical_warper(scores, mass, min_keep=1):
    normalized = F.log_softmax(scores, dim=-1)
    p = torch.exp(normalized)
    ent = -(normalized * p).nansum(-1, keepdim=True)
    shifted_scores = torch.abs((-normalized) - ent)
    sorted_scores, sorted_indices = torch.sort(shifted_scores, descending=False)
    sorted_logits = scores.gather(-1, sorted_indices)
    cumulative_probs = sorted_logits.softmax(dim=-1).cumsum(dim=-1)
    last_ind = (cumulative_probs < mass).sum(dim=1)
    last_ind.clamp_(max=sorted_scores.shape[-1] - 1)
    sorted_remove = sorted_scores > sorted_scores.gather(1, last_ind.view(-1, 1))
    sorted_remove[..., :min_keep] = 0
    remove = sorted_remove.scatter(1, sorted_indices, sorted_remove)
    return scores.masked_fill(remove, -float("inf"))


def warper_cases():
    """Random logits (V = 50) through each warper alone and through the whole sampling chain."""
    gen = torch.Generator().manual_seed(99)
    configs = [
        dict(top_k=5), dict(top_p=0.8), dict(min_p=0.1), dict(typical_p=0.7), dict(typical_p=0.3),
        dict(top_p=0.3, min_keep=3), dict(top_k=1, min_keep=2), dict(typical_p=0.2, min_keep=4), dict(min_p=0.6, min_keep=3),
        dict(temperature=0.7, top_k=20, top_p=0.9, min_p=0.05, typical_p=0.95),
        dict(temperature=1.6, top_p=0.95, typical_p=0.9),
    ]
    out = []
    for c in configs:
        for _ in range(3):
            logits = (torch.randn(1, 50, generator=gen) * 2.5).float()
            s = logits.clone()
            k = c.get("min_keep", 1)
            if "temperature" in c:
                s = s / c["temperature"]
            if "top_k" in c:
                s = top_k_warper(s, c["top_k"], k)
            if "top_p" in c:
                s = top_p_warper(s, c["top_p"], k)
            if "min_p" in c:
                s = min_p_warper(s, c["min_p"], k)
            if "typical_p" in c:
                s = typical_warper(s, c["typical_p"], k)
            out.append({"config": c, "logits": logits[0].tolist(),
                        "kept": [i for i in range(50) if torch.isfinite(s[0, i])],
                        "scores": [v if v != -float("inf") else None for v in s[0].tolist()]})
    return out


def main():
    cfg, model = load_tiny_gpt()
    prompt = [7, 42, 13]
    # The first case has no EOS; its best beam's first and last tokens then serve as EOS ids, so
    # that hypotheses really do end early in the other cases.
    first, _ = beam_search(model, prompt, 4, 10, num_return_sequences=2)
    e1, e2 = first[0]["tokens"][0], first[0]["tokens"][-1]
    assert e1 != e2, (e1, e2)
    cases = [
        dict(num_beams=4, max_new_tokens=10, num_return_sequences=2),
        dict(num_beams=3, max_new_tokens=10, eos=[e2], num_return_sequences=3),
        dict(num_beams=3, max_new_tokens=12, eos=[e1, e2], length_penalty=2.0, early_stopping="never", num_return_sequences=2),
        dict(num_beams=4, max_new_tokens=9, eos=[e2], length_penalty=-0.5, early_stopping=True, num_return_sequences=2),
        dict(num_beams=4, max_new_tokens=10, eos=[e2], rep_penalty=1.5, no_repeat_ngram_size=2, min_new_tokens=3,
             num_return_sequences=4),
        dict(num_beams=2, max_new_tokens=8, eos=[e2], length_penalty=0.0, early_stopping=False, num_return_sequences=1),
    ]
    docs = []
    for c in cases:
        seqs, gap = beam_search(model, prompt, **c)
        doc = {"num_beams": c["num_beams"], "max_new_tokens": c["max_new_tokens"],
               "eos_token_id": c.get("eos", []), "length_penalty": c.get("length_penalty", 1.0),
               "early_stopping": {True: "true", False: "false", "never": "never"}[c.get("early_stopping", False)],
               "num_return_sequences": c["num_return_sequences"],
               "repetition_penalty": c.get("rep_penalty", 1.0),
               "no_repeat_ngram_size": c.get("no_repeat_ngram_size", 0),
               "min_new_tokens": c.get("min_new_tokens", 0),
               "sequences": seqs, "min_candidate_gap": round(gap, 6)}
        docs.append(doc)
        print(f"  beams {c}: {[(s['tokens'], s['finish_reason'], s['score']) for s in seqs]} (smallest gap {gap:.2e})")
    warpers = warper_cases()
    print(f"  warpers: {len(warpers)} cases, kept counts {[len(w['kept']) for w in warpers]}")
    doc = {"description": "Hugging Face beam search (BeamSearchScorer) on gpt_tiny.safetensors, and the "
                          "sampling warpers on random logits; see tools/pytorch/generate_reference.py",
           "prompt": prompt, "cases": docs, "warpers": warpers}
    # One case a line: easy to read in a diff. Logits are float32 values written exactly.
    text = "{\n" + ",\n".join(
        f"  {json.dumps(k)}: " + ("[\n" + ",\n".join("    " + json.dumps(x) for x in v) + "\n  ]" if isinstance(v, list) and v and isinstance(v[0], dict) else json.dumps(v))
        for k, v in doc.items()) + "\n}\n"
    with open(os.path.join(FIXTURES, "gpt_beam_search.json"), "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
