"""What one interaction costs the server, with nobody else on it (no load, no queue).

python bench/answer_cost.py [--interactions 200] [--profile PREFIX]

One client, in Streamlit's own protocol (bench/st_client.py), sends its interactions one after
the other to one instance on PostgreSQL: answers on the few-widget page (bench/bare_page.py),
on the same page saving each answer (bench/bare_save_page.py: the floor of "every answer is
saved at once"), then answers on step 1 of a complete draft and « Étape suivante » back and
forth between steps 1 and 2 of the application. Printed for each: time until the end of the
rerun (p50, p95), the CPU time per interaction of the server and of PostgreSQL (from /proc,
user + system), the messages per rerun and how many runs redrew fragments only; then the
application's answer over each floor, measured in turn, then in rounds of one answer on each
page (the order turning), where the machine's other work slows all three alike (on this shared
machine, two runs in turn differ by up to 30 %). A refused answer stops the bench.

Under load (bench/load.py) the CPU time is what fills the two cores, and latency is made of
queueing behind it: this bench tells, in a minute and repeatably, whether a change made an
interaction cheaper, where the load test's figures move with the machine's other work.
With --profile, py-spy records the application's server meanwhile (PREFIX-answer.txt, then
PREFIX-next-step.txt: collapsed stacks, for speedscope or flamegraph.pl).
Skipped with a message when PostgreSQL is missing (CNFS_BENCH_POSTGRES_URL).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import os
import signal
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if __name__ == "__main__":
    sys.path[0] = str(ROOT)

from bench import load  # noqa: E402
from bench.st_client import StreamlitClient, text_state  # noqa: E402
from tests.databases import fresh_postgres_database  # noqa: E402


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_cpu_seconds() -> float:
    """CPU time of this machine's PostgreSQL processes so far (its share of each save)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # ended meanwhile
        if "(postgres)" in text:
            fields = text.rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


@contextlib.contextmanager
def profiled(pid: int, output: str | None):
    """py-spy records the process while the block runs (nothing when output is None)."""
    if output is None:
        yield
        return
    spy = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "py-spy"),
            "record",
            "-p",
            str(pid),
            "-r",
            "250",
            "-f",
            "raw",
            "-o",
            output,
            "--nonblocking",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield
    finally:
        spy.send_signal(signal.SIGINT)  # py-spy writes its file when interrupted
        spy.wait(timeout=60)
        print(f"profil : {output}")


