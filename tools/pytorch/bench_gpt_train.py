# PyTorch reference figures for llm4j's GPT training benchmark: training throughput (and, with
# --eval, final validation loss) of nanoGPT's small CPU configuration on char-level tiny
# Shakespeare, so BENCHMARKS.md can put llm4j's tokens/s and loss beside PyTorch's on one machine.
#
#   /usr/bin/python3 tools/pytorch/bench_gpt_train.py --threads 2            # throughput
#   /usr/bin/python3 tools/pytorch/bench_gpt_train.py --iters 2000 --eval    # quality reference
#
# The configuration is nanoGPT's README "I only have a macbook" run of config/train_shakespeare_char.py:
# n_layer 4, n_head 4, n_embd 128, block_size 64, batch_size 12, dropout 0, bias on, AdamW lr 1e-3
# (betas 0.9/0.99, weight decay 0.1 on matrices only), grad clip 1.0, 2000 iters cosine to 1e-4,
# warmup 100, eval on 20 batches. nanoGPT's README reports val loss ~1.88 for it.
#
# NOTE: the model is gpt_reference.py's HF GPT-2 (GELU tanh approximation); nanoGPT uses the exact
# erf GELU. The cost is the same and the loss differs by noise, and this way the benchmarked
# model is the one llm4j implements.

import argparse
import math
import os
import statistics
import sys
import time

DEFAULT_DATA = "/work/shared/data/tinyshakespeare/input.txt"


def parse_args():
    ap = argparse.ArgumentParser(
        description="PyTorch reference: nanoGPT char-level tiny Shakespeare training on CPU")
    ap.add_argument("--data", default=DEFAULT_DATA, help="tiny Shakespeare input.txt")
    ap.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (intra-op)")
    ap.add_argument("--blas-threads", type=int, default=None,
                    help="OpenBLAS threads (default: --threads)")
    ap.add_argument("--iters", type=int, default=None,
                    help="timed iterations (default 100), or with --eval the whole run (default 2000)")
    ap.add_argument("--warmup", type=int, default=10, help="untimed iterations before timing")
    ap.add_argument("--eval", action="store_true",
                    help="train nanoGPT's full schedule and report the final validation loss")
    ap.add_argument("--eval-interval", type=int, default=250)
    ap.add_argument("--eval-batches", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1337)
    return ap.parse_args()


# NOTE: Debian's torch does its matmuls in OpenBLAS (openblas-pthread), whose own thread pool
# ignores torch.set_num_threads and takes every core; beside torch's OpenMP pool, both spinning,
# "2 threads" ran 2-3x slower than 1 on a 2-core machine, and "1 thread" really used 2 cores.
# Both libraries read these variables once, when torch is imported, so they are set first; a
# value already in the environment wins.
ARGS = parse_args() if __name__ == "__main__" else None
if ARGS is not None:
    os.environ.setdefault("OPENBLAS_NUM_THREADS", str(ARGS.blas_threads or ARGS.threads))
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # idle OpenMP threads sleep, not spin

