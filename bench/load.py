"""Opening day: hundreds of applicants at once, in Streamlit's own protocol (no browser each).

python bench/load.py [--users 200] [--think 5] [--ramp 60] [--duration 60] [--churn 1000]

Each simulated applicant opens a WebSocket to /_stcore/stream, logs in with its own account
(created with its draft directly in a fresh PostgreSQL database, dropped afterwards), resumes its
draft and changes one answer every few seconds (think time uniform around --think), moving
through steps 1 and 2. Measured after the ramp-up, for --duration seconds: interactions per
second, widget change → end of the rerun (p50/p95/p99), errors, server memory per session.
Runs against one instance, then two behind bench/proxy.py (sticky sessions), and the same load
on bench/bare_page.py (a few widgets, no database, the same server settings, TCP_NODELAY
included): the floor, with the app's ratio to it. A second floor, bench/step_floor.py, is step 1
drawn element for element with nothing behind it: it splits the app's time into what Streamlit
costs to draw that step and what the app's own code adds. A third, bench/bare_save_page.py, is
the few-widget page saving each answer to PostgreSQL: the price of "every answer saved at once"
under the same load. The saves are checked in the database (each draft's version and last
answer). Finally --churn sessions come and go on one instance: memory
before, halfway and after they left.

Everything runs on 127.0.0.1; skipped with a message when PostgreSQL is missing
(CNFS_BENCH_POSTGRES_URL, default postgresql+psycopg://postgres@127.0.0.1:5432/test).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The script directory holds bench/pages.py, which would shadow the pages package.
if sys.path[0] == str(ROOT / "bench"):  # run as a script, not imported by the tests
    sys.path[0] = str(ROOT)

import bcrypt  # noqa: E402
from sqlalchemy import create_engine, select, text  # noqa: E402

from bench.st_client import RunError, StreamlitClient, text_state, trigger_state  # noqa: E402
from tests.builders import WAVE1, complete_application  # noqa: E402
from tests.databases import fresh_postgres_database  # noqa: E402
from tests.e2e.server import StreamlitServer, free_port  # noqa: E402

DEFAULT_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PASSWORD = "Banc-de-charge-2021!"  # noqa: S105 (fictitious accounts of a throw-away database)
# Per step: the text answers a simulated applicant edits, and the page it is on.
EDITS = {
    1: ["structure.commune", "structure.address", "contact.name", "contact.role"],
    2: ["posts.places_of_activity"],
}
STEP_PAGE_NAMES = {1: "step_1_structure", 2: "step_2_postes"}
EDITS_PER_STEP = 6
CHURN_WAVE = 50
# Past the numbers core.scale_seed gives its dossiers: a bench account never takes their SIRET.
BENCH_SIRET_BASE = 9_000_000
WARM_UP_S = 15  # migrations, imports, fonts: memory "at rest" is measured after them
SESSION_TTL_S = 30  # for the churn server: how long Streamlit keeps a session after it left


# --- databases and servers -----------------------------------------------------------------


def postgres_available(admin_url: str) -> str | None:
    """None when the server answers, else why not (in French)."""
    try:
        engine = create_engine(admin_url)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:
        return f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
    return None


@dataclasses.dataclass
class Account:
    email: str
    application_id: int


def seed(url: str, users: int, prefix: str, rounds: int) -> list[Account]:
    """Accounts with one draft each (a complete application, as on a busy morning)."""
    from core.db import ApplicationRow, AuditEventRow, UserRow, get_engine, session_scope
    from core.models import Application
    from core.scale_seed import fake_siret
    from core.storage import filter_columns

    engine = get_engine(url)
    password_hash = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds)).decode()
    now = __import__("core.clock", fromlist=["now"]).now()
    accounts = []
    with session_scope(engine) as session:
        base = session.execute(text("SELECT count(*) FROM users")).scalar_one()
        for n in range(users):
            row = UserRow(
                email=f"{prefix}{n}@banc.example.fr",
                name=f"Mairie banc {prefix}{n}",
                password_hash=password_hash,
                role="applicant",
                created_at=now,
            )
            session.add(row)
            session.flush()
            data = complete_application(
                WAVE1, **{"structure.siret": fake_siret(BENCH_SIRET_BASE + base + n, True)}
            )
            data["structure"]["name"] = f"Commune banc {prefix}{n}"
            app = ApplicationRow(
                **filter_columns(Application.model_validate(data)),  # as storage fills them
                call_id=WAVE1,
                owner_id=row.id,
                status="draft",
                data=data,
                version=1,
                created_at=now,
                updated_at=now,
            )
            session.add(app)
            session.flush()
            session.add(
                AuditEventRow(
                    at=now, actor_id=row.id, application_id=app.id, action="created", detail=WAVE1
                )
            )
            accounts.append(Account(row.email, app.id))
    return accounts


class BenchServer(StreamlitServer):
    extra_env: dict[str, str] = {}  # noqa: RUF012

    @property
    def env(self) -> dict[str, str]:
        return {**super().env, **self.extra_env}


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# --- simulated users -----------------------------------------------------------------------


@dataclasses.dataclass
class Stats:
    latencies: dict[str, list[float]] = dataclasses.field(default_factory=dict)
    messages: dict[str, list[int]] = dataclasses.field(default_factory=dict)  # per rerun
    errors: list[str] = dataclasses.field(default_factory=list)
    logins: list[float] = dataclasses.field(default_factory=list)
    measuring: bool = False
    interactions: int = 0

    def record(self, kind: str, seconds: float, messages: int) -> None:
        if self.measuring:
            self.latencies.setdefault(kind, []).append(seconds)
            self.messages.setdefault(kind, []).append(messages)
            self.interactions += 1

    def error(self, message: str) -> None:
        self.errors.append(message)


@dataclasses.dataclass
class Expected:
    tag: str = ""  # tells this phase's answers from an earlier phase's
    saves: int = 0
    last: dict[str, str] = dataclasses.field(default_factory=dict)


REFUSED_MARKERS = ("n'a pas été enregistrée", "modifiée dans un autre onglet", "Rechargez")


async def open_draft(client: StreamlitClient, account: Account) -> None:
    """Connect, log in with the account, resume its draft and open step 1 of it."""
    await client.connect()
    await client.rerun(page_name="")
    await client.rerun(
        [
            text_state(client.widget(label="Adresse électronique").id, account.email),
            text_state(client.widget(label="Mot de passe").id, PASSWORD),
            trigger_state(client.widget(label="Se connecter").id),
        ]
    )
    resume = client.widget(key=f"open-{account.application_id}")
    await client.rerun([trigger_state(resume.id)])  # a complete draft opens on step 5
    await client.rerun(
        page_name=STEP_PAGE_NAMES[1], query_string=f"dossier={account.application_id}"
    )


async def applicant(
    ws_url: str,
    account: Account,
    stats: Stats,
    expected: Expected,
    start_after: float,
    stop_at: float,
    think: float,
    rng: random.Random,
) -> None:
    await asyncio.sleep(start_after)
    client = StreamlitClient(ws_url)
    try:
        started = time.perf_counter()
        await open_draft(client, account)
        stats.logins.append(time.perf_counter() - started)
        step, edits = 1, 0
        while time.monotonic() < stop_at:
            await asyncio.sleep(rng.uniform(think * 0.5, think * 1.5))
            if time.monotonic() >= stop_at:
                break
            if edits >= EDITS_PER_STEP:
                step = 2 if step == 1 else 1
                edits = 0
                seconds = await client.rerun(
                    page_name=STEP_PAGE_NAMES[step],
                    query_string=f"dossier={account.application_id}",
                )
                stats.record("étape suivante", seconds, client.messages)
                continue
            path = rng.choice(EDITS[step])
            key = f"f:{account.application_id}:{path}"
            value = f"Réponse {expected.saves + 1} de {account.email} ({expected.tag})"
            seconds = await client.rerun([text_state(client.widget(key=key).id, value)])
            refused = [t for t in client.texts if any(m in t for m in REFUSED_MARKERS)]
            if refused:
                stats.error(f"{account.email}: {refused[0][:200]}")
            else:
                expected.saves += 1
                expected.last[path] = value
            stats.record("réponse modifiée", seconds, client.messages)
            edits += 1
    except (RunError, OSError) as exc:
        stats.error(f"{account.email}: {exc}")
    finally:
        await client.close()


async def bare_visitor(
    ws_url: str,
    n: int,
    stats: Stats,
    start_after: float,
    stop_at: float,
    think: float,
    rng: random.Random,
) -> None:
    await asyncio.sleep(start_after)
    client = StreamlitClient(ws_url)
    try:
        await client.connect()
        await client.rerun(page_name="")
        k = 0
        while time.monotonic() < stop_at:
            await asyncio.sleep(rng.uniform(think * 0.5, think * 1.5))
            if time.monotonic() >= stop_at:
                break
            k += 1
            seconds = await client.rerun([text_state(client.widget(key="name").id, f"v{n}-{k}")])
            stats.record("réponse modifiée", seconds, client.messages)
    except (RunError, OSError) as exc:
        stats.error(f"témoin {n}: {exc}")
    finally:
        await client.close()


async def run_load(
    ws_url: str,
    users: int,
    ramp: float,
    duration: float,
    think: float,
    pids: list[int],
    accounts: list[Account] | None,
) -> tuple[Stats, list[Expected], dict[str, float]]:
    stats = Stats()
    rng = random.Random(2021)
    tag = f"passe {time.time():.0f}"
    expected = [Expected(tag) for _ in range(users)]
    t0 = time.monotonic()
    stop_at = t0 + ramp + duration
    tasks = []
    for n in range(users):
        start_after = ramp * n / users
        if accounts is None:
            coro = bare_visitor(ws_url, n, stats, start_after, stop_at, think, random.Random(n))
        else:
            coro = applicant(
                ws_url,
                accounts[n],
                stats,
                expected[n],
                start_after,
                stop_at,
                think,
                random.Random(n),
            )
        tasks.append(asyncio.create_task(coro))
    del rng
    await asyncio.sleep(max(0.0, t0 + ramp - time.monotonic()))
    stats.measuring = True
    measure_start = time.monotonic()
    mem_mid: dict[str, float] = {}
    await asyncio.sleep(duration / 2)
    mem_mid = {str(pid): rss_mb(pid) for pid in pids}
    await asyncio.gather(*tasks)
    stats.measuring = False
    mem_mid["seconds"] = time.monotonic() - measure_start
    return stats, expected, mem_mid


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summary(label: str, stats: Stats, seconds: float, users: int, mem_per_session: float) -> dict:
    all_latencies = [x for xs in stats.latencies.values() for x in xs]
    row = {
        "label": label,
        "sessions": users,
        "rate": stats.interactions / seconds if seconds else 0.0,
        "p50": pct(all_latencies, 0.5) * 1000,
        "p95": pct(all_latencies, 0.95) * 1000,
        "p99": pct(all_latencies, 0.99) * 1000,
        "errors": len(stats.errors),
        "mem": mem_per_session,
    }
    print(
        f"{label:<40} {users:>4} sessions  {row['rate']:5.1f} interactions/s  "
        f"p50 {row['p50']:5.0f} ms  p95 {row['p95']:5.0f} ms  p99 {row['p99']:5.0f} ms  "
        f"erreurs {row['errors']}  mémoire {mem_per_session:5.2f} Mo/session"
    )
    for kind, values in sorted(stats.latencies.items()):
        print(
            f"    {kind:<28} n={len(values):<5} p50 {pct(values, 0.5) * 1000:5.0f} ms  "
            f"p95 {pct(values, 0.95) * 1000:5.0f} ms  "
            f"{statistics.median(stats.messages[kind]):.0f} messages/rerun"
        )
    if stats.logins:
        print(
            f"    {'connexion + reprise':<28} n={len(stats.logins):<5} "
            f"p50 {statistics.median(stats.logins) * 1000:5.0f} ms  "
            f"p95 {pct(stats.logins, 0.95) * 1000:5.0f} ms  (pendant la montée en charge)"
        )
    for message in stats.errors[:5]:
        print(f"    erreur : {message}")
    return row


def stored_drafts(url: str, accounts: list[Account]) -> dict[int, object]:
    """Each draft's stored row (id, version, data), by application id."""
    from core.db import ApplicationRow

    engine = create_engine(url)
    with engine.connect() as conn:
        rows = {
            r.id: r
            for r in conn.execute(
                select(ApplicationRow.id, ApplicationRow.version, ApplicationRow.data).where(
                    ApplicationRow.id.in_([a.application_id for a in accounts])
                )
            )
        }
    engine.dispose()
    return rows


