# The seed example's reference: GPT-2 generate("The quick brown fox", max_length=50), greedy, on a
# small GPT-2-shaped model whose weights come from a formula, so that the Java test can rebuild
# the same checkpoint without a committed weights file (GPT-2's 50,257-row embedding would make
# even a tiny model megabytes). Writes llm4j-core/src/test/resources/fixtures/quick_brown_fox.json.
#
# Formula (the Java test, org.llm4j.format.FormulaGpt2, implements the same one): tensors in
# sorted order of their Hugging Face GPT2LMHeadModel names get salt s = 0, 1, 2, ...; element i
# (row-major) takes u = top 24 bits of splitmix64(s * 2^32 + i) / 2^24, in [0, 1), and
#   layer-norm weights: 1 + (u - 0.5) * 0.2;  biases and layer-norm biases: (u - 0.5) * 0.02;
#   every other tensor: (u - 0.5) * 0.2,
# computed in double precision and rounded once to float32.
#
# Run from the repository root: /usr/bin/python3 tools/pytorch/quick_brown_fox.py

import json
import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
from gpt_reference import GPTConfig, GPT2LMHeadModel, generate_greedy  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "llm4j-core", "src", "test", "resources", "fixtures")
CFG = GPTConfig(vocab_size=50257, n_positions=128, n_embd=64, n_layer=2, n_head=4)
# "The quick brown fox" in GPT-2's vocabulary: The, Ġquick, Ġbrown, Ġfox.
PROMPT = [464, 2068, 7586, 21831]
MAX_LENGTH = 50
M64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def splitmix64(x):
    with np.errstate(over="ignore"):
        z = x + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def formula(name, salt, shape):
    n = int(np.prod(shape))
    i = np.arange(n, dtype=np.uint64)
    u = (splitmix64(np.uint64(salt) * np.uint64(1 << 32) + i) >> np.uint64(40)).astype(np.float64) / float(1 << 24)
    if ("ln_" in name) and name.endswith(".weight"):
        v = 1.0 + (u - 0.5) * 0.2
    elif name.endswith(".bias"):
        v = (u - 0.5) * 0.02
    else:
        v = (u - 0.5) * 0.2
    return torch.from_numpy(v.astype(np.float32).reshape(shape))


def main():
    torch.manual_seed(0)
    model = GPT2LMHeadModel(CFG)
    with torch.no_grad():
        for salt, (name, p) in enumerate(sorted(model.state_dict().items())):
            p.copy_(formula(name, salt, tuple(p.shape)))
    model64 = GPT2LMHeadModel(CFG).double()
    model64.load_state_dict({k: v.double() for k, v in model.state_dict().items()})
    n_new = MAX_LENGTH - len(PROMPT)
    greedy64 = generate_greedy(model64, PROMPT, n_new)
    greedy32 = generate_greedy(model, PROMPT, n_new)
    ids, min_gap = list(PROMPT), math.inf
    with torch.no_grad():
        for tok in greedy64:
            logits, _ = model64(torch.tensor([ids]))
            top2 = torch.topk(logits[0, -1], 2).values
            min_gap = min(min_gap, (top2[0] - top2[1]).item())
            ids.append(tok)
        first_logits, _ = model64(torch.tensor([PROMPT]))
    doc = {
        "description": "GPT-2 generate('The quick brown fox', max_length=50), greedy, float64 reference on the formula "
                       "weights described in tools/pytorch/quick_brown_fox.py",
        "config": json.loads(CFG.to_hf_json()),
        "prompt_ids": PROMPT,
        "max_length": MAX_LENGTH,
        "greedy_ids": greedy64,
        "float32_agrees": greedy32 == greedy64,
        "min_top2_logit_gap": round(min_gap, 6),
        "last_prompt_logits_first8": [round(v, 6) for v in first_logits[0, -1, :8].tolist()],
    }
    text = "{\n" + ",\n".join(f"  {json.dumps(k)}: {json.dumps(v)}" for k, v in doc.items()) + "\n}\n"
    with open(os.path.join(OUT, "quick_brown_fox.json"), "w") as f:
        f.write(text)
    print(f"quick_brown_fox: {greedy64} (float32 agrees: {greedy32 == greedy64}; smallest top-2 gap {min_gap:.4f})")


if __name__ == "__main__":
    main()
