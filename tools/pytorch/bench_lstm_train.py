# PyTorch reference for llm4j's LSTM training benchmark (issue 4): training throughput of a
# char-level 2-layer LSTM language model on tiny Shakespeare, hidden 512, sequence 100, batch 32,
# the figure `llm4j bench train --model lstm` is compared with, same threads.
#
#   /usr/bin/python3 tools/pytorch/bench_lstm_train.py --threads 2
#
# Model as llm4j's LstmLM: Embedding(V, E) -> nn.LSTM(E, H, num_layers=2, batch_first) ->
# Linear(H, V); AdamW (betas 0.9/0.99, weight decay 0.1 on matrices), grad clip 1.0. Data and
# threading as bench_gpt_train.py (OpenBLAS and OpenMP limited to --threads before torch loads).

import argparse
import os
import statistics
import sys
import time

ap = argparse.ArgumentParser(description="PyTorch reference: char-level LSTM LM training on CPU")
ap.add_argument("--data", default="/work/shared/data/tinyshakespeare/input.txt")
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--iters", type=int, default=30)
ap.add_argument("--warmup", type=int, default=5)
ap.add_argument("--embd", type=int, default=128)
ap.add_argument("--hidden", type=int, default=512)
ap.add_argument("--layers", type=int, default=2)
ap.add_argument("--block", type=int, default=100)
ap.add_argument("--batch", type=int, default=32)
args = ap.parse_args()
os.environ.setdefault("OPENBLAS_NUM_THREADS", str(args.threads))
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_gpt_train import cpu_name, get_batch, load_data, make_optimizer  # noqa: E402


class LstmLM(nn.Module):
    def __init__(self, vocab, embd, hidden, layers):
        super().__init__()
        self.embedding = nn.Embedding(vocab, embd)
        self.lstm = nn.LSTM(embd, hidden, num_layers=layers, batch_first=True)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, x, y):                     # x, y (B, T)
        h, _ = self.lstm(self.embedding(x))      # (B, T, H)
        logits = self.head(h)                    # (B, T, V)
        return nn.functional.cross_entropy(logits.reshape(-1, logits.size(-1)), y.reshape(-1))


def main():
    torch.set_num_threads(args.threads)
    torch.manual_seed(1337)
    train, _, vocab = load_data(args.data)
    model = LstmLM(vocab, args.embd, args.hidden, args.layers)
    opt = make_optimizer(model, 1e-3, weight_decay=0.1, betas=(0.9, 0.99))
    B, T = args.batch, args.block

    def step():
        loss = model(*get_batch(train, B, T))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()

    for _ in range(args.warmup):
        step()
    times = []
    for _ in range(args.iters):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"pytorch lstm train: cpu=\"{cpu_name()}\" cores={os.cpu_count()} torch={torch.__version__} "
          f"threads={torch.get_num_threads()} vocab={vocab} embd={args.embd} hidden={args.hidden} layers={args.layers} "
          f"block={T} batch={B} params={n_params / 1e6:.2f}M iters={args.iters} median_ms_per_iter={med * 1e3:.1f} "
          f"tokens_per_s={B * T / med:.0f}", flush=True)


if __name__ == "__main__":
    main()
