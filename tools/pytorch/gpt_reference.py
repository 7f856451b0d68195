# Reference GPT-2 in plain PyTorch and a hand-written safetensors writer/reader, used to make the
# golden fixtures that llm4j's Java model, autograd and file-format code are tested against.
#
# The model follows Hugging Face `GPT2LMHeadModel` (transformers/models/gpt2/modeling_gpt2.py)
# operation for operation, and its state-dict names are HF's, so a fixture written here is also a
# valid HF checkpoint. `transformers` itself is not installable on these machines, hence the copy.
#
# Dimension legend (as in llm.c and the Java code): B batch, T time, C channels (n_embd),
# V vocab, nh heads, hd head size = C / nh.

import json
import math
import struct
from dataclasses import dataclass, asdict

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class GPTConfig:
    vocab_size: int = 50257          # V
    n_positions: int = 1024          # block size: rows of wpe, longest context
    n_embd: int = 768                # C
    n_layer: int = 12
    n_head: int = 12                 # nh; hd = C / nh
    layer_norm_epsilon: float = 1e-5
    activation_function: str = "gelu_new"  # the tanh approximation of GELU, as GPT-2 was trained

    def to_hf_json(self) -> str:
        """The config as HF `config.json` text (the names are already HF's)."""
        d = {"model_type": "gpt2", "architectures": ["GPT2LMHeadModel"], **asdict(self),
             "tie_word_embeddings": True}
        return json.dumps(d, sort_keys=True)


def gelu_new(x):
    # HF `NewGELUActivation`: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) (Hendrycks & Gimpel
    # 2016). Written out rather than F.gelu(approximate="tanh") so the formula is visible here.
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


class Conv1D(nn.Module):
    """HF's Conv1D: a linear layer whose weight is stored (in, out), so y = x @ W + b.

    NOTE: this is the transpose of nn.Linear's (out, in) layout; GPT-2 checkpoints use it."""

    def __init__(self, n_in, n_out):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n_in, n_out))
        self.bias = nn.Parameter(torch.zeros(n_out))

    def forward(self, x):                                   # (..., n_in) -> (..., n_out)
        y = torch.addmm(self.bias, x.reshape(-1, x.size(-1)), self.weight)
        return y.view(*x.shape[:-1], self.weight.size(1))


class Attention(nn.Module):
    def __init__(self, cfg: GPTConfig):
        super().__init__()
        assert cfg.n_embd % cfg.n_head == 0
        self.n_head = cfg.n_head
        self.c_attn = Conv1D(cfg.n_embd, 3 * cfg.n_embd)
        self.c_proj = Conv1D(cfg.n_embd, cfg.n_embd)
        # A buffer, not a parameter: kept out of the state dict, as in current HF versions.
        mask = torch.tril(torch.ones(cfg.n_positions, cfg.n_positions, dtype=torch.bool))
        self.register_buffer("causal", mask, persistent=False)

    def forward(self, x):                                   # x (B, T, C)
        B, T, C = x.shape
        nh, hd = self.n_head, C // self.n_head
        q, k, v = self.c_attn(x).split(C, dim=2)            # each (B, T, C); order q, k, v
        q = q.view(B, T, nh, hd).transpose(1, 2)            # (B, nh, T, hd)
        k = k.view(B, T, nh, hd).transpose(1, 2)
        v = v.view(B, T, nh, hd).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(hd)     # (B, nh, T, T)
        # HF fills with finfo.min rather than -inf; after softmax both give exactly 0.
        att = att.masked_fill(~self.causal[:T, :T], float("-inf"))
        att = F.softmax(att, dim=-1)
        y = att @ v                                         # (B, nh, T, hd)
        y = y.transpose(1, 2).contiguous().view(B, T, C)    # heads side by side again
        return self.c_proj(y)


class MLP(nn.Module):
    def __init__(self, cfg: GPTConfig):
        super().__init__()
        assert cfg.activation_function == "gelu_new", cfg.activation_function
        self.c_fc = Conv1D(cfg.n_embd, 4 * cfg.n_embd)
        self.c_proj = Conv1D(4 * cfg.n_embd, cfg.n_embd)

    def forward(self, x):                                   # (B, T, C) -> (B, T, 4C) -> (B, T, C)
        return self.c_proj(gelu_new(self.c_fc(x)))


class Block(nn.Module):
    def __init__(self, cfg: GPTConfig):
        super().__init__()
        self.ln_1 = nn.LayerNorm(cfg.n_embd, eps=cfg.layer_norm_epsilon)
        self.attn = Attention(cfg)
        self.ln_2 = nn.LayerNorm(cfg.n_embd, eps=cfg.layer_norm_epsilon)
        self.mlp = MLP(cfg)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        x = x + self.mlp(self.ln_2(x))
        return x


