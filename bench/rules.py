"""Benchmark of the rules engine: latency of one evaluation and 35,000 in a row.

Run: python bench/rules.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core import reference  # noqa: E402
from core.calls import get_call  # noqa: E402
from core.rules import evaluate  # noqa: E402
from tests.builders import (  # noqa: E402
    CD93,
    CD93_TODAY,
    TODAY,
    WAVE1,
    complete_application,
    complete_project,
)

COMMUNES = 35_000  # roughly one application per French commune


def latency(label: str, data: dict, call_id: str, today) -> None:
    call = get_call(call_id)
    for _ in range(200):  # warm caches (reference tables, pydantic validators)
        evaluate(data, call, today)
    samples = []
    for _ in range(5_000):
        start = time.perf_counter()
        evaluate(data, call, today)
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    median = statistics.median(samples)
    p99 = samples[int(len(samples) * 0.99)]
    print(f"evaluate, {label} : médiane {median:.3f} ms, p99 {p99:.3f} ms (cible ≤ 1 / ≤ 3)")


def main() -> None:
    call = get_call(WAVE1)
    latency("dossier complet", complete_application(WAVE1), WAVE1, TODAY)
    latency("projet AMI 93 complet", complete_project(), CD93, CD93_TODAY)

    departments = [d.code for d in reference.departments()]
    types = ["commune", "ccas", "communaute_de_communes", "departement", "association"]
    batch = [
        complete_application(
            WAVE1,
            **{
                "structure.department": departments[i % len(departments)],
                "structure.structure_type": types[i % len(types)],
                "structure.legal_category": None,
                "posts.count": 1 + i % 5,
            },
        )
        for i in range(COMMUNES)
    ]
    start = time.perf_counter()
    statuses: dict[str, int] = {}
    for item in batch:
        status = evaluate(item, call, TODAY).status.value
        statuses[status] = statuses.get(status, 0) + 1
    elapsed = time.perf_counter() - start
    print(f"{COMMUNES} dossiers évalués en {elapsed:.2f} s (cible ≤ 30 s) ; statuts : {statuses}")


if __name__ == "__main__":
    main()
