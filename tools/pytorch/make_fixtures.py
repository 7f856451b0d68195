# Regenerates the golden fixtures in llm4j-core/src/test/resources/fixtures/ from PyTorch:
# a tiny GPT-2 and a tiny 2-layer LSTM language model, each with inputs, logits, loss and the
# gradient of the loss for every parameter, plus a greedy-decoding trace for the GPT.
# Run from the repository root:  /usr/bin/python3 tools/pytorch/make_fixtures.py
#
# NOTE: the reference values (logits, loss, gradients, h_n/c_n) are computed in float64 from the
# float32 weights that are stored, then rounded to float32. They are thus the exact function of
# the stored weights to float32 precision, and a Java float32 run differs from them only by its
# own rounding; the script prints how far PyTorch's own float32 run is, as a guide to tolerances.

import json
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gpt_reference import GPTConfig, GPT2LMHeadModel, generate_greedy, save_safetensors, load_safetensors  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
OUT = os.path.join(ROOT, "llm4j-core", "src", "test", "resources", "fixtures")

SEED = 1234
# NOTE: GPT-2's own init is N(0, 0.02). At n_embd 16 that makes every attention score ~0.008, so
# attention is uniform to three decimals and a wrong mask, q/k order or head split would barely
# move the logits. A larger std gives attention patterns, logit gaps and gradients that a bug
# cannot hide in; biases and LayerNorm parameters are randomised for the same reason.
WEIGHT_STD = 0.2
BIAS_STD = 0.1
LN_STD = 0.1


def max_rel_diff(a, b):
    """max |a - b| / (max |b| + tiny): one number comparing a float32 run with the float64 one."""
    a, b = a.double(), b.double()
    return ((a - b).abs().max() / (b.abs().max() + 1e-30)).item()


def grads_of(model, loss):
    model.zero_grad(set_to_none=True)
    loss.backward()
    return {n: p.grad.detach().clone() for n, p in model.named_parameters()}


def report_float32_gap(what, logits32, loss32, grads32, logits64, loss64, grads64):
    worst = max(max_rel_diff(grads32[n], grads64[n]) for n in grads64)
    print(f"  {what}: float32 vs float64 reference: logits {max_rel_diff(logits32, logits64):.2e}, "
          f"loss {abs(loss32.item() - loss64.item()):.2e}, worst gradient (rel. to its max) {worst:.2e}")


# ---------------------------------------------------------------------------------------------
# (a) tiny GPT-2

def make_tiny_gpt():
    torch.manual_seed(SEED)
    cfg = GPTConfig(vocab_size=67, n_positions=16, n_embd=16, n_layer=2, n_head=2)
    model = GPT2LMHeadModel(cfg)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if ".ln_" in name or name.startswith("transformer.ln_f"):
                if name.endswith(".weight"):
                    p.copy_(1.0 + LN_STD * torch.randn_like(p))
                else:
                    p.copy_(LN_STD * torch.randn_like(p))
            elif name.endswith(".bias"):
                p.copy_(BIAS_STD * torch.randn_like(p))
            else:
                p.normal_(0.0, WEIGHT_STD)
    return cfg, model


def gpt_fixture():
    cfg, model = make_tiny_gpt()
    B, T = 2, 11  # T < n_positions 16 and odd, so no size is a power of two
    input_ids = torch.randint(0, cfg.vocab_size, (B, T))
    # Targets are the next token where there is one, random at the end, so the loss is the usual
    # language-modelling loss; two positions are ignored (-100) to test the ignore index.
    targets = torch.empty_like(input_ids)
    targets[:, :-1] = input_ids[:, 1:]
    targets[:, -1] = torch.randint(0, cfg.vocab_size, (B,))
    targets[0, 4] = -100
    targets[1, 0] = -100

    weights = {n: p.detach().clone() for n, p in model.state_dict().items()}
    assert "lm_head.weight" not in weights

    logits32, loss32 = model(input_ids, targets)
    grads32 = grads_of(model, loss32)

    model64 = GPT2LMHeadModel(cfg)
    model64.load_state_dict(weights)
    model64.double()
    logits64, loss64 = model64(input_ids, targets)
    grads64 = grads_of(model64, loss64)
    report_float32_gap("gpt_tiny", logits32, loss32, grads32, logits64, loss64, grads64)

    tensors = dict(weights)
    tensors["input_ids"] = input_ids.to(torch.int32)
    tensors["targets"] = targets.to(torch.int32)
    tensors["logits"] = logits64.detach().float()
    tensors["loss"] = loss64.detach().float().reshape(())
    for n in weights:
        tensors["grad." + n] = grads64[n].float()
    meta = {"config": cfg.to_hf_json(), "format": "pt",
            "description": "tiny GPT-2 golden values; see tools/pytorch/make_fixtures.py"}
    path = os.path.join(OUT, "gpt_tiny.safetensors")
    save_safetensors(path, tensors, meta)
    check_roundtrip(path, tensors)
    print(f"  gpt_tiny: loss {loss64.item():.6f} over {(targets != -100).sum().item()} targets")
    return cfg, model, model64