import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gpt_reference import GPTConfig, GPT2LMHeadModel  # noqa: E402


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def load_data(path):
    """Char-level encoding as nanoGPT's data/shakespeare_char/prepare.py: the vocabulary is the
    sorted set of characters; the first 90% is train, the last 10% validation."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    chars = sorted(set(text))
    stoi = {c: i for i, c in enumerate(chars)}
    data = np.array([stoi[c] for c in text], dtype=np.int64)
    n = int(0.9 * len(data))
    return torch.from_numpy(data[:n]), torch.from_numpy(data[n:]), len(chars)


def get_batch(data, B, T):
    """B random windows of T+1 tokens: inputs (B, T) and next-token targets (B, T)."""
    ix = torch.randint(len(data) - T, (B,))
    x = torch.stack([data[i:i + T] for i in ix])
    y = torch.stack([data[i + 1:i + 1 + T] for i in ix])
    return x, y


def make_optimizer(model, lr, weight_decay, betas):
    # nanoGPT's configure_optimizers: decay every parameter of 2+ dimensions (matrices and
    # embeddings), not biases or LayerNorm parameters.
    params = [p for p in model.parameters() if p.requires_grad]
    decay = [p for p in params if p.dim() >= 2]
    no_decay = [p for p in params if p.dim() < 2]
    groups = [{"params": decay, "weight_decay": weight_decay},
              {"params": no_decay, "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=lr, betas=betas)


def cosine_lr(it, lr, min_lr, warmup, decay_iters):
    # nanoGPT's get_lr: linear warmup, then cosine from lr down to min_lr at decay_iters.
    if it < warmup:
        return lr * (it + 1) / (warmup + 1)
    if it > decay_iters:
        return min_lr
    ratio = (it - warmup) / (decay_iters - warmup)
    return min_lr + 0.5 * (1.0 + math.cos(math.pi * ratio)) * (lr - min_lr)


@torch.no_grad()
def estimate_loss(model, data, B, T, batches):
    model.eval()
    losses = [model(*get_batch(data, B, T))[1].item() for _ in range(batches)]
    model.train()
    return sum(losses) / len(losses)


def train_step(model, opt, x, y, clip):
    _, loss = model(x, y)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    opt.step()
    return loss


def main():
    args = ARGS
    iters = args.iters if args.iters is not None else (2000 if args.eval else 100)

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    B, T = 12, 64
    lr, min_lr, warmup_lr_iters = 1e-3, 1e-4, 100
    train, val, vocab = load_data(args.data)
    cfg = GPTConfig(vocab_size=vocab, n_positions=T, n_embd=128, n_layer=4, n_head=4)
    model = GPT2LMHeadModel(cfg)
    model.train()
    opt = make_optimizer(model, lr, weight_decay=0.1, betas=(0.9, 0.99))
    n_params = sum(p.numel() for p in model.parameters())
    config = (f"n_layer={cfg.n_layer} n_head={cfg.n_head} n_embd={cfg.n_embd} block={T} batch={B} "
              f"vocab={vocab} params={n_params / 1e6:.2f}M")
    machine = (f"cpu=\"{cpu_name()}\" cores={os.cpu_count()} torch={torch.__version__} "
               f"threads={torch.get_num_threads()} openblas_threads={os.environ['OPENBLAS_NUM_THREADS']} "
               f"omp_wait={os.environ['OMP_WAIT_POLICY']}")

    if not args.eval:
        for _ in range(args.warmup):
            train_step(model, opt, *get_batch(train, B, T), clip=1.0)
        times = []
        for _ in range(iters):
            t0 = time.perf_counter()
            train_step(model, opt, *get_batch(train, B, T), clip=1.0)
            times.append(time.perf_counter() - t0)
        med = statistics.median(times)
        print(f"pytorch gpt train: {machine} {config} iters={iters} "
              f"median_ms_per_iter={med * 1e3:.2f} mean_ms_per_iter={statistics.mean(times) * 1e3:.2f} "
              f"tokens_per_s={B * T / med:.0f}", flush=True)
        return

    # Full run: nanoGPT evaluates before step 0 and every eval_interval steps, the last after
    # the final step.
    start = time.perf_counter()
    times, val_loss = [], float("nan")
    for it in range(iters + 1):
        if it % args.eval_interval == 0 or it == iters:
            tl = estimate_loss(model, train, B, T, args.eval_batches)
            val_loss = estimate_loss(model, val, B, T, args.eval_batches)
            print(f"step {it}: train loss {tl:.4f}, val loss {val_loss:.4f}, "
                  f"{time.perf_counter() - start:.0f} s", flush=True)
        if it == iters:
            break
        for g in opt.param_groups:
            g["lr"] = cosine_lr(it, lr, min_lr, warmup_lr_iters, iters)
        t0 = time.perf_counter()
        train_step(model, opt, *get_batch(train, B, T), clip=1.0)
        times.append(time.perf_counter() - t0)
    wall = time.perf_counter() - start
    med = statistics.median(times)
    print(f"pytorch gpt train --eval: {machine} {config} iters={iters} final_val_loss={val_loss:.4f} "
          f"wall_s={wall:.0f} median_ms_per_iter={med * 1e3:.2f} tokens_per_s={B * T / med:.0f}",
          flush=True)


if __name__ == "__main__":
    main()
