"""What the bits (``vgapp/panels/precision_bits.py``) add to the floating-point panel's view:
the view timed without them and with them, interleaved in one process (a ratio), over 45
settings (five weights, three updates, three precisions); the minimum of the rounds, since the
machine is shared. The page memoises views, so this is the cost of a setting's first draw.

    python -m bench.precision_bits [--rounds 15]
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from vgapp.panels import precision

SETTINGS: list[dict[str, Any]] = [
    {"fp_w": w, "fp_eta": eta, "fp_grad_exp": k, "fp_dtype": dtype}
    for w in (1.0, 0.1, -65000.0, 5e-324, 1e6)
    for eta, k in ((0.1, -16), (0.5, -3), (10.0, 5))
    for dtype in ("float16", "float32", "float64")
]


def per_view() -> float:
    """Seconds per view, over every setting once."""
    start = time.perf_counter()
    for values in SETTINGS:
        precision.view(**values)
    return (time.perf_counter() - start) / len(SETTINGS)


def none(*_: Any) -> tuple[()]:
    return ()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    rounds = parser.parse_args().rounds
    real = getattr(precision, "bits_blocks")  # noqa: B009 - swapped below
    per_view()  # warm the imports and caches of both variants
    without, with_bits = [], []
    try:
        for _ in range(rounds):
            setattr(precision, "bits_blocks", none)  # noqa: B010
            without.append(per_view())
            setattr(precision, "bits_blocks", real)  # noqa: B010
            with_bits.append(per_view())
    finally:
        setattr(precision, "bits_blocks", real)  # noqa: B010
    before, after = min(without), min(with_bits)
    print(
        f"precision view: without the bits {before * 1e3:.1f} ms, with them "
        f"{after * 1e3:.1f} ms: ratio {after / before:.2f}"
    )


if __name__ == "__main__":
    main()