def gpt_generate_fixture(cfg, model32, model64):
    prompt = [7, 42, 13]
    n_new = 20
    greedy64 = generate_greedy(model64, prompt, n_new)
    greedy32 = generate_greedy(model32, prompt, n_new)
    assert greedy32 == greedy64, (greedy32, greedy64)

    # The smallest gap between the top two logits over all steps: if it were ~1e-6 a float32
    # engine could pick the other token and the test would flap; report it so that is visible.
    ids, min_gap = list(prompt), math.inf
    with torch.no_grad():
        for tok in greedy64:
            logits, _ = model64(torch.tensor([ids[-cfg.n_positions:]]))
            top2 = torch.topk(logits[0, -1], 2).values
            min_gap = min(min_gap, (top2[0] - top2[1]).item())
            ids.append(tok)
    doc = {
        "description": "greedy continuation of prompt by gpt_tiny.safetensors, full recompute "
                       "each step (no KV cache); the context is cropped to its last n_positions "
                       "tokens once it is longer, as nanoGPT's generate does",
        "n_positions": cfg.n_positions,
        # The first tokens come from contexts that fit in n_positions, so a KV-cache decoder,
        # which cannot slide its window, must match at least this many.
        "uncropped_tokens": cfg.n_positions - len(prompt) + 1,
        "prompt": prompt,
        "greedy": greedy64,
        "min_top2_logit_gap": round(min_gap, 6),
    }
    # One key a line, arrays on one line: easy to read in a diff.
    text = "{\n" + ",\n".join(f"  {json.dumps(k)}: {json.dumps(v)}" for k, v in doc.items()) + "\n}\n"
    with open(os.path.join(OUT, "gpt_generate.json"), "w") as f:
        f.write(text)
    print(f"  gpt_generate: {greedy64} (smallest top-2 logit gap {min_gap:.4f})")


# ---------------------------------------------------------------------------------------------
# (b) tiny LSTM language model, like PyTorch's examples/word_language_model (without dropout)

class LSTMLM(nn.Module):
    def __init__(self, vocab, emb, hidden, layers):
        super().__init__()
        self.embedding = nn.Embedding(vocab, emb)                     # (V, E)
        self.lstm = nn.LSTM(emb, hidden, num_layers=layers, batch_first=True)  # gates i, f, g, o
        self.head = nn.Linear(hidden, vocab)                          # (V, H), (V)

    def forward(self, input_ids, targets):
        x = self.embedding(input_ids)                                 # (B, T, E)
        out, (h_n, c_n) = self.lstm(x)                                # zero initial state
        logits = self.head(out)                                       # (B, T, V)
        loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), targets.reshape(-1))
        return logits, loss, h_n, c_n


def lstm_fixture():
    torch.manual_seed(SEED)
    V, E, H, L, B, T = 13, 6, 5, 2, 3, 7
    model = LSTMLM(V, E, H, L)
    # PyTorch's default init (U(-1/sqrt(H), 1/sqrt(H)) for the LSTM, N(0, 1) for the embedding,
    # biases included) is already far from zero, so nothing needs randomising here.
    input_ids = torch.randint(0, V, (B, T))
    targets = torch.randint(0, V, (B, T))
    weights = {n: p.detach().clone() for n, p in model.state_dict().items()}

    logits32, loss32, _, _ = model(input_ids, targets)
    grads32 = grads_of(model, loss32)
    model64 = LSTMLM(V, E, H, L)
    model64.load_state_dict(weights)
    model64.double()
    logits64, loss64, h_n, c_n = model64(input_ids, targets)
    grads64 = grads_of(model64, loss64)
    report_float32_gap("lstm_tiny", logits32, loss32, grads32, logits64, loss64, grads64)

    tensors = dict(weights)
    tensors["input_ids"] = input_ids.to(torch.int32)
    tensors["targets"] = targets.to(torch.int32)
    tensors["logits"] = logits64.detach().float()
    tensors["loss"] = loss64.detach().float().reshape(())
    tensors["h_n"] = h_n.detach().float()                             # (L, B, H)
    tensors["c_n"] = c_n.detach().float()
    for n in weights:
        tensors["grad." + n] = grads64[n].float()
    config = {"vocab_size": V, "embedding_size": E, "hidden_size": H, "num_layers": L,
              "gate_order": "i,f,g,o", "batch_first": True}
    meta = {"config": json.dumps(config, sort_keys=True), "format": "pt",
            "description": "tiny 2-layer LSTM LM golden values; see tools/pytorch/make_fixtures.py"}
    path = os.path.join(OUT, "lstm_tiny.safetensors")
    save_safetensors(path, tensors, meta)
    check_roundtrip(path, tensors)
    print(f"  lstm_tiny: loss {loss64.item():.6f}")


def check_roundtrip(path, tensors):
    back, _ = load_safetensors(path)
    assert list(back) == list(tensors)
    for n, t in tensors.items():
        assert back[n].shape == tuple(t.shape) and (torch.from_numpy(back[n].copy()) == t).all(), n
    size = os.path.getsize(path)
    assert size < 200_000, f"{path} is {size} bytes"


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.set_num_threads(1)  # fewer threads, fewer reduction orders: same bits on every machine
    print(f"writing fixtures to {OUT} (torch {torch.__version__})")
    cfg, model32, model64 = gpt_fixture()
    gpt_generate_fixture(cfg, model32, model64)
    lstm_fixture()
    for f in sorted(os.listdir(OUT)):
        print(f"  {f}: {os.path.getsize(os.path.join(OUT, f))} bytes")


if __name__ == "__main__":
    main()
