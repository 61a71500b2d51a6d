"""The load test (`make load`): gunicorn with 2 workers on PostgreSQL, on 127.0.0.1 only, loaded by
locust for a bounded time, three runs with the same number of users:

1. the mix (owner's page, ledger list with filters, item pages, progress posts: `LedgerUser`),
2. the ledger list alone (`ListUser`),
3. the trivial view `/healthz` (`TrivialUser`): the floor.

Prints requests per second, p50/p95/p99 and errors of each (per page for the mix), and the
list's rate as a share of the floor's (target: at least 40 %, and no errors). Saves the figures
to bench/load.json. The database is the one DATABASE_URL names: seed it first (`make bench`
with the same DATABASE_URL); the demo users' password is the demo's.

Settings by environment: LOAD_USERS_COUNT (20), LOAD_SECONDS (60), LOAD_PORT (8765),
CONN_MAX_AGE (passed to the server as is), LOAD_WORKERS (2), LOAD_TIMEOUT (gunicorn's, 120 s).
"""

import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
USERS = int(os.environ.get("LOAD_USERS_COUNT", "20"))
SECONDS = int(os.environ.get("LOAD_SECONDS", "60"))
PORT = int(os.environ.get("LOAD_PORT", "8765"))
WORKERS = os.environ.get("LOAD_WORKERS", "2")
# gunicorn's worker timeout: a request longer than this kills the worker (counted as errors).
TIMEOUT = os.environ.get("LOAD_TIMEOUT", "120")
HOST = f"http://127.0.0.1:{PORT}"
# The floor first: a run's slow queries may outlive it (see `cancel_leftovers`).
RUNS = [("floor", "TrivialUser"), ("mix", "LedgerUser"), ("list", "ListUser")]


def server_environment():
    database = os.environ.get("DATABASE_URL", "")
    if not database.startswith(("postgres://", "postgresql://")):
        sys.exit("make load needs DATABASE_URL=postgres://… (the database `make bench` seeded).")
    return {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SETTINGS_MODULE": "core.settings",
    }


def manage(env, *args):
    subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=env, check=True)


def wait_for_server(process):
    for _attempt in range(100):
        if process.poll() is not None:
            sys.exit("gunicorn stopped before answering")
        try:
            with urllib.request.urlopen(f"{HOST}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    sys.exit("gunicorn does not answer on /healthz")


def cancel_leftovers(env):
    """Cancel the queries the stopped server left running in the bench's database (PostgreSQL
    goes on with a query whose client died), so that they do not weigh on the next run."""
    code = (
        "from django.db import connection\n"
        "with connection.cursor() as c:\n"
        "    c.execute('SELECT pg_cancel_backend(pid) FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid()')"
    )
    manage(env, "shell", "-v0", "-c", code)


def run_locust(label, user_class, folder):
    """Run locust once; its own summary goes to bench/locust-<label>.log."""
    raw = Path(folder) / f"{user_class}.json"
    env = {**os.environ, "LOAD_RAW": str(raw), "LOAD_EXPECTED_USERS": str(USERS)}
    log = (ROOT / "bench" / f"locust-{label}.log").open("w")
    subprocess.run(
        [
            PY,
            "-m",
            "locust",
            "-f",
            str(ROOT / "bench" / "locustfile.py"),
            user_class,
            "--headless",
            "--users",
            str(USERS),
            "--spawn-rate",
            str(USERS),
            "--run-time",
            f"{SECONDS}s",
            "--stop-timeout",
            "10",
            "--host",
            HOST,
            "--only-summary",
            "--loglevel",
            "WARNING",
        ],
        cwd=ROOT,
        env=env,
        check=False,  # locust exits 1 when a request failed: the figures say so
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    log.close()
    return json.loads(raw.read_text()) if raw.exists() else []


def percentile(values, share):
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def span(records):
    """Seconds from the first request to the last answer."""
    began = min(started for _name, started, _ms, _failed in records)
    ended = max(started + ms / 1000 for _name, started, ms, _failed in records)
    return max(ended - began, 1e-9)


def figures(records, seconds=None):
    """Requests per second (over `seconds`, by default the records' own span), the percentiles
    in ms and the errors."""
    if not records:
        return {"requests": 0, "rps": 0.0, "p50": 0.0, "p95": 0.0, "p99": 0.0, "errors": 0}
    times = [ms for _name, _started, ms, _failed in records]
    return {
        "requests": len(records),
        "rps": len(records) / (seconds or span(records)),
        "p50": statistics.median(times),
        "p95": percentile(times, 0.95),
        "p99": percentile(times, 0.99),
        "errors": sum(failed for *_rest, failed in records),
    }


def row(name, f):
    return (
        f"{name:<16} {f['requests']:>8} {f['rps']:>8.1f} {f['p50']:>8.0f} {f['p95']:>8.0f} "
        f"{f['p99']:>8.0f} {f['errors']:>7}"
    )


def start_server(env, label):
    """gunicorn on 127.0.0.1, its log in bench/gunicorn-<label>.log."""
    log = (ROOT / "bench" / f"gunicorn-{label}.log").open("w")
    command = [PY, "-m", "gunicorn", "core.wsgi:application", "--workers", WORKERS]
    command += ["--bind", f"127.0.0.1:{PORT}", "--timeout", TIMEOUT, "--log-level", "warning"]
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    server.log = log
    return server


def stop_server(server):
    server.terminate()
    try:
        server.wait(timeout=40)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
    server.log.close()


def main():
    env = server_environment()
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "collectstatic", "--noinput", "-v0")
    manage(env, "seed_demo")  # the demo users, when the database has none yet
    results = {}
    (ROOT / "bench").mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        for label, user_class in RUNS:
            print(f"{label}: {USERS} users for {SECONDS} s …", flush=True)
            # A fresh server for each run: requests the previous run left behind do not slow it.
            server = start_server(env, label)
            try:
                wait_for_server(server)
                records = run_locust(label, user_class, folder)
            finally:
                stop_server(server)
                cancel_leftovers(env)
            results[label] = {"all": figures(records)}
            if label == "mix" and records:  # each page's share of the same run
                for name in sorted({record[0] for record in records}):
                    results[label][name] = figures([r for r in records if r[0] == name], span(records))
    lines = [
        f"load: gunicorn {WORKERS} workers, {USERS} users, {SECONDS} s each, CONN_MAX_AGE="
        f"{os.environ.get('CONN_MAX_AGE', '(the settings default)')}; counted once every user has logged in",
        f"{'run':<16} {'requests':>8} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7}",
    ]
    for label in ("mix", "list", "floor"):
        parts = results[label]
        lines.append(row(label, parts["all"]))
        lines += [row(f"  {name}", f) for name, f in parts.items() if name != "all"]
    floor = results["floor"]["all"]["rps"]
    share = results["list"]["all"]["rps"] / floor if floor else 0.0
    errors = sum(parts["all"]["errors"] for parts in results.values())
    lines.append(
        f"ledger list: {share:.1%} of the trivial view's rate (target ≥ 40%); errors: {errors} (target 0)"
    )
    print("\n".join(lines))
    document = {"users": USERS, "seconds": SECONDS, "workers": WORKERS, "runs": results, "list_share": share}
    (ROOT / "bench" / "load.json").write_text(json.dumps(document, indent=2))
    return 0 if errors == 0 and share >= 0.4 else 1


if __name__ == "__main__":
    sys.exit(main())
