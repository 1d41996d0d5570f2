"""Schema migrations: a new store is at the head, an older one is upgraded in place by init."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text
from tests_paths import ROOT

from shopsync.cli import main
from shopsync.errors import UserInputError
from shopsync.migrations import alembic_config, head_revision
from shopsync.store import metadata, open_store

FROZEN = ROOT / "tests" / "fixtures"


def schema_differences(conn) -> list:
    return compare_metadata(MigrationContext.configure(conn), metadata)


def make_store_from_before_migrations(url: str, frozen: str) -> None:
    """A store as a shopsync from before migrations left it: its frozen DDL (``frozen``:
    store-schema-2, -3, or -3-erp), a lock, runs, a Shopify customer linked to ERP customer
    C1 (where that version keeps links) and an ERP change (where it keeps them)."""
    version = frozen.split("-")[2]
    engine = create_engine(url)
    ddl = (FROZEN / f"{frozen}.{engine.dialect.name}.sql").read_text("utf-8")
    with engine.begin() as conn:
        for statement in ddl.split(";"):
            body = "\n".join(x for x in statement.splitlines() if not x.startswith("--"))
            if body.strip():
                conn.execute(text(body))
        insert(conn, "meta", key="schema_version", value=version)
        insert(conn, "locks", shop_code="DEMO", holder="elsewhere:1:x", heartbeat_at=1060.0)
        runs = [("succeeded", "2026-01-01"), ("failed", "2026-01-02"), ("running", "2026-01-03")]
        for number, (status, day) in enumerate(runs, 1):
            mark = f"{day}T00:00:00Z"
            insert(conn, "sync_runs", id=number, shop_code="DEMO", status=status, watermark=mark)
        link = {"customer_no": "C1"} if version == "2" else {}
        insert(conn, "shopify_customers", shop_code="DEMO", id="7401", email="a@b.c", **link)
        if version == "3":
            insert(conn, "links", shop_code="DEMO", shopify_id="7401", customer_no="C1")
            insert(conn, "watermarks", shop_code="DEMO", stream="customers", run_id=2,
                   value="2026-01-02T00:00:00Z")  # fmt: skip
        if frozen.endswith("erp"):
            insert(conn, "erp_changes", id=1, shop_code="DEMO", kind="created", record="C1",
                   export_id=None)  # fmt: skip
    engine.dispose()


def insert(conn, table: str, **values) -> None:
    """One row; the columns not given get a blank of their type."""
    blanks = {bool: False, int: 0, float: 0.0}
    row = {
        column["name"]: blanks.get(column["type"].python_type, "")
        for column in inspect(conn).get_columns(table)
    }
    row.update(values)
    names = ", ".join(row)
    conn.execute(text(f"INSERT INTO {table} ({names}) VALUES (:{', :'.join(row)})"), row)


def test_revision_files_are_numbered_as_their_ids_in_one_line_of_history():
    scripts = ScriptDirectory.from_config(alembic_config())
    assert head_revision() == scripts.get_current_head()
    revisions = list(reversed(list(scripts.walk_revisions())))
    for number, script in enumerate(revisions, 1):
        assert script.revision == f"{number:04d}"
        assert Path(script.path).name.startswith(f"{number:04d}_")
        assert script.down_revision == (f"{number - 1:04d}" if number > 1 else None)


def test_the_revisions_build_exactly_the_tables_of_store_py(db_url):
    engine = create_engine(db_url)
    with engine.begin() as conn:
        config = alembic_config()
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
        assert schema_differences(conn) == []  # a table or column without its revision fails


def test_a_new_store_is_created_at_the_head_and_reopens_unchanged(db_url):
    store = open_store(db_url)
    assert store.schema_change.before is None
    assert store.schema_change.after == head_revision()
    with store.engine.connect() as conn:
        assert schema_differences(conn) == []
        version = conn.execute(text("SELECT value FROM meta WHERE key = 'schema_version'"))
        assert version.scalar() == "4"  # a shopsync from before migrations refuses it
    again = open_store(db_url)
    assert not again.schema_change.upgraded


@pytest.mark.parametrize(
    "frozen, revision",
    [("store-schema-2", "0001"), ("store-schema-3", "0002"), ("store-schema-3-erp", "0002")],
)
def test_init_upgrades_a_store_made_before_migrations_in_place(db_url, capsys, frozen, revision):
    make_store_from_before_migrations(db_url, frozen)
    with pytest.raises(UserInputError, match=rf"revision {revision}.*run `shopsync init --db"):
        open_store(db_url)

    assert main(["init", "--db", db_url]) == 0
    upgraded = f"store upgraded in place: revision {revision} -> {head_revision()}"
    assert upgraded in capsys.readouterr().out

    store = open_store(db_url)
    assert store.runs()["status"].tolist() == ["running", "failed", "succeeded"]  # nothing lost
    assert store.links("DEMO") == {"7401": "C1"}
    assert store.watermark("DEMO") == "2026-01-02T00:00:00Z"  # the newest of a finished run
    with store.engine.connect() as conn:
        assert schema_differences(conn) == []
        lease = conn.execute(text("SELECT expires_at FROM locks WHERE shop_code = 'DEMO'"))
        assert lease.scalar() == 1180.0  # the old fixed expiry after its last heartbeat
        changes = conn.execute(text("SELECT record FROM erp_changes")).scalars().all()
        assert changes == (["C1"] if frozen.endswith("erp") else [])
    assert main(["init", "--db", db_url]) == 0
    assert "upgraded" not in capsys.readouterr().out  # a second init has nothing to do


def test_a_store_of_a_newer_shopsync_is_refused(db_url):
    open_store(db_url).engine.dispose()
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    for upgrade in (False, True):
        with pytest.raises(UserInputError, match=r"revision 9999.*a newer shopsync made it"):
            open_store(db_url, upgrade=upgrade)


def test_a_database_holding_other_tables_is_refused(db_url):
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE invoices (id INTEGER PRIMARY KEY)"))
    with pytest.raises(UserInputError, match="not a shopsync store"):
        open_store(db_url, upgrade=True)


def test_first_runs_opening_one_new_postgresql_store_at_once_do_not_race(db_url):
    if not db_url.startswith("postgresql"):
        pytest.skip("PostgreSQL: the migration's advisory lock")
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(4) as pool:
        stores = list(pool.map(lambda _: open_store(db_url), range(4)))
    assert sorted(s.schema_change.before is None for s in stores) == [False, False, False, True]
    with stores[0].engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
    for store in stores:
        store.engine.dispose()


def test_a_new_store_is_stamped_as_alembic_stamps_it(db_url):
    """A new store's version table, written without loading Alembic, is the one Alembic's own
    stamp makes (columns, key and its name; here beside it as ``reference_version``) and
    Alembic reads the head from it."""
    engine = open_store(db_url).engine
    with engine.begin() as conn:
        reference = MigrationContext.configure(conn, opts={"version_table": "reference_version"})
        reference.stamp(ScriptDirectory.from_config(alembic_config()), "head")

    def version_table(conn, name):
        found = inspect(conn)
        columns = [(c["name"], str(c["type"]), c["nullable"]) for c in found.get_columns(name)]
        key = found.get_pk_constraint(name)
        key["name"] = key["name"].replace(name, "TABLE")
        rows = conn.execute(text(f"SELECT version_num FROM {name}")).scalars().all()
        return columns, key, rows

    with engine.begin() as conn:
        ours = version_table(conn, "alembic_version")
        assert ours == version_table(conn, "reference_version")
        assert ours[1]["name"] == "TABLE_pkc"
        assert ours[2] == [head_revision()]
        assert MigrationContext.configure(conn).get_current_revision() == head_revision()
        conn.execute(text("DROP TABLE reference_version"))
    engine.dispose()


def test_a_new_in_memory_store_does_not_load_alembic():
    import subprocess
    import sys

    code = (
        "import sys\nfrom shopsync.store import open_store\nopen_store('sqlite://')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'alembic'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"
