# Issue 14 §4: publishing only what may be published.

from typing import Any

from django.db import migrations, models


def settle_earlier_publications(apps: Any, schema_editor: Any) -> None:
    """Cases published before this change were whole cases. Those whose voter had not consented
    never showed on the board (it filtered them out), so they are taken off: the staff page then
    says what the board shows, and staff may publish their facts only."""
    Suggestion = apps.get_model("suggestions", "Suggestion")
    Suggestion.objects.filter(is_published=True, consent_to_publish=False).update(
        is_published=False, published_at=None
    )
    Suggestion.objects.filter(is_published=True).update(publication_scope="full")
    if schema_editor.connection.vendor == "postgresql":
        # No deferred checks may be pending when the table is altered for the constraint below.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):
    dependencies = [
        ("suggestions", "0004_case_file_rounds"),
    ]

    operations = [
        migrations.AddField(
            model_name="suggestion",
            name="public_content",
            field=models.TextField(blank=True, db_default="", default="", verbose_name="public content"),
        ),
        migrations.AddField(
            model_name="suggestion",
            name="public_reply",
            field=models.TextField(blank=True, db_default="", default="", verbose_name="public reply"),
        ),
        migrations.AddField(
            model_name="suggestion",
            name="public_title",
            field=models.CharField(blank=True, db_default="", default="", max_length=200, verbose_name="public title"),
        ),
        migrations.AddField(
            model_name="suggestion",
            name="publication_scope",
            field=models.CharField(
                blank=True,
                choices=[("full", "The whole case, masked"), ("facts", "The facts only")],
                db_default="",
                default="",
                max_length=8,
                verbose_name="publication scope",
            ),
        ),
        migrations.RunPython(settle_earlier_publications, migrations.RunPython.noop, elidable=True),
        migrations.AddConstraint(
            model_name="suggestion",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("is_published", False),
                    ("publication_scope", "facts"),
                    ("consent_to_publish", True),
                    _connector="OR",
                ),
                name="suggestion_words_published_with_consent",
            ),
        ),
    ]
