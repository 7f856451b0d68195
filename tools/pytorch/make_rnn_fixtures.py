# Regenerates the recurrent-layer golden fixtures in llm4j-core/src/test/resources/fixtures/:
# a tiny 2-layer bidirectional nn.RNN (tanh and relu), nn.GRU and nn.LSTM over a padded batch
# packed with pack_padded_sequence, from a given initial state, with the outputs, the final
# states and the gradient of a fixed weighted sum of them for every parameter, the input and
# the initial state. Run from the repository root:  /usr/bin/python3 tools/pytorch/make_rnn_fixtures.py
#
# NOTE: as in make_fixtures.py, reference values are computed in float64 from the stored
# float32 weights and inputs, then rounded to float32.

import json
import os
import sys

import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gpt_reference import save_safetensors  # noqa: E402
from make_fixtures import OUT, check_roundtrip, max_rel_diff  # noqa: E402

SEED = 4321
IN, H, L, B, T = 3, 4, 2, 3, 5
LENGTHS = [5, 2, 4]  # not sorted: enforce_sorted=False, so the batch keeps its order

MODES = {
    "rnn_tanh": lambda: nn.RNN(IN, H, num_layers=L, nonlinearity="tanh", bidirectional=True, batch_first=True),
    "rnn_relu": lambda: nn.RNN(IN, H, num_layers=L, nonlinearity="relu", bidirectional=True, batch_first=True),
    "gru": lambda: nn.GRU(IN, H, num_layers=L, bidirectional=True, batch_first=True),
    "lstm": lambda: nn.LSTM(IN, H, num_layers=L, bidirectional=True, batch_first=True),
}


def run(module, x, h0, c0, w_out, w_h, w_c):
    """Packed forward, padded output, and the loss Σ w_out⊙output + Σ w_h⊙h_n (+ Σ w_c⊙c_n)."""
    packed = pack_padded_sequence(x, torch.tensor(LENGTHS), batch_first=True, enforce_sorted=False)
    out, state = module(packed, (h0, c0) if c0 is not None else h0)
    out, _ = pad_packed_sequence(out, batch_first=True, total_length=T)  # (B, T, 2H), zeros at padding
    h_n, c_n = state if c0 is not None else (state, None)              # (L·2, B, H)
    loss = (w_out * out).sum() + (w_h * h_n).sum()
    if c_n is not None:
        loss = loss + (w_c * c_n).sum()
    return out, h_n, c_n, loss


def fixture(name):
    torch.manual_seed(SEED)
    module = MODES[name]()  # PyTorch's own init, U(-1/sqrt(H), 1/sqrt(H))
    lstm = isinstance(module, nn.LSTM)
    x = torch.randn(B, T, IN)
    h0 = 0.5 * torch.randn(2 * L, B, H)
    c0 = 0.5 * torch.randn(2 * L, B, H) if lstm else None
    w_out = torch.randn(B, T, 2 * H)
    w_h = torch.randn(2 * L, B, H)
    w_c = torch.randn(2 * L, B, H) if lstm else None
    weights = {n: p.detach().clone() for n, p in module.state_dict().items()}

    results = {}
    for dtype in (torch.float32, torch.float64):
        m = MODES[name]()
        m.load_state_dict(weights)
        m.to(dtype)
        xs = x.detach().to(dtype).clone().requires_grad_(True)
        h0s = h0.detach().to(dtype).clone().requires_grad_(True)
        c0s = c0.detach().to(dtype).clone().requires_grad_(True) if lstm else None
        out, h_n, c_n, loss = run(m, xs, h0s, c0s, w_out.to(dtype), w_h.to(dtype), w_c.to(dtype) if lstm else None)
        loss.backward()
        grads = {"grad." + n: p.grad.detach().clone() for n, p in m.named_parameters()}
        grads["grad.input"] = xs.grad.detach().clone()
        grads["grad.h0"] = h0s.grad.detach().clone()
        if lstm:
            grads["grad.c0"] = c0s.grad.detach().clone()
        results[dtype] = (out.detach(), h_n.detach(), None if c_n is None else c_n.detach(), grads)

    out32, _, _, g32 = results[torch.float32]
    out64, h_n, c_n, g64 = results[torch.float64]
    worst = max(max_rel_diff(g32[k], g64[k]) for k in g64)
    print(f"  {name}: float32 vs float64: output {max_rel_diff(out32, out64):.2e}, worst gradient {worst:.2e}")

    tensors = dict(weights)
    tensors["input"] = x
    tensors["lengths"] = torch.tensor(LENGTHS, dtype=torch.int32)
    tensors["h0"] = h0
    tensors["w_out"] = w_out
    tensors["w_h"] = w_h
    if lstm:
        tensors["c0"] = c0
        tensors["w_c"] = w_c
    tensors["output"] = out64.float()
    tensors["h_n"] = h_n.float()
    if lstm:
        tensors["c_n"] = c_n.float()
    for k, v in g64.items():
        tensors[k] = v.float()
    config = {"mode": name, "input_size": IN, "hidden_size": H, "num_layers": L, "bidirectional": True,
              "batch_first": True, "lengths": LENGTHS,
              "loss": "sum(w_out*output) + sum(w_h*h_n) + sum(w_c*c_n)"}
    meta = {"config": json.dumps(config, sort_keys=True), "format": "pt",
            "description": f"tiny 2-layer bidirectional {name} over a packed batch; see tools/pytorch/make_rnn_fixtures.py"}
    path = os.path.join(OUT, f"recurrent_{name}.safetensors")
    save_safetensors(path, tensors, meta)
    check_roundtrip(path, tensors)


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.set_num_threads(1)
    print(f"writing recurrent fixtures to {OUT} (torch {torch.__version__})")
    for name in MODES:
        fixture(name)
    for f in sorted(os.listdir(OUT)):
        if f.startswith("recurrent_"):
            print(f"  {f}: {os.path.getsize(os.path.join(OUT, f))} bytes")


if __name__ == "__main__":
    main()
