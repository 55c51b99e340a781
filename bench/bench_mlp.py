"""Speed of ``vgcore.mlp``: one loss-and-gradient evaluation against PyTorch CPU autograd, and
1,000 gradient-descent steps.

Network for the comparison: 2-D input, 10 hidden sigmoid layers of width w, 1 linear output,
batch 256, mse (sum), float64, standard initialisation; both libraries get the same weights and
compute the same loss and gradients (checked below). Figures are medians over repeats of
blocks, numpy and torch blocks interleaved so that they share the machine's noise. PyTorch is
optional (``pip install torch``); without it the comparison is skipped.

Threads: OpenBLAS (numpy) uses one thread per core unless OPENBLAS_NUM_THREADS says otherwise;
torch.set_num_threads is set to that same number. If OPENBLAS_CORETYPE or OPENBLAS_L2_SIZE is
set, the benchmark runs twice: as configured, and in a subprocess with both unset.

Run: ``python -m bench.bench_mlp``.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from vgcore.mlp import flatten_params, init_mlp, mlp_loss_and_grads, mlp_objective

WIDTHS = (8, 32, 64, 256, 512)
DEPTH = 10
BATCH = 256
OPENBLAS_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
CHILD_FLAG = "--child"


def blas_threads() -> int:
    """Threads OpenBLAS uses: OPENBLAS_NUM_THREADS if set, else the number of cores."""
    value = os.environ.get("OPENBLAS_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS")
    return int(value) if value else (os.cpu_count() or 1)


def block_size(call: Callable[[], object], target_seconds: float = 0.02) -> int:
    """Calls per timed block so that one block lasts about ``target_seconds``."""
    call()
    start = time.perf_counter()
    call()
    once = max(time.perf_counter() - start, 1e-7)
    return max(1, int(target_seconds / once))


def time_block(call: Callable[[], object], calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        call()
    return (time.perf_counter() - start) / calls


def network(width: int) -> tuple[list, np.ndarray, np.ndarray]:
    sizes = [2] + [width] * DEPTH + [1]
    params = init_mlp(sizes, "standard", seed=0)
    rng = np.random.default_rng(1)
    X = rng.uniform(-1.0, 1.0, size=(BATCH, 2))
    y = np.sin(3.0 * X[:, :1]) * X[:, 1:]
    return params, X, y


def compare_with_torch(repeats: int) -> None:
    try:
        import torch
    except ImportError:
        print("PyTorch is not installed: comparison with autograd skipped (pip install torch).")
        return
    threads = blas_threads()
    torch.set_num_threads(threads)
    print(
        f"numpy {np.__version__} (OpenBLAS threads {threads}) vs torch {torch.__version__} "
        f"(torch.set_num_threads({threads})), float64, batch {BATCH}, 2-D input, "
        f"{DEPTH} hidden sigmoid layers, mse; median of {repeats} blocks"
    )
    print(f"{'width':>6} {'numpy ms':>10} {'torch ms':>10} {'numpy/torch':>12} {'max|Δgrad|':>11}")
    for width in WIDTHS:
        params, X, y = network(width)
        tparams = [
            (torch.tensor(w, requires_grad=True), torch.tensor(b, requires_grad=True))
            for w, b in params
        ]
        tX, ty = torch.tensor(X), torch.tensor(y)

        def numpy_call(params=params, X=X, y=y) -> object:
            return mlp_loss_and_grads(params, X, y, "sigmoid", "mse")

        def torch_call(tparams=tparams, tX=tX, ty=ty) -> object:
            for w, b in tparams:
                w.grad = None
                b.grad = None
            h = tX
            for w, b in tparams[:-1]:
                h = torch.sigmoid(torch.addmm(b, h, w))
            w, b = tparams[-1]
            loss = ((torch.addmm(b, h, w) - ty) ** 2).sum()
            loss.backward()
            return loss

        torch_call()
        _, grads = numpy_call()
        difference = max(
            float(np.max(np.abs(g - t.grad.numpy())))
            for pair, tpair in zip(grads, tparams, strict=True)
            for g, t in zip(pair, tpair, strict=True)
        )
        numpy_calls, torch_calls = block_size(numpy_call), block_size(torch_call)
        numpy_times, torch_times = [], []
        for _ in range(repeats):
            numpy_times.append(time_block(numpy_call, numpy_calls))
            torch_times.append(time_block(torch_call, torch_calls))
        numpy_ms = statistics.median(numpy_times) * 1e3
        torch_ms = statistics.median(torch_times) * 1e3
        print(
            f"{width:>6} {numpy_ms:>10.3f} {torch_ms:>10.3f} {numpy_ms / torch_ms:>12.2f} "
            f"{difference:>11.1e}"
        )


def descent_steps(repeats: int, steps: int = 1000) -> None:
    width = 32
    params, X, y = network(width)
    sizes = [2] + [width] * DEPTH + [1]
    objective = mlp_objective(sizes, X, y, "sigmoid", "mse")
    x0 = flatten_params(params)
    try:
        from vgcore.descent import gradient_descent
        from vgcore.stopping import StoppingRules
    except ImportError:
        gradient_descent = None

    if gradient_descent is not None:
        rules = StoppingRules(max_iter=steps, stagnation=False)

        def run() -> object:
            return gradient_descent(objective, x0, eta=1e-3, rules=rules)

        how = "vgcore.descent.gradient_descent(mlp_objective(...), eta=1e-3)"
    else:

        def run() -> object:
            x = x0.copy()
            for _ in range(steps):
                _, gradient, _ = objective(x)
                x -= 1e-3 * gradient
            return x

        how = "a bare loop x -= 1e-3 * grad over mlp_objective (vgcore.descent not found)"
    times = [time_block(run, 1) for _ in range(repeats)]
    result = run()
    last = f"; final loss {result.loss[-1]:.4g}" if hasattr(result, "loss") else ""
    print(
        f"{steps} steps, {DEPTH} hidden sigmoid layers of width {width}, batch {BATCH}, float64, "
        f"{how}: median {statistics.median(times):.3f} s over {repeats} runs{last}"
    )


def measure() -> None:
    state = ", ".join(f"{name}={os.environ.get(name, '(unset)')}" for name in OPENBLAS_VARS)
    print(f"environment: {state}")
    compare_with_torch(repeats=15)
    descent_steps(repeats=5)


def main() -> None:
    measure()
    if CHILD_FLAG not in sys.argv and any(name in os.environ for name in OPENBLAS_VARS):
        print("\nagain in a subprocess with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset:")
        environment = {k: v for k, v in os.environ.items() if k not in OPENBLAS_VARS}
        subprocess.run(
            [sys.executable, "-m", "bench.bench_mlp", CHILD_FLAG],
            env=environment,
            check=True,
            cwd=Path(__file__).resolve().parents[1],
        )


if __name__ == "__main__":
    main()
