# Issue 16: the voter finder searches 200,000 stations by name or address. A substring search
# (Django's icontains: UPPER(col) LIKE UPPER('%…%')) scans the whole table (~300 ms); trigram
# indexes on the same expressions answer patterns of three characters or more in a few ms.
# PostgreSQL only (pg_trgm is a trusted extension since PostgreSQL 13); SQLite keeps scanning.

from typing import Any

from django.db import migrations

INDEXES = {
    "station_name_trgm_idx": ("stations_station", "name"),
    "station_address_trgm_idx": ("stations_station", "address"),
    "region_name_trgm_idx": ("stations_region", "name"),
}


def create(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, (table, column) in INDEXES.items():
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
        )


def drop(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [
        ("stations", "0002_history_and_anonymised"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