async def measure(
    label: str,
    pid: int,
    count: int,
    step: Callable[[int], Awaitable[float]],
    client: StreamlitClient,
    profile: str | None = None,
) -> float:
    """Print the figures of `count` interactions; returns their median (seconds)."""
    walls, messages, partial = [], [], 0
    before, database_before = cpu_seconds(pid), postgres_cpu_seconds()
    with profiled(pid, profile):
        for n in range(count):
            walls.append(await step(n))
            messages.append(client.messages)
            partial += bool(client.fragments_run)
            refused = [t for t in client.texts if any(m in t for m in load.REFUSED_MARKERS)]
            if refused:
                raise SystemExit(f"{label} : réponse refusée, mesure faussée — {refused[0][:200]}")
    cpu_ms = (cpu_seconds(pid) - before) / count * 1000
    database_ms = (postgres_cpu_seconds() - database_before) / count * 1000
    walls.sort()
    print(
        f"{label:<34} p50 {walls[count // 2] * 1000:6.1f} ms  "
        f"p95 {walls[int(count * 0.95)] * 1000:6.1f} ms  CPU serveur {cpu_ms:5.1f} ms  "
        f"CPU PostgreSQL {database_ms:4.1f} ms  {statistics.median(messages):.0f} messages/rerun"
        f"  ({partial}/{count} par fragments seuls)"
    )
    return walls[count // 2]


@dataclasses.dataclass
class Page:
    """One server, its client, and what an interaction is on it."""

    label: str
    pid: int
    client: StreamlitClient
    answer: Callable[[int], Awaitable[float]]


async def bare_page(ws_url: str, pid: int, label: str) -> Page:
    client = StreamlitClient(ws_url)
    await client.connect()
    await client.rerun(page_name="")

    async def answer(n: int) -> float:
        return await client.rerun([text_state(client.widget(key="name").id, f"valeur {n}")])

    return Page(label, pid, client, answer)


async def application(ws_url: str, pid: int, account: load.Account) -> tuple[Page, Callable]:
    """The application's page (step 1 of a complete draft), and « Étape suivante » on it."""
    client = StreamlitClient(ws_url)
    await load.open_draft(client, account)
    keys = [f"f:{account.application_id}:{path}" for path in load.EDITS[1]]

    async def answer(n: int) -> float:
        widget = client.widget(key=keys[n % len(keys)])
        return await client.rerun([text_state(widget.id, f"Réponse {n}")])

    async def next_step(n: int) -> float:
        return await client.rerun(
            page_name=load.STEP_PAGE_NAMES[2 if n % 2 == 0 else 1],
            query_string=f"dossier={account.application_id}",
        )

    return Page(APP_ANSWER, pid, client, answer), next_step


async def alternated(pages: list[Page], count: int) -> list[float]:
    """Each page's median answer over `count` rounds of one answer on each, the order turning
    every round: the machine's other work slows them all alike, and their ratio holds."""
    walls: list[list[float]] = [[] for _ in pages]
    for n in range(count):
        for k in range(len(pages)):
            i = (n + k) % len(pages)
            walls[i].append(await pages[i].answer(1_000_000 + n))
    return [statistics.median(w) for w in walls]


async def run(
    servers: dict[str, load.BenchServer], account: load.Account, args: argparse.Namespace
) -> None:
    count = args.interactions
    pages = []
    for script, label in FLOORS:
        server = servers[script]
        pages.append(await bare_page(server_ws(server), server.process.pid, label))
    app_server = servers["streamlit_app.py"]
    app, next_step = await application(server_ws(app_server), app_server.process.pid, account)
    pages.append(app)
    try:
        medians = [
            await measure(
                page.label,
                page.pid,
                count,
                page.answer,
                page.client,
                args.profile and page is app and f"{args.profile}-answer.txt" or None,
            )
            for page in pages
        ]
        await measure(
            "application : « Étape suivante »",
            app.pid,
            count,
            next_step,
            app.client,
            args.profile and f"{args.profile}-next-step.txt",
        )
        for (_, label), median in zip(FLOORS, medians, strict=False):
            print(f"réponse de l'application / {label} (p50) : {medians[-1] / median:.2f}×")
        mixed = await alternated(pages, count)
        print(
            f"en alternance ({count} tours, une réponse sur chaque page par tour) : p50 "
            + ", ".join(
                f"{page.label.split(' :')[0]} {m * 1000:.1f} ms"
                for page, m in zip(pages, mixed, strict=True)
            )
        )
        for (_, label), median in zip(FLOORS, mixed, strict=False):
            print(f"  réponse de l'application / {label} (p50) : {mixed[-1] / median:.2f}×")
    finally:
        for page in pages:
            await page.client.close()


def server_ws(server: load.BenchServer) -> str:
    return f"ws://127.0.0.1:{server.port}/_stcore/stream"


APP_ANSWER = "application : réponse (étape 1)"
FLOORS = [
    ("bench/bare_page.py", "page témoin : réponse"),
    ("bench/bare_save_page.py", "page témoin enregistrée : réponse"),
]


def check_floor_saves(url: str, count: int) -> None:
    """The saving floor really saved each answer (one row, its version counts them)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        versions = conn.execute(text("SELECT coalesce(sum(version), 0) FROM bench_floor")).scalar()
    engine.dispose()
    if versions != count:
        raise SystemExit(f"page témoin enregistrée : {versions} enregistrements pour {count}")
    print(f"page témoin enregistrée : {versions}/{count} réponses enregistrées en base")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interactions", type=int, default=200)
    parser.add_argument("--profile", help="préfixe des profils py-spy (facultatif)")
    args = parser.parse_args()
    if args.interactions < 20:
        parser.error("--interactions : au moins 20, pour que p95 ne soit pas le maximum")
    admin_url = os.environ.get("CNFS_BENCH_POSTGRES_URL", load.DEFAULT_ADMIN_URL)
    missing = load.postgres_available(admin_url)
    if missing:
        print(f"Banc ignoré : PostgreSQL injoignable ({admin_url}) — {missing}")
        return 0
    print("charge machine au début : " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    databases = fresh_postgres_database(admin_url, prefix="cnfs_cost")
    url = next(databases)
    try:
        with tempfile.TemporaryDirectory() as tmp_name:
            [account] = load.seed(url, 1, "cout", rounds=4)
            servers = {}
            try:
                for script, _ in [*FLOORS, ("streamlit_app.py", "")]:
                    [servers[script]] = load.start_servers(url, 1, script, Path(tmp_name))
                    asyncio.run(load.warm(server_ws(servers[script])))
                asyncio.run(run(servers, account, args))
            finally:
                for server in servers.values():
                    server.stop()
            check_floor_saves(url, 2 * args.interactions)  # measured, then alternated
    finally:
        next(databases, None)
    print("charge machine à la fin : " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
