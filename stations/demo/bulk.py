"""Writing many rows fast: COPY on PostgreSQL, executemany elsewhere.

Rows are plain tuples in a table's column order, with explicit primary keys taken from
an `IdBlock`, so rows can refer to each other before anything is written. JSON columns
take an already serialised string. Columns a table spec does not name (for example a
field added by a later migration) are filled with the field's default, so a new column
never breaks the generator.

On PostgreSQL a big load runs inside `deferred_indexes()`: secondary indexes and foreign
keys of the loaded tables are dropped first and rebuilt afterwards, as pg_restore does.
Rebuilding an index or validating a foreign key once is far cheaper than maintaining it
row by row, and the rebuilt constraints still check every row. Everything happens in the
caller's transaction, so a failed load leaves the database as it was.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.core.management.color import no_style
from django.db import connections, models
from django.utils import timezone

Row = tuple[Any, ...]

_ESCAPE = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _text(value: Any) -> str:
    """One value in PostgreSQL's COPY text format (most values are text: that case comes first)."""
    kind = type(value)
    if kind is str:
        if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
            return value.translate(_ESCAPE)  # type: ignore[no-any-return]
        return value  # type: ignore[no-any-return]
    if value is None:
        return "\\N"
    if kind is bool:
        return "t" if value else "f"
    if kind is dt.datetime or kind is dt.date:
        return value.isoformat()  # type: ignore[no-any-return]
    return str(value)


def copy_text(table: Table, rows: Sequence[Row]) -> bytes:
    """Rows as COPY text-format data for `BulkWriter.write_text`, so that other processes can
    prepare what the one connection sends."""
    extra = table.extra_defaults
    return "".join("\t".join(map(_text, row + extra)) + "\n" for row in rows).encode()


class Table:
    """A model's table and the columns the generator supplies, in order."""

    def __init__(self, model: type[models.Model], columns: Sequence[str]) -> None:
        self.model = model
        self.db_table = model._meta.db_table
        by_column = {f.column: f for f in model._meta.concrete_fields}
        unknown = [c for c in columns if c not in by_column]
        if unknown:
            raise ValueError(f"{self.db_table} has no column(s) {unknown}")
        self.columns = tuple(columns)
        self.fields = [by_column[c] for c in columns]
        # Whatever the generator does not name gets the field's default; an automatic primary
        # key left out is numbered by the database.
        extra = [
            f
            for f in model._meta.concrete_fields
            if f.column not in self.columns
            and not isinstance(f, models.fields.AutoFieldMixin)
            and not getattr(f, "generated", False)  # the database computes those
        ]
        self.extra_columns = tuple(f.column for f in extra)
        now = timezone.now()
        defaults: list[Any] = []
        for f in extra:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                defaults.append(now)
            elif f.has_default():
                value = f.get_default()
                defaults.append(json.dumps(value) if isinstance(f, models.JSONField) else value)
            else:
                defaults.append(None)
        self.extra_defaults = tuple(defaults)

    @property
    def all_columns(self) -> tuple[str, ...]:
        return self.columns + self.extra_columns


def through(model: type[models.Model], field: str) -> type[models.Model]:
    """The auto-created table behind a many-to-many field."""
    m2m = model._meta.get_field(field)
    assert isinstance(m2m, models.ManyToManyField)
    return m2m.remote_field.through  # type: ignore[return-value]


class IdBlock:
    """Hands out consecutive primary keys from `start`."""

    def __init__(self, start: int) -> None:
        self.next = start

    def take(self) -> int:
        value = self.next
        self.next += 1
        return value