def check_saves(
    url: str, accounts: list[Account], expected: list[Expected], before: dict[int, int]
) -> int:
    """Drafts whose stored version or last answer differs from what the users typed."""
    rows = stored_drafts(url, accounts)
    wrong = 0
    total = 0
    for account, exp in zip(accounts, expected, strict=True):
        row = rows[account.application_id]
        total += exp.saves
        stored_ok = row.version == before[account.application_id] + exp.saves and all(
            row.data[path.split(".")[0]][path.split(".")[1]] == value
            for path, value in exp.last.items()
        )
        wrong += not stored_ok
    print(
        f"    enregistrements vérifiés en base : {total} attendus, "
        f"{len(accounts) - wrong}/{len(accounts)} brouillons conformes "
        "(version et dernière réponse)"
    )
    return wrong


# --- phases --------------------------------------------------------------------------------


def start_servers(url: str, count: int, script: str, tmp: Path, **env: str) -> list[BenchServer]:
    servers = []
    for _ in range(count):
        server = BenchServer(database_url=url, data_dir=tmp, script=script)
        server.extra_env = env
        servers.append(server.start())
    return servers


async def warm(ws_url: str) -> None:
    """A first visit, then time for the background warm-up it starts (core.warmup)."""
    client = StreamlitClient(ws_url)
    await client.connect()
    await client.rerun(page_name="")
    await client.close()
    await asyncio.sleep(WARM_UP_S)


