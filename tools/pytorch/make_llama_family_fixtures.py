# Golden fixtures for llm4j's Llama-family variants: tiny Qwen2, Mistral (sliding window) and
# Llama 3 (llama3 RoPE scaling) models as Hugging Face folders (config.json + model.safetensors),
# each with reference.safetensors: input ids, the logits of every position, and greedy tokens.
# Run from the repository root:  /usr/bin/python3 tools/pytorch/make_llama_family_fixtures.py
#
# NOTE: transformers cannot be installed here, so the forward pass below is written out in plain
# torch following transformers' modeling_llama / modeling_qwen2 / modeling_mistral step for step:
# LlamaRMSNorm (x * rsqrt(mean(x^2) + eps) * weight), rotate_half RoPE with cos/sin of
# cat(freqs, freqs) (pairs (i, i + d/2)), inv_freq from _compute_default_rope_parameters or
# _compute_llama3_parameters / linear, repeat_kv for grouped-query attention, q/k/v biases for
# Qwen2 (attention_bias for o_proj stays off), the causal mask with masking_utils'
# sliding_window_overlay (kv_idx > q_idx - sliding_window) for Mistral, and down(silu(gate) * up).
# The model runs in float64 from the stored float32 weights; references are rounded to float32.
# The Llama 3 head (size 16, theta 500000) has wavelengths 2*pi*e^(1.64 j) = 6.3, 32, 167, 862, ...
# so with original_max_position_embeddings 256 and factors 1 / 4 its pairs fall in all three of
# llama3's regimes: kept (< 64), smoothed (64..256) and divided by the factor (> 256).

import json
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gpt_reference import save_safetensors  # noqa: E402

OUT = "llm4j-core/src/test/resources/fixtures/llama_family"

CONFIGS = {
    "qwen2": {
        "architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "vocab_size": 96, "hidden_size": 32,
        "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
        "max_position_embeddings": 64, "rope_theta": 1000000.0, "rms_norm_eps": 1e-6, "hidden_act": "silu",
        "tie_word_embeddings": True, "use_sliding_window": False, "sliding_window": 32, "max_window_layers": 2,
        "rope_scaling": None, "bos_token_id": 1, "eos_token_id": 2,
    },
    "mistral": {
        "architectures": ["MistralForCausalLM"], "model_type": "mistral", "vocab_size": 96, "hidden_size": 32,
        "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
        "max_position_embeddings": 64, "rope_theta": 10000.0, "rms_norm_eps": 1e-5, "hidden_act": "silu",
        "tie_word_embeddings": False, "sliding_window": 8, "bos_token_id": 1, "eos_token_id": 2,
    },
    "llama3": {
        "architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": 96, "hidden_size": 64,
        "intermediate_size": 96, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
        "head_dim": 16, "max_position_embeddings": 1024, "rope_theta": 500000.0, "rms_norm_eps": 1e-5,
        "hidden_act": "silu", "tie_word_embeddings": False, "attention_bias": False, "mlp_bias": False,
        "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                         "original_max_position_embeddings": 256},
        "bos_token_id": 1, "eos_token_id": 2,
    },
}


def inv_freq(cfg):
    hd = cfg["hidden_size"] // cfg["num_attention_heads"]
    base = cfg["rope_theta"]
    f = 1.0 / (base ** (torch.arange(0, hd, 2, dtype=torch.int64).double() / hd))
    rs = cfg.get("rope_scaling")
    if not rs:
        return f
    if rs["rope_type"] == "linear":
        return f / rs["factor"]
    assert rs["rope_type"] == "llama3"
    factor, low, high, old = rs["factor"], rs["low_freq_factor"], rs["high_freq_factor"], rs["original_max_position_embeddings"]
    low_wavelen, high_wavelen = old / low, old / high
    wavelen = 2 * math.pi / f
    f_llama = torch.where(wavelen > low_wavelen, f / factor, f)
    smooth = (old / wavelen - low) / (high - low)
    smoothed = (1 - smooth) * f_llama / factor + smooth * f_llama
    medium = ~(wavelen < high_wavelen) * ~(wavelen > low_wavelen)
    return torch.where(medium, smoothed, f_llama)


def weights(cfg, seed):
    g = torch.Generator().manual_seed(seed)
    C, H, V = cfg["hidden_size"], cfg["intermediate_size"], cfg["vocab_size"]
    hd = C // cfg["num_attention_heads"]
    KV = cfg["num_key_value_heads"] * hd
    bias = cfg["model_type"] == "qwen2"

    def mat(o, i, scale=1.0):
        return (torch.randn(o, i, generator=g) * scale / math.sqrt(i)).float()

    def gain(n):
        return (1.0 + 0.1 * torch.randn(n, generator=g)).float()

    # A tied head reads the embedding back: small embeddings and louder blocks keep the greedy
    # continuation from merely repeating the last token.
    tied = cfg["tie_word_embeddings"]
    w = {"model.embed_tokens.weight": (torch.randn(V, C, generator=g) * (0.3 if tied else 1.0)).float()}
    for l in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{l}."
        w[p + "input_layernorm.weight"] = gain(C)
        w[p + "self_attn.q_proj.weight"] = mat(C, C, 2.0)
        w[p + "self_attn.k_proj.weight"] = mat(KV, C, 2.0)
        w[p + "self_attn.v_proj.weight"] = mat(KV, C)
        if bias:
            w[p + "self_attn.q_proj.bias"] = (0.5 * torch.randn(C, generator=g)).float()
            w[p + "self_attn.k_proj.bias"] = (0.5 * torch.randn(KV, generator=g)).float()
            w[p + "self_attn.v_proj.bias"] = (0.5 * torch.randn(KV, generator=g)).float()
        w[p + "self_attn.o_proj.weight"] = mat(C, C)
        w[p + "post_attention_layernorm.weight"] = gain(C)
        w[p + "mlp.gate_proj.weight"] = mat(H, C)
        w[p + "mlp.up_proj.weight"] = mat(H, C)
        w[p + "mlp.down_proj.weight"] = mat(C, H, 3.0 if tied else 1.0)
    w["model.norm.weight"] = gain(C)
    if not cfg["tie_word_embeddings"]:
        w["lm_head.weight"] = mat(V, C, 3.0)
    return w