class BulkWriter:
    def __init__(self, using: str = "default") -> None:
        self.connection = connections[using]
        self.use_copy = self.connection.vendor == "postgresql"
        self.written: dict[str, int] = {}

    def next_id(self, model: type[models.Model]) -> int:
        """The first primary key above the table's current maximum."""
        pk = model._meta.pk
        assert pk is not None
        qn = self.connection.ops.quote_name
        with self.connection.cursor() as cursor:
            cursor.execute(f"SELECT MAX({qn(pk.column)}) FROM {qn(model._meta.db_table)}")
            (current,) = cursor.fetchone()
        return int(current or 0) + 1

    def ids(self, model: type[models.Model]) -> IdBlock:
        return IdBlock(self.next_id(model))

    def write(self, table: Table, rows: Sequence[Row]) -> None:
        if not rows:
            return
        qn = self.connection.ops.quote_name
        columns = ", ".join(qn(c) for c in table.all_columns)
        extra = table.extra_defaults
        with self.connection.cursor() as cursor:
            if self.use_copy:
                with cursor.copy(f"COPY {qn(table.db_table)} ({columns}) FROM STDIN") as copy:
                    if extra:
                        for row in rows:
                            copy.write_row(row + extra)
                    else:
                        for row in rows:
                            copy.write_row(row)
            else:
                placeholders = ", ".join(["%s"] * len(table.all_columns))
                extra_prepared = self._prepare_extra(table)
                prepared = [self._prepare(table, row) + extra_prepared for row in rows]
                cursor.executemany(f"INSERT INTO {qn(table.db_table)} ({columns}) VALUES ({placeholders})", prepared)
        self.written[table.db_table] = self.written.get(table.db_table, 0) + len(rows)

    def write_text(self, table: Table, data: bytes, rows: int) -> None:
        """Send rows already in COPY text format (see `copy_text`); PostgreSQL only."""
        if not data:
            return
        qn = self.connection.ops.quote_name
        columns = ", ".join(qn(c) for c in table.all_columns)
        with (
            self.connection.cursor() as cursor,
            cursor.copy(f"COPY {qn(table.db_table)} ({columns}) FROM STDIN") as copy,
        ):
            copy.write(data)
        self.written[table.db_table] = self.written.get(table.db_table, 0) + rows

    def _prepare(self, table: Table, row: Row) -> Row:
        """Database values for a backend without COPY; JSON columns already hold text."""
        out = []
        for field, value in zip(table.fields, row, strict=True):
            if value is None or isinstance(field, models.JSONField):
                out.append(value)
            else:
                out.append(field.get_db_prep_save(value, self.connection))
        return tuple(out)

    def _prepare_extra(self, table: Table) -> Row:
        extra = [f for f in table.model._meta.concrete_fields if f.column in table.extra_columns]
        return tuple(
            v if v is None or isinstance(f, models.JSONField) else f.get_db_prep_save(v, self.connection)
            for f, v in zip(extra, table.extra_defaults, strict=True)
        )

    def reset_sequences(self, model_list: Sequence[type[models.Model]]) -> None:
        """Point each table's id sequence past the explicit ids just written."""
        statements = self.connection.ops.sequence_reset_sql(no_style(), list(model_list))
        if statements:
            with self.connection.cursor() as cursor:
                for sql in statements:
                    cursor.execute(sql)

    @contextmanager
    def deferred_indexes(self, model_list: Sequence[type[models.Model]]) -> Iterator[None]:
        """Drop secondary indexes and foreign keys of these tables for the load, then rebuild them.

        PostgreSQL only; elsewhere it does nothing. Primary keys and unique constraints stay,
        so duplicates are still refused while loading.
        """
        if not self.use_copy:
            yield
            return
        tables = [m._meta.db_table for m in model_list]
        qn = self.connection.ops.quote_name
        indexes: list[str] = []
        foreign_keys: list[tuple[str, str, str]] = []
        with self.connection.cursor() as cursor:
            # Pending deferred checks would make ALTER TABLE refuse; run them now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for table in tables:
                cursor.execute(
                    """
                    SELECT i.relname, pg_get_indexdef(i.oid)
                      FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
                     WHERE x.indrelid = %s::regclass AND NOT x.indisprimary
                       AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
                    """,
                    [table],
                )
                for name, definition in cursor.fetchall():
                    indexes.append(definition)
                    cursor.execute(f"DROP INDEX {qn(name)}")
                cursor.execute(
                    "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE conrelid = %s::regclass AND contype = 'f'",
                    [table],
                )
                for name, definition in cursor.fetchall():
                    foreign_keys.append((table, name, definition))
                    cursor.execute(f"ALTER TABLE {qn(table)} DROP CONSTRAINT {qn(name)}")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        yield
        with self.connection.cursor() as cursor:
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
            for definition in indexes:
                cursor.execute(definition)
            for table, name, definition in foreign_keys:
                cursor.execute(f"ALTER TABLE {qn(table)} ADD CONSTRAINT {qn(name)} {definition}")
            for table in tables:
                cursor.execute(f"ANALYZE {qn(table)}")
