"""Migrations are additive within a release: while a rolling update runs old and new pods side by side on the
same schema (and a rollback runs the old code on the new schema), no new migration may drop, rename or
retype anything, and no applied migration may change.

The new migrations are those of the working tree that the baseline lacks: the last release tag, or, when the
repository has no tag, the previous commit. A destructive statement is allowed only in a file that documents
its expand-then-contract step with a comment ``-- expand-contract: <which release stopped using it, and why it
is safe now>`` (docs/operations.md, "Upgrading one service on its own").
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.deploy.conftest import ROOT

pytestmark = pytest.mark.unit

MIGRATIONS = ("services/*/lapor_*/migrations/*.sql", "shared/lapor_shared/migrations/*.sql")
MARKER = re.compile(r"--[ \t]*expand-contract:[ \t]*\S[^\n]{10,}", re.IGNORECASE)
DESTRUCTIVE = {
    "DROP": re.compile(r"\bDROP\b(?!\s+NOT\s+NULL\b)", re.IGNORECASE),
    "RENAME": re.compile(r"\bRENAME\b", re.IGNORECASE),
    "ALTER … TYPE": re.compile(r"\bALTER\s+(COLUMN\s+)?\S+\s+(SET\s+DATA\s+)?TYPE\b", re.IGNORECASE),
    "TRUNCATE": re.compile(r"\bTRUNCATE\b", re.IGNORECASE),
}


def without_comments_and_strings(sql: str) -> str:
    """The SQL a server would execute, minus comments and quoted literals (a word in a comment or a string
    is not a statement); dollar-quoted bodies stay (a DROP inside a DO block is still a DROP)."""
    sql = re.sub(r"/\*.*?\*/", " ", sql, flags=re.S)
    sql = re.sub(r"--[^\n]*", " ", sql)
    return re.sub(r"'(?:[^']|'')*'", "''", sql)


def destructive_statements(sql: str) -> list[str]:
    """What in ``sql`` can break the release still running on the same schema, unless the file documents its
    expand-then-contract step."""
    if MARKER.search(sql):
        return []
    executed = without_comments_and_strings(sql)
    return [name for name, pattern in DESTRUCTIVE.items() if pattern.search(executed)]


# --------------------------------------------------------------------------------------------- git


def git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=True,
                          timeout=30).stdout


def baseline() -> str:
    """The last release tag, else the previous commit."""
    tags = git("tag", "--merged", "HEAD", "--sort=-creatordate").split()
    if tags:
        return tags[0]
    return git("rev-parse", "--verify", "HEAD~1").strip()


def migration_files() -> dict[str, str]:
    """Path (relative to the repository) → text of every migration in the working tree."""
    return {str(p.relative_to(ROOT)): p.read_text(encoding="utf-8")
            for pattern in MIGRATIONS for p in sorted(ROOT.glob(pattern))}


def files_at(ref: str) -> dict[str, str]:
    listed = git("ls-tree", "-r", "--name-only", ref, "--", "services", "shared").split()
    paths = [p for p in listed if any(Path(p).match(pattern) for pattern in MIGRATIONS)]
    return {p: git("show", f"{ref}:{p}") for p in paths}


@pytest.fixture(scope="module")
def before() -> dict[str, str]:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: nothing to compare the migrations with")
    try:
        return files_at(baseline())
    except subprocess.CalledProcessError as exc:  # a single commit, or a shallow clone without HEAD~1
        pytest.skip(f"no baseline to compare with: {exc.stderr.strip()}")


# ------------------------------------------------------------------------------------------- tests


def test_no_new_migration_drops_renames_or_retypes_without_its_expand_contract_step(before):
    new = {path: sql for path, sql in migration_files().items() if path not in before}
    offending = {path: found for path, sql in new.items() if (found := destructive_statements(sql))}
    assert offending == {}, "document the expand-then-contract step (-- expand-contract: …) or split the change"


def test_no_applied_migration_was_edited_or_removed(before):
    now = migration_files()
    assert sorted(p for p in before if p not in now) == [], "a removed migration: the schemas already ran it"
    assert sorted(p for p, sql in before.items() if p in now and now[p] != sql) == [], (
        "an applied migration changed: add a new numbered file instead")


@pytest.mark.parametrize("sql", [
    "ALTER TABLE complaints DROP COLUMN title;",
    "DROP TABLE adapter_submissions;",
    "drop index if exists complaints_status_idx;",
    "ALTER TABLE complaints RENAME COLUMN title TO subject;",
    "ALTER TABLE complaints ALTER COLUMN route_count TYPE bigint;",
    "ALTER TABLE complaints ALTER route_count SET DATA TYPE bigint;",
    "TRUNCATE inbox;",
    "DO $$ BEGIN EXECUTE 'x'; DROP TABLE t; END $$;",
])
def test_a_destructive_statement_is_caught(sql):
    assert destructive_statements(sql)


@pytest.mark.parametrize("sql", [
    "CREATE TABLE IF NOT EXISTS timers (id bigserial PRIMARY KEY, due_at timestamptz NOT NULL);",
    "ALTER TABLE complaints ADD COLUMN IF NOT EXISTS reopened_count integer NOT NULL DEFAULT 0;",
    "ALTER TABLE complaints ALTER COLUMN agency_id DROP NOT NULL;",
    "CREATE INDEX IF NOT EXISTS complaints_status_idx ON complaints (status);",
    "-- we never DROP anything here\nCOMMENT ON TABLE t IS 'rename later';",
    "INSERT INTO reasons (code) VALUES ('drop_off');",
])
def test_an_additive_migration_passes(sql):
    assert destructive_statements(sql) == []


def test_the_expand_contract_marker_must_say_why():
    contract = "DROP TABLE intake.adapter_submissions;"
    assert destructive_statements("-- expand-contract:\n" + contract)
    assert destructive_statements(
        "-- expand-contract: the gateway owns these since 0.3.0; no running intake reads them\n" + contract) == []
