# Issue 16: the merge form offers likely duplicates — earlier suggestions of the same station or
# region with a similar title (pg_trgm similarity, the `%` operator). The GIN trigram index on
# the title serves that operator. PostgreSQL only: SQLite falls back to words of the title
# (suggestions.selectors.merge_candidates) and needs no index.

from typing import Any

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

INDEX = "sugg_title_trgm_idx"


class KeepTrigramExtension(TrigramExtension):
    """Creates pg_trgm if missing; never drops it on the way back (the stations' indexes use it)."""

    def database_backwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        return None


def create(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f'CREATE INDEX IF NOT EXISTS "{INDEX}" ON "suggestions_suggestion" USING gin ("title" gin_trgm_ops)'
    )


def drop(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f'DROP INDEX IF EXISTS "{INDEX}"')


class Migration(migrations.Migration):
    dependencies = [
        ("suggestions", "0008_proposed_co_units_and_on_spot_representative"),
    ]

    operations = [
        KeepTrigramExtension(),
        migrations.RunPython(create, drop, elidable=False),
    ]