def phase(
    label: str,
    url: str,
    tmp: Path,
    instances: int,
    script: str,
    args,
    accounts,
) -> tuple[dict, int]:
    servers = start_servers(url, instances, script, tmp)
    proxy = None
    try:
        if instances == 1:
            port = servers[0].port
        else:
            port = free_port()
            proxy = subprocess.Popen(
                [sys.executable, str(ROOT / "bench" / "proxy.py"), str(port)]
                + [str(s.port) for s in servers]
            )
            time.sleep(0.5)
        ws_url = f"ws://127.0.0.1:{port}/_stcore/stream"
        for s in servers:
            asyncio.run(warm(f"ws://127.0.0.1:{s.port}/_stcore/stream"))
        pids = [s.process.pid for s in servers]
        base = sum(rss_mb(p) for p in pids)
        before = {i: r.version for i, r in stored_drafts(url, accounts).items()} if accounts else {}
        profiler = None
        if args.profile and accounts is not None:
            # py-spy (PyPI) samples the first instance during the measurement window.
            profiler = subprocess.Popen(
                [
                    str(Path(sys.executable).parent / "py-spy"),
                    "record",
                    "--pid",
                    str(pids[0]),
                    "--format",
                    "raw",
                    "--output",
                    f"{args.profile}-{instances}.txt",
                    "--nonblocking",
                    "--duration",
                    str(int(args.ramp + args.duration)),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        stats, expected, mem = asyncio.run(
            run_load(ws_url, args.users, args.ramp, args.duration, args.think, pids, accounts)
        )
        loaded = sum(mem[str(p)] for p in pids)
        if profiler is not None:
            profiler.wait(timeout=60)
        row = summary(label, stats, mem["seconds"], args.users, (loaded - base) / args.users)
        wrong = check_saves(url, accounts, expected, before) if accounts is not None else 0
        print(f"    mémoire serveur : {base:.0f} Mo au repos, {loaded:.0f} Mo en charge")
        return row, wrong
    finally:
        if proxy is not None:
            proxy.terminate()
            proxy.wait(timeout=10)
        for s in servers:
            s.stop()


async def churn(ws_url: str, accounts: list[Account], total: int, pid: int) -> list[float]:
    """total sessions, CHURN_WAVE at a time: log in, open the draft, change an answer, leave."""
    errors = 0
    marks = []
    for wave_start in range(0, total, CHURN_WAVE):

        async def one(n: int) -> None:
            nonlocal errors
            account = accounts[n % len(accounts)]
            client = StreamlitClient(ws_url)
            try:
                await open_draft(client, account)
                key = f"f:{account.application_id}:structure.commune"
                await client.rerun([text_state(client.widget(key=key).id, f"Passage {n}")])
            except (RunError, OSError):
                errors += 1
            finally:
                await client.close()

        await asyncio.gather(
            *(one(n) for n in range(wave_start, min(total, wave_start + CHURN_WAVE)))
        )
        if wave_start + CHURN_WAVE in (total // 2, total):
            await asyncio.sleep(SESSION_TTL_S + 15)  # past the TTL: the sessions are freed
            marks.append(rss_mb(pid))
    if errors:
        print(f"    erreurs pendant le va-et-vient : {errors}")
    return marks


def memory_phase(url: str, tmp: Path, total: int) -> None:
    accounts = seed(url, CHURN_WAVE, "passage", rounds=4)
    (server,) = start_servers(
        url,
        1,
        "streamlit_app.py",
        tmp,
        STREAMLIT_SERVER_DISCONNECTED_SESSION_TTL=str(SESSION_TTL_S),
    )
    try:
        ws_url = f"ws://127.0.0.1:{server.port}/_stcore/stream"
        asyncio.run(warm(ws_url))
        pid = server.process.pid
        # Idle sessions: open, show the login page, then nothing.
        base = rss_mb(pid)

        async def idle(count: int) -> float:
            clients = [StreamlitClient(ws_url) for _ in range(count)]
            for c in clients:
                await c.connect()
                await c.rerun(page_name="")
            mem = rss_mb(pid)
            for c in clients:
                await c.close()
            return mem

        with_idle = asyncio.run(idle(200))
        print(
            f"    session inactive (page de connexion) : {(with_idle - base) / 200 * 1024:.0f} Ko"
        )
        start = rss_mb(pid)
        marks = asyncio.run(churn(ws_url, accounts, total, pid))
        print(
            f"    {total} sessions venues et reparties (TTL {SESSION_TTL_S} s) : mémoire "
            f"{start:.0f} Mo avant, {marks[0]:.0f} Mo après {total // 2}, "
            f"{marks[-1]:.0f} Mo après {total} (croissance sur la 2e moitié : "
            f"{marks[-1] - marks[0]:+.0f} Mo)"
        )
    finally:
        server.stop()


def ratio_line(label: str, slower: dict, faster: dict) -> None:
    print(
        f"rapport {label} ({slower['label'].split(', ')[-1]}) : p50 "
        f"{slower['p50'] / faster['p50']:.2f}×, p95 {slower['p95'] / faster['p95']:.2f}×"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--think", type=float, default=5.0, help="secondes entre deux actions")
    parser.add_argument("--ramp", type=float, default=60.0, help="montée en charge (s)")
    parser.add_argument("--duration", type=float, default=60.0, help="mesure (s)")
    parser.add_argument("--churn", type=int, default=1000, help="sessions de va-et-vient")
    parser.add_argument(
        "--only", choices=["one", "two", "bare", "save", "step", "memory"], action="append"
    )
    parser.add_argument("--profile", help="préfixe des profils py-spy (facultatif)")
    parser.add_argument(
        "--rounds",
        type=int,
        default=4,
        help="coût bcrypt des comptes (12 en production : 200 connexions en une minute saturent "
        "alors à elles seules une machine de 2 cœurs partagée)",
    )
    args = parser.parse_args()
    admin_url = os.environ.get("CNFS_BENCH_POSTGRES_URL", DEFAULT_ADMIN_URL)
    missing = postgres_available(admin_url)
    if missing:
        print(f"Banc de charge ignoré : PostgreSQL injoignable ({admin_url}) — {missing}")
        return 0
    only = set(args.only or ["one", "two", "bare", "save", "step", "memory"])
    print(
        f"{args.users} candidats, une action toutes les {args.think:g} s en moyenne, montée "
        f"{args.ramp:g} s, mesure {args.duration:g} s ; charge machine : "
        + " ".join(f"{x:.2f}" for x in os.getloadavg())
    )
    results = {}
    wrong = 0
    databases = fresh_postgres_database(admin_url, prefix="cnfs_load")
    url = next(databases)
    try:
        with tempfile.TemporaryDirectory() as tmp_name:
            tmp = Path(tmp_name)
            accounts = seed(url, args.users, "candidat", args.rounds)
            if "one" in only:
                results["one"], w = phase(
                    "application, 1 instance", url, tmp, 1, "streamlit_app.py", args, accounts
                )
                wrong += w
            if "two" in only:
                results["two"], w = phase(
                    "application, 2 instances + proxy",
                    url,
                    tmp,
                    2,
                    "streamlit_app.py",
                    args,
                    accounts,
                )
                wrong += w
            if "bare" in only:
                results["bare1"], _ = phase(
                    "page témoin, 1 instance", url, tmp, 1, "bench/bare_page.py", args, None
                )
                results["bare2"], _ = phase(
                    "page témoin, 2 instances + proxy",
                    url,
                    tmp,
                    2,
                    "bench/bare_page.py",
                    args,
                    None,
                )
            for floor, name, script in (
                ("save", "page témoin enregistrée", "bench/bare_save_page.py"),
                ("step", "étape 1 sans base", "bench/step_floor.py"),
            ):
                if floor not in only:
                    continue
                for instances in (1, 2):
                    results[f"{floor}{instances}"], _ = phase(
                        f"{name}, " + ("1 instance" if instances == 1 else "2 instances + proxy"),
                        url,
                        tmp,
                        instances,
                        script,
                        args,
                        None,
                    )
            for n in ("1", "2"):
                app = results.get("one" if n == "1" else "two")
                for floor, name in (
                    ("bare", "page témoin"),
                    ("save", "page témoin enregistrée"),
                    ("step", "étape 1 sans base"),
                ):
                    if app is not None and floor + n in results:
                        ratio_line(f"application / {name}", app, results[floor + n])
                if "bare" + n in results and "step" + n in results:
                    ratio_line(
                        "étape 1 sans base / page témoin", results["step" + n], results["bare" + n]
                    )
            if "two" in only:
                r = results["two"]
                ok = r["p95"] <= 300 and r["errors"] == 0 and wrong == 0
                ratio = (r["p95"] / results["bare2"]["p95"]) if "bare2" in results else None
                print(
                    f"objectif (2 instances) : p95 {r['p95']:.0f} ms ≤ 300, erreurs {r['errors']},"
                    f" brouillons non conformes {wrong}"
                    + (f", rapport p95 {ratio:.2f}× ≤ 1,5" if ratio else "")
                    + f" : {'ATTEINT' if ok and (ratio is None or ratio <= 1.5) else 'NON ATTEINT'}"
                )
            if "memory" in only:
                memory_phase(url, tmp, args.churn)
    finally:
        with contextlib.suppress(StopIteration):
            next(databases)
    print("charge machine en fin de banc : " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