class GPT2LMHeadModel(nn.Module):
    """GPT-2 with the LM head tied to wte. The head is not a module of its own, so the state dict
    holds no `lm_head.weight`, as in HF's saved checkpoints."""

    def __init__(self, cfg: GPTConfig):
        super().__init__()
        self.config = cfg
        self.transformer = nn.ModuleDict(dict(
            wte=nn.Embedding(cfg.vocab_size, cfg.n_embd),    # (V, C)
            wpe=nn.Embedding(cfg.n_positions, cfg.n_embd),   # (block, C)
            h=nn.ModuleList([Block(cfg) for _ in range(cfg.n_layer)]),
            ln_f=nn.LayerNorm(cfg.n_embd, eps=cfg.layer_norm_epsilon),
        ))
        self.apply(self._init_weights)
        # HF (and GPT-2 paper, section 2.3): residual projections scaled by 1/sqrt(2 n_layer) so
        # the residual stream's variance does not grow with depth.
        for name, p in self.named_parameters():
            if name.endswith("c_proj.weight"):
                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * cfg.n_layer))

    @staticmethod
    def _init_weights(m):
        # HF GPT2PreTrainedModel._init_weights: N(0, 0.02) weights, zero biases, LN (1, 0).
        if isinstance(m, (Conv1D, nn.Embedding)):
            nn.init.normal_(m.weight, mean=0.0, std=0.02)
            if isinstance(m, Conv1D):
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.LayerNorm):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)

    def forward(self, input_ids, targets=None):
        """input_ids (B, T) int -> logits (B, T, V); loss = mean cross-entropy over the targets
        that are not -100 (HF's and PyTorch's ignore index). Targets are given already aligned
        with the positions (no shift inside, unlike HF's `labels`)."""
        B, T = input_ids.shape
        assert T <= self.config.n_positions, f"sequence of {T} > n_positions {self.config.n_positions}"
        tr = self.transformer
        pos = torch.arange(T, device=input_ids.device)
        x = tr.wte(input_ids) + tr.wpe(pos)                  # (B, T, C)
        for block in tr.h:
            x = block(x)
        x = tr.ln_f(x)
        logits = x @ tr.wte.weight.t()                      # (B, T, V), tied head
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), targets.reshape(-1),
                                   ignore_index=-100)
        return logits, loss


@torch.no_grad()
def generate_greedy(model, prompt, max_new_tokens):
    """Greedy decoding by full recompute (no KV cache): each step runs the whole context again.
    The context is cropped to its last n_positions tokens (as nanoGPT's generate does), since GPT-2
    has no positions beyond that; HF would refuse such a sequence instead."""
    ids = list(prompt)
    block = model.config.n_positions
    for _ in range(max_new_tokens):
        ctx = torch.tensor([ids[-block:]], dtype=torch.long)
        logits, _ = model(ctx)
        ids.append(int(torch.argmax(logits[0, -1])))
    return ids[len(prompt):]


# ---------------------------------------------------------------------------------------------
# safetensors, written by hand (format: https://github.com/huggingface/safetensors#format):
#   u64 little-endian N | N bytes of JSON header | raw little-endian tensor bytes
# The header maps each name to {"dtype", "shape", "data_offsets": [begin, end)} with offsets
# relative to the first byte after the header, plus an optional "__metadata__" of str -> str.

_DTYPES = {torch.float32: ("F32", "<f4"), torch.int32: ("I32", "<i4"), torch.int64: ("I64", "<i8")}


def save_safetensors(path, tensors, metadata=None):
    """Write `tensors` (name -> torch.Tensor, in the given order) to `path`.

    Only F32, I32 and I64 are accepted: fixtures are float32 on purpose, so a float64 slip fails
    here instead of producing a file the Java reader rejects."""
    header, chunks, offset = {}, [], 0
    if metadata:
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items())
        header["__metadata__"] = dict(metadata)
    for name, t in tensors.items():
        if t.dtype not in _DTYPES:
            raise ValueError(f"{name}: dtype {t.dtype} not allowed in fixtures")
        st_dtype, np_dtype = _DTYPES[t.dtype]
        data = t.detach().cpu().contiguous().numpy().astype(np_dtype, copy=False).tobytes()
        header[name] = {"dtype": st_dtype, "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    # Pad with spaces so the data starts 8-byte aligned (8 + N is a multiple of 8), as the
    # reference implementation does; readers may then view the data in place.
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for c in chunks:
            f.write(c)


def load_safetensors(path):
    """Read a file written by save_safetensors: returns (name -> np.ndarray, metadata dict).
    Used to check the writer round-trips; not a validating reader."""
    with open(path, "rb") as f:
        buf = f.read()
    (n,) = struct.unpack_from("<Q", buf, 0)
    header = json.loads(buf[8:8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", {})
    base = 8 + n
    np_of = {"F32": "<f4", "I32": "<i4", "I64": "<i8"}
    out = {}
    for name, info in header.items():
        b, e = info["data_offsets"]
        out[name] = np.frombuffer(buf[base + b:base + e], dtype=np_of[info["dtype"]]).reshape(info["shape"])
    return out, meta
