"""Production settings from the environment: `check --deploy` is clean when the documented
variables are set, a weak SECRET_KEY is refused, and `make serve` starts a working server."""

import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from django.conf import settings

ROOT = settings.BASE_DIR
STRONG_KEY = "Zq8-w3LmX0_vT9cYb2nR5sKd7hF1gJ4pA6eU0iO3yWxV8tN2mB5cQ7rE9uI1oP4a"
DEPLOY = {
    "DEBUG": "0",
    "SECRET_KEY": STRONG_KEY,
    "ALLOWED_HOSTS": "ledger.example.cn",
    "SECURE_COOKIES": "1",
    "SECURE_SSL_REDIRECT": "1",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
    "SECURE_HSTS_PRELOAD": "1",
    "SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto",
}


# Set by the browser tests' fixtures in this process (Playwright runs beside the ORM); a
# deployment never has it, and `check --deploy` rightly refuses it (async.E001).
NOT_INHERITED = {"DJANGO_ALLOW_ASYNC_UNSAFE"}


def _manage(*args, **env):
    environment = {
        key: value for key, value in os.environ.items() if key not in DEPLOY and key not in NOT_INHERITED
    }
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_has_no_warning_with_the_documented_variables():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **DEPLOY)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_warns_without_them():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", DEBUG="0", SECRET_KEY=STRONG_KEY)
    assert result.returncode != 0
    assert "security.W004" in result.stderr and "security.W008" in result.stderr


@pytest.mark.parametrize("key", ["short", "a" * 60, "django-insecure-" + STRONG_KEY])
def test_a_weak_secret_key_is_refused(key):
    result = _manage("check", DEBUG="0", SECRET_KEY=key)
    assert result.returncode != 0
    assert "SECRET_KEY is too weak" in result.stderr


def test_the_proxy_header_is_read_from_the_environment():
    result = _manage(
        "shell", "-c", "from django.conf import settings; print(settings.SECURE_PROXY_SSL_HEADER)", **DEPLOY
    )
    assert result.stdout.strip().splitlines()[-1] == "('HTTP_X_FORWARDED_PROTO', 'https')"


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _fetch(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_make_serve_starts_a_production_server(tmp_path):
    """DEBUG off, on an empty database and with no static files collected (a clean clone)."""
    port = _free_port()
    environment = {key: value for key, value in os.environ.items() if key not in DEPLOY}
    environment.update(
        SECRET_KEY=STRONG_KEY,
        ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=f"sqlite:///{tmp_path / 'serve.sqlite3'}",
        STATIC_ROOT=str(tmp_path / "static"),
        BIND=f"127.0.0.1:{port}",
        WEB_WORKERS="1",
        # Compressing every static file costs collectstatic minutes of CPU on a shared machine.
        STATIC_COMPRESS="0",
    )
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    # -o: the virtualenv the tests run in is taken as installed (make would otherwise rebuild it
    # when requirements.txt is newer, as in a fresh checkout beside a shared virtualenv).
    server = subprocess.Popen(
        ["make", "-o", ".venv/.installed", "serve"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            try:
                status, page = _fetch(base + "/accounts/login/")
                break
            except OSError:
                assert server.poll() is None, server.stdout.read().decode()
                time.sleep(0.5)
        else:
            pytest.fail("the server did not answer")
        assert status == 200
        assert "登录" in page.decode()
        status, _css = _fetch(base + "/static/bootstrap/css/bootstrap.min.css")
        assert status == 200
    finally:
        server.terminate()
        server.wait(timeout=30)