def rms_norm(x, weight, eps):
    return weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


def forward(cfg, w, ids):
    """Logits (T, V) of ids (T,), float64: LlamaForCausalLM / Qwen2ForCausalLM / MistralForCausalLM."""
    w = {k: v.double() for k, v in w.items()}
    T = len(ids)
    C, nh, nkv = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_key_value_heads"]
    hd, eps = C // nh, cfg["rms_norm_eps"]
    pos = torch.arange(T, dtype=torch.float64)
    freqs = torch.outer(pos, inv_freq(cfg))                    # (T, hd/2)
    emb = torch.cat((freqs, freqs), dim=-1)                    # (T, hd)
    cos, sin = emb.cos(), emb.sin()
    q_idx, kv_idx = torch.arange(T)[:, None], torch.arange(T)[None, :]
    allowed = kv_idx <= q_idx
    window = cfg.get("sliding_window") if cfg["model_type"] == "mistral" else None
    if window is not None:
        allowed = allowed & (kv_idx > q_idx - window)
    x = w["model.embed_tokens.weight"][torch.tensor(ids)]      # (T, C)
    for l in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{l}."
        h = rms_norm(x, w[p + "input_layernorm.weight"], eps)

        def proj(name):
            y = h @ w[p + name + ".weight"].T
            b = w.get(p + name + ".bias")
            return y if b is None else y + b

        q = proj("self_attn.q_proj").view(T, nh, hd).transpose(0, 1)     # (nh, T, hd)
        k = proj("self_attn.k_proj").view(T, nkv, hd).transpose(0, 1)    # (nkv, T, hd)
        v = proj("self_attn.v_proj").view(T, nkv, hd).transpose(0, 1)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = k.repeat_interleave(nh // nkv, dim=0)                        # repeat_kv
        v = v.repeat_interleave(nh // nkv, dim=0)
        s = (q @ k.transpose(1, 2)) / math.sqrt(hd)                      # (nh, T, T)
        s = s.masked_fill(~allowed, float("-inf"))
        y = (torch.softmax(s, dim=-1) @ v).transpose(0, 1).reshape(T, C)
        x = x + y @ w[p + "self_attn.o_proj.weight"].T
        h = rms_norm(x, w[p + "post_attention_layernorm.weight"], eps)
        gate = h @ w[p + "mlp.gate_proj.weight"].T
        up = h @ w[p + "mlp.up_proj.weight"].T
        x = x + (torch.nn.functional.silu(gate) * up) @ w[p + "mlp.down_proj.weight"].T
    x = rms_norm(x, w["model.norm.weight"], eps)
    return x @ w.get("lm_head.weight", w["model.embed_tokens.weight"]).T


def greedy(cfg, w, prompt, n):
    ids, gaps = list(prompt), []
    for _ in range(n):
        logits = forward(cfg, w, ids)[-1]
        top = torch.topk(logits, 2).values
        gaps.append(float(top[0] - top[1]))
        ids.append(int(torch.argmax(logits)))
    return ids[len(prompt):], min(gaps)


def main():
    for i, (name, cfg) in enumerate(CONFIGS.items()):
        d = os.path.join(OUT, name)
        os.makedirs(d, exist_ok=True)
        w = weights(cfg, 1234 + i)
        g = torch.Generator().manual_seed(99 + i)
        ids = torch.randint(3, cfg["vocab_size"], (16,), generator=g).tolist()
        logits = forward(cfg, w, ids)
        out, gap = greedy(cfg, w, ids[:4], 12)
        with open(os.path.join(d, "config.json"), "w") as f:
            json.dump(cfg, f, indent=2)
            f.write("\n")
        save_safetensors(os.path.join(d, "model.safetensors"), w, {"format": "pt"})
        save_safetensors(os.path.join(d, "reference.safetensors"), {
            "input_ids": torch.tensor(ids, dtype=torch.int32),
            "logits": logits.float(),
            "greedy_prompt": torch.tensor(ids[:4], dtype=torch.int32),
            "greedy_tokens": torch.tensor(out, dtype=torch.int32),
        })
        print(f"{name}: logits max |.| {logits.abs().max():.3f}, greedy {out}, smallest top-2 gap {gap:.4f}")


if __name__ == "__main__":
    main()
