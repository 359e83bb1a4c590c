"""Application PDF timings: first render (fonts cold), median of a typical one, a batch of 1,000.

Run: python bench/pdf.py [--batch 1000] [--repeat 50]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core import rules  # noqa: E402
from core.calls import get_call  # noqa: E402
from core.models import Application  # noqa: E402
from core.pdf import pdf_sha256, render_application  # noqa: E402
from tests.builders import rich_application  # noqa: E402

CALL = get_call("cnfs-2020-collectivites")
TODAY = dt.date(2021, 1, 20)


def typical(i: int) -> Application:
    """A complete application of ordinary length; i varies the name like a real batch."""
    return rich_application(
        CALL.id,
        **{
            "structure.name": f"Commune de Saint-Œuf-sur-Marne n° {i}",
            "posts.coordinator_justification": "Douze lieux de médiation à animer en réseau. " * 8,
        },
    )


def render(i: int) -> bytes:
    app = typical(i)
    verdict = rules.evaluate(app, CALL, TODAY)
    return render_application(
        app,
        verdict,
        CALL,
        dossier_number=f"CNFS-2021-{i:05d}",
        submitted_at=dt.datetime(2021, 1, 20, 9, 30, tzinfo=dt.UTC),
        generated_at=dt.datetime(2021, 1, 20, 9, 31, tzinfo=dt.UTC),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()

    start = time.perf_counter()
    first = render(0)
    print(f"first render (fonts parsed)   : {(time.perf_counter() - start) * 1000:7.1f} ms")

    times = []
    for i in range(args.repeat):
        start = time.perf_counter()
        render(i)
        times.append(time.perf_counter() - start)
    times.sort()
    p95 = times[int(len(times) * 0.95) - 1]
    print(
        f"typical application, median   : {statistics.median(times) * 1000:7.1f} ms "
        f"(p95 {p95 * 1000:.1f} ms, n={args.repeat}, target ≤ 150 ms)"
    )
    print(f"size                          : {len(first) / 1024:7.1f} KiB")
    print(f"identical on re-render        : {pdf_sha256(render(0)) == pdf_sha256(first)}")

    start = time.perf_counter()
    total = 0
    for i in range(args.batch):
        total += len(render(i))
    elapsed = time.perf_counter() - start
    print(
        f"batch of {args.batch} PDFs            : {elapsed:7.1f} s, "
        f"{args.batch / elapsed:.1f} PDF/s, {total / 1024 / 1024:.1f} MiB"
    )


if __name__ == "__main__":
    main()
