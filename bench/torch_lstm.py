#!/usr/bin/python3
"""torch_lstm.py: PyTorch peer of the LSTM word language-model benchmark.

Times training steps of the medium-small word language model of PyTorch's
word_language_model example on random token ids and prints one line:

    torch_lstm threads=N batch=B bptt=T words_per_s=X step_ms=Y steps=S peak_rss_mb=M

(peak_rss_mb: the process's peak resident memory, getrusage ru_maxrss.)

The model: Embedding(10000, 200) -> LSTM(200, 200, num_layers=2, dropout 0)
-> Linear(200, 10000) -> cross-entropy averaged over the B*T targets. One
step takes a window of T = 35 time steps of B = 20 streams, runs forward and
backward, clips the gradient to a global L2 norm of 5 and applies plain SGD
with lr 20 (p -= lr * grad, as the example does). The hidden state is carried
from one step to the next and detached, so backpropagation is truncated at
the window. The tokens are uniform random ids drawn once with a fixed seed:
one stream of (warmup + steps) * T + 1 ids per batch column, inputs at t and
targets at t + 1, so every step sees new data and both peers do the same
work whatever the text. words_per_s counts target words: B * T per step.

usage: torch_lstm.py --threads N [--warmup W] [--steps S]

Exit codes: 0 ok, 1 the loss was not finite, 2 bad arguments, 3 torch
cannot be imported. Run it with Debian's interpreter (/usr/bin/python3) and
python3-torch.
"""
import argparse
import os
import resource
import sys
import time

VOCAB, EMBED, HIDDEN, LAYERS = 10000, 200, 200, 2
BATCH, BPTT = 20, 35
LR, CLIP = 20.0, 5.0
INIT_RANGE = 0.1
SEED = 0


def positive(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1: %r" % text)
    return value


def non_negative(text):
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more: %r" % text)
    return value


def parse_args(argv):
    p = argparse.ArgumentParser(description="PyTorch training throughput of a 2-layer LSTM word language model")
    p.add_argument("--threads", type=positive, required=True, help="intra-op threads")
    p.add_argument("--warmup", type=non_negative, default=5, help="untimed steps first (default 5)")
    p.add_argument("--steps", type=positive, default=50, help="timed steps (default 50)")
    return p.parse_args(argv)


def build_model(torch):
    nn = torch.nn

    class WordLSTM(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = nn.Embedding(VOCAB, EMBED)
            self.rnn = nn.LSTM(EMBED, HIDDEN, num_layers=LAYERS, dropout=0.0)
            self.decoder = nn.Linear(HIDDEN, VOCAB)
            # the example's initialisation of the embedding and the decoder
            nn.init.uniform_(self.encoder.weight, -INIT_RANGE, INIT_RANGE)
            nn.init.zeros_(self.decoder.bias)
            nn.init.uniform_(self.decoder.weight, -INIT_RANGE, INIT_RANGE)

        def forward(self, tokens, hidden):
            output, hidden = self.rnn(self.encoder(tokens), hidden)
            return self.decoder(output).view(-1, VOCAB), hidden

    return WordLSTM()


def main(argv):
    args = parse_args(argv)
    # Debian's PyTorch does its matrix products in OpenBLAS (openblas-pthread),
    # whose own thread pool torch.set_num_threads does not size: without this
    # a "1 thread" run multiplies on every core. Set before torch loads it;
    # an OPENBLAS_NUM_THREADS already in the environment is kept.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", str(args.threads))
    try:
        import torch
    except Exception as exc:  # ImportError, but also OSError from a broken shared library
        print("torch unavailable: %s: %s" % (type(exc).__name__, exc), file=sys.stderr)
        return 3

    # The inter-op pool can only be sized before any parallel work starts.
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError as exc:
        print("torch_lstm: set_num_interop_threads(1) failed: %s" % exc, file=sys.stderr)
    torch.set_num_threads(args.threads)
    if torch.get_num_threads() != args.threads:
        print("torch_lstm: asked for %d threads, torch uses %d" % (args.threads, torch.get_num_threads()),
              file=sys.stderr)

    torch.manual_seed(SEED)
    model = build_model(torch)
    model.train()
    loss_fn = torch.nn.CrossEntropyLoss()
    params = list(model.parameters())
    total = args.warmup + args.steps
    # column-major streams as the example's batchify: data[t, b]
    data = torch.randint(0, VOCAB, (total * BPTT + 1, BATCH), dtype=torch.int64)
    hidden = (torch.zeros(LAYERS, BATCH, HIDDEN), torch.zeros(LAYERS, BATCH, HIDDEN))

    def step(i, hidden):
        x = data[i * BPTT:(i + 1) * BPTT]
        y = data[i * BPTT + 1:(i + 1) * BPTT + 1].reshape(-1)
        hidden = tuple(h.detach() for h in hidden)
        model.zero_grad(set_to_none=True)
        logits, hidden = model(x, hidden)
        loss = loss_fn(logits, y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, CLIP)
        with torch.no_grad():
            for p in params:
                p.add_(p.grad, alpha=-LR)
        return loss, hidden

    for i in range(args.warmup):
        _, hidden = step(i, hidden)
    # CPU ops run synchronously, so the wall clock around the loop is the cost.
    t0 = time.perf_counter()
    for i in range(args.warmup, total):
        loss, hidden = step(i, hidden)
    elapsed = time.perf_counter() - t0
    if not torch.isfinite(loss).item():
        print("torch_lstm: loss is not finite (%s)" % loss.item(), file=sys.stderr)
        return 1

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: kilobytes
    print("torch_lstm threads=%d batch=%d bptt=%d words_per_s=%.1f step_ms=%.2f steps=%d peak_rss_mb=%.1f"
          % (args.threads, BATCH, BPTT, BATCH * BPTT * args.steps / elapsed, 1000.0 * elapsed / args.steps,
             args.steps, peak_mb))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
