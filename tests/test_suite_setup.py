"""The suite cannot hide a backend: where PostgreSQL is required, one that cannot be used stops the run, and in
CI a skipped test (a missing browser, a missing tool) is a failure; only a postgres_only test skips on SQLite."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests import conftest

ROOT = Path(__file__).resolve().parent.parent
UNREACHABLE = "postgresql://postgres@127.0.0.1:1/postgres"


def answers(url: str) -> None:
    return None


def refuses(url: str) -> str:
    return "connection refused"


def never_asked(url: str) -> str:
    raise AssertionError("PostgreSQL was asked although it was not wanted")


def test_a_postgresql_that_answers_runs_beside_sqlite():
    plan = conftest.plan_backends({}, answers)
    assert (plan.backends, plan.error) == (["sqlite", "postgresql"], None)
    assert plan.header == "database backends: sqlite, postgresql"


def test_off_ci_an_unusable_postgresql_leaves_sqlite_and_the_header_says_so():
    plan = conftest.plan_backends({}, refuses)
    assert (plan.backends, plan.error) == (["sqlite"], None)
    assert "sqlite only" in plan.header and "connection refused" in plan.header and "CI=true" in plan.header


@pytest.mark.parametrize(
    "environ",
    [{"TEST_DATABASE_URL": UNREACHABLE}, {"CI": "true"}, {"TEST_BACKENDS": "postgresql"}],
    ids=["database named", "CI", "asked by name"],
)
def test_where_postgresql_is_required_an_unusable_one_stops_the_run(environ):
    plan = conftest.plan_backends(environ, refuses)
    assert plan.backends == []
    assert "cannot be used: connection refused" in plan.error


def test_sqlite_alone_by_choice_does_not_ask_for_postgresql():
    plan = conftest.plan_backends({"TEST_BACKENDS": "sqlite", "CI": "true"}, never_asked)
    assert (plan.backends, plan.error, plan.header) == (["sqlite"], None, "database backends: sqlite (TEST_BACKENDS)")


def test_an_unknown_backend_name_stops_the_run():
    assert "unknown backends ['postgres']" in conftest.plan_backends({"TEST_BACKENDS": "postgres"}, answers).error


def run_pytest(tmp_path: Path, test_source: str, environ: dict[str, str], *plugins: str) -> subprocess.CompletedProcess:
    """A separate pytest run of one test file with this suite's conftest (and `plugins`) loaded."""
    test_file = tmp_path / "test_probe.py"
    test_file.write_text(test_source)
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "TEST_DATABASE_URL", "TEST_BACKENDS")}
    arguments = ["-p", "tests.conftest", *(a for p in plugins for a in ("-p", p))]
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-c", str(ROOT / "pyproject.toml"), "--rootdir", str(ROOT)]
        + ["-p", "no:cacheprovider", "-q", "-rA", *arguments, str(test_file)],
        cwd=ROOT,
        env=env | environ,
        capture_output=True,
        text=True,
        timeout=120,
    )


PASSING = "def test_nothing():\n    pass\n"


@pytest.mark.parametrize(
    "environ",
    [
        {"TEST_DATABASE_URL": UNREACHABLE},
        {"CI": "true", "TEST_DATABASE_URL": "postgresql://no_such_role@127.0.0.1:5432/postgres"},
    ],
    ids=["unreachable", "login refused"],
)
def test_a_session_where_postgresql_cannot_be_used_fails_before_any_test(tmp_path, environ):
    result = run_pytest(tmp_path, PASSING, environ)
    assert result.returncode == pytest.ExitCode.USAGE_ERROR, result.stdout + result.stderr
    assert "PostgreSQL at postgresql://" in result.stderr and "cannot be used" in result.stderr
    assert "passed" not in result.stdout


SKIPPING = """
import pytest


def test_needs_a_missing_tool():
    pytest.skip("the tool is not installed")


@pytest.mark.postgres_only
def test_on_postgresql_only(backend):
    assert backend == "postgresql"
"""


def test_in_ci_a_skip_is_a_failure_but_a_postgres_only_test_still_skips_on_sqlite(tmp_path):
    result = run_pytest(tmp_path, SKIPPING, {"CI": "true", "TEST_BACKENDS": "sqlite"})
    assert "1 failed, 1 skipped" in result.stdout, result.stdout
    assert "skipped where the suite must run completely (CI): the tool is not installed" in result.stdout
    assert "SKIPPED [1]" in result.stdout and "PostgreSQL only" in result.stdout


BROWSER = "def test_opens_a_page(browser):\n    pass\n"


def test_in_ci_browser_tests_fail_when_chromium_is_missing(tmp_path):
    missing = {"CHROMIUM_PATH": str(tmp_path / "no-chromium"), "TEST_BACKENDS": "sqlite"}
    result = run_pytest(tmp_path, BROWSER, missing | {"CI": "true"}, "tests.e2e.conftest")
    assert result.returncode == pytest.ExitCode.TESTS_FAILED, result.stdout
    assert "skipped where the suite must run completely (CI): Chromium is not installed" in result.stdout
