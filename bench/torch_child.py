#!/usr/bin/python3
"""torch_child.py: PyTorch peer of bench/child_bench.c.

Times training steps (forward + backward + SGD with momentum) of the
reference child network on random data, or with --eval its evaluation
(model.eval() and torch.no_grad(): running batch-norm statistics, forward
only), and prints one line:

    torch threads=N batch=B mode=train|eval images_per_s=X step_ms=Y peak_rss_mb=M

peak_rss_mb is the process's peak resident memory (getrusage ru_maxrss),
the interpreter and the torch library included.

The network: six blocks conv(kh x kw, f, stride 1, same padding, no bias)
-> BatchNorm2d -> ReLU with (kh, kw, f) = (3,3,36) (5,5,48) (3,5,64)
(1,7,36) (7,1,48) (3,3,64), then global average pooling -> Linear(64, 10)
-> cross-entropy, on 1x28x28 float32 inputs with 10 classes.

usage: torch_child.py --threads N [--warmup W] [--steps S] [--batch B] [--eval] [--profile]

--profile runs extra steps under torch.autograd.profiler after the timed
run (so the reported throughput is not affected) and prints the 15 ops
with the largest self CPU time to stderr, per step and as the profiler's
own table.

Exit codes: 0 ok, 2 bad arguments, 3 torch cannot be imported.
Run it with Debian's interpreter (/usr/bin/python3) and python3-torch.
"""
import argparse
import os
import resource
import sys
import time

LAYERS = ((3, 3, 36), (5, 5, 48), (3, 5, 64), (1, 7, 36), (7, 1, 48), (3, 3, 64))
IN_CHANNELS, HEIGHT, WIDTH, CLASSES = 1, 28, 28, 10
LR, MOMENTUM = 0.01, 0.9
SEED = 0
PROFILE_TOP = 15


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
    p = argparse.ArgumentParser(description="PyTorch training throughput of the reference child network")
    p.add_argument("--threads", type=positive, required=True, help="intra-op threads")
    p.add_argument("--warmup", type=non_negative, default=5, help="untimed steps first (default 5)")
    p.add_argument("--steps", type=positive, default=30, help="timed steps (default 30)")
    p.add_argument("--batch", type=positive, default=64, help="images per step (default 64)")
    p.add_argument("--eval", action="store_true", help="time evaluation (eval mode, no_grad, forward only)")
    p.add_argument("--profile", action="store_true", help="per-op breakdown to stderr")
    return p.parse_args(argv)


def build_model(torch):
    nn = torch.nn
    blocks = []
    channels = IN_CHANNELS
    for kh, kw, filters in LAYERS:
        # every kernel is odd-sized, so (kh//2, kw//2) keeps 28x28
        blocks.append(nn.Conv2d(channels, filters, (kh, kw), stride=1, padding=(kh // 2, kw // 2), bias=False))
        blocks.append(nn.BatchNorm2d(filters))
        blocks.append(nn.ReLU())
        channels = filters
    blocks.append(nn.AdaptiveAvgPool2d(1))
    blocks.append(nn.Flatten())
    blocks.append(nn.Linear(channels, CLASSES, bias=True))
    return nn.Sequential(*blocks)


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
        print("torch_child: set_num_interop_threads(1) failed: %s" % exc, file=sys.stderr)
    torch.set_num_threads(args.threads)
    if torch.get_num_threads() != args.threads:
        print("torch_child: asked for %d threads, torch uses %d" % (args.threads, torch.get_num_threads()),
              file=sys.stderr)

    torch.manual_seed(SEED)
    model = build_model(torch)
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    loss_fn = torch.nn.CrossEntropyLoss()
    x = torch.randn(args.batch, IN_CHANNELS, HEIGHT, WIDTH, dtype=torch.float32)
    y = torch.randint(0, CLASSES, (args.batch,), dtype=torch.int64)

    def train_step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss

    def eval_step():
        with torch.no_grad():
            return loss_fn(model(x), y)

    if args.eval:
        model.eval()
        step = eval_step
    else:
        model.train()
        step = train_step

    for _ in range(args.warmup):
        step()
    # CPU ops run synchronously, so the wall clock around the loop is the cost.
    t0 = time.perf_counter()
    for _ in range(args.steps):
        loss = step()
    elapsed = time.perf_counter() - t0
    if not torch.isfinite(loss).item():
        print("torch_child: loss is not finite (%s)" % loss.item(), file=sys.stderr)
        return 1

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: kilobytes
    print("torch threads=%d batch=%d mode=%s images_per_s=%.1f step_ms=%.2f peak_rss_mb=%.1f"
          % (args.threads, args.batch, "eval" if args.eval else "train", args.batch * args.steps / elapsed,
             1000.0 * elapsed / args.steps, peak_mb))
    sys.stdout.flush()

    if args.profile:
        profile(torch, step, args)
    return 0


def profile(torch, step, args):
    steps = args.steps
    with torch.autograd.profiler.profile() as prof:
        for _ in range(steps):
            step()
    averages = prof.key_averages()
    top = sorted(averages, key=lambda e: e.self_cpu_time_total, reverse=True)[:PROFILE_TOP]
    total_us = sum(e.self_cpu_time_total for e in averages)
    err = sys.stderr
    print("torch profile: threads=%d batch=%d, %d profiled steps; top %d ops by self CPU time"
          % (args.threads, args.batch, steps, PROFILE_TOP), file=err)
    print("%-44s %12s %8s %12s" % ("op", "self ms/step", "self %", "calls/step"), file=err)
    for e in top:
        share = 100.0 * e.self_cpu_time_total / total_us if total_us else 0.0
        print("%-44s %12.3f %7.1f%% %12.1f"
              % (e.key[:44], e.self_cpu_time_total / 1000.0 / steps, share, e.count / steps), file=err)
    print("%-44s %12.3f" % ("(all ops)", total_us / 1000.0 / steps), file=err)
    print("", file=err)
    print(averages.table(sort_by="self_cpu_time_total", row_limit=PROFILE_TOP), file=err)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
