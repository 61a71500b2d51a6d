"""The settings module refuses to start insecurely and reads its environment."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Strong enough for the settings' check of a production key (50 characters, 5 different ones).
STRONG_KEY = "settings-test-" + "k3yZ" * 10


def _load_settings(**env):
    environment = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "DATABASE_URL"}}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-c", "import core.settings as s; print(s.DATABASES['default']['ENGINE'], s.DEBUG)"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
    )


def test_it_refuses_to_start_without_secret_key_when_debug_is_off():
    result = _load_settings(DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_it_starts_without_secret_key_in_debug():
    result = _load_settings(DEBUG="1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.sqlite3", "True"]


def test_it_selects_postgresql_from_database_url():
    result = _load_settings(SECRET_KEY=STRONG_KEY, DATABASE_URL="postgres://postgres@127.0.0.1:5432/test")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.postgresql", "False"]


def test_it_rejects_a_boolean_it_does_not_understand():
    result = _load_settings(DEBUG="maybe")
    assert result.returncode != 0
    assert "DEBUG='maybe' is not a boolean" in result.stderr


def test_language_and_time_zone(settings):
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert [code for code, _name in settings.LANGUAGES] == ["zh-hans", "en"]


def _connection_settings(**env):
    environment = {k: v for k, v in os.environ.items() if k not in {"CONN_MAX_AGE", "DATABASE_URL"}}
    environment.update(
        {"SECRET_KEY": STRONG_KEY, "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/test", **env}
    )
    code = "import core.settings as s; d = s.DATABASES['default']; print(d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS'])"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True
    )


def test_connections_persist_a_minute_with_health_checks_unless_told():
    # A new PostgreSQL connection per request cost 6-34 ms a request.
    result = _connection_settings()
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["60", "True"]
    assert _connection_settings(CONN_MAX_AGE="0").stdout.split() == ["0", "True"]
    refused = _connection_settings(CONN_MAX_AGE="a minute")
    assert refused.returncode != 0 and "CONN_MAX_AGE='a minute' is not a whole number" in refused.stderr


def _options(**env):
    environment = {
        k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "DATABASE_URL", "PG_JIT"}
    }
    environment.update(env)
    script = "import core.settings as s; print(s.DATABASES['default'].get('OPTIONS', {}).get('options', '-'))"
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=environment, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_postgresql_connections_run_without_jit_compilation_unless_told():
    url = "postgres://postgres@127.0.0.1:5432/test"
    assert _options(SECRET_KEY=STRONG_KEY, DATABASE_URL=url) == "-c jit=off"
    assert _options(SECRET_KEY=STRONG_KEY, DATABASE_URL=url, PG_JIT="1") == "-"
    assert _options(DEBUG="1") == "-"  # SQLite has no such option


def test_the_test_database_connection_has_jit_off_on_postgresql(db):
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW jit")
            assert cursor.fetchone()[0] == "off"
        else:  # the same connection settings hold no PostgreSQL option on SQLite
            assert "options" not in connection.settings_dict.get("OPTIONS", {})
