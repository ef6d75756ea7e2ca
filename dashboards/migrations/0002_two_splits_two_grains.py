"""DailyStats: a category split and a channel split instead of their cross product; daily rows
for provinces and cities, monthly rows for counties.

The summary is derived data: the rows are dropped here and the next refresh rebuilds them.
"""

import django.db.models.deletion
from django.db import migrations, models


def drop_summary(apps, schema_editor):
    apps.get_model("dashboards", "DailyStats").objects.all().delete()
    apps.get_model("dashboards", "StatsState").objects.update(rebuilt_at=None, refreshed_at=None)


class Migration(migrations.Migration):

    dependencies = [
        ("dashboards", "0001_initial"),
        ("stations", "0001_initial"),
        ("suggestions", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(drop_summary, migrations.RunPython.noop),
        migrations.AddField(
            model_name="rollupancestor",
            name="grain",
            field=models.CharField(
                choices=[("day", "Day"), ("month", "Month")], default="day", max_length=5, verbose_name="grain"
            ),
        ),
        migrations.RemoveConstraint(model_name="dailystats", name="daily_stats_unique"),
        migrations.RemoveIndex(model_name="dailystats", name="daily_stats_region_day_idx"),
        migrations.AddField(
            model_name="dailystats",
            name="dimension",
            field=models.CharField(
                choices=[("category", "By category"), ("channel", "By channel")],
                default="channel",
                max_length=8,
                verbose_name="split",
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="dailystats",
            name="grain",
            field=models.CharField(
                choices=[("day", "Day"), ("month", "Month")], default="day", max_length=5, verbose_name="grain"
            ),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="dailystats",
            name="category",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="suggestions.category",
                verbose_name="category",
            ),
        ),
        migrations.AlterField(
            model_name="dailystats",
            name="channel",
            field=models.CharField(blank=True, max_length=16, verbose_name="channel"),
        ),
        migrations.AlterField(
            model_name="dailystats",
            name="region",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="stations.region",
                verbose_name="region",
            ),
        ),
        migrations.AddIndex(
            model_name="dailystats",
            index=models.Index(fields=["region", "grain", "day"], name="daily_stats_region_day_idx"),
        ),
        migrations.AddConstraint(
            model_name="dailystats",
            constraint=models.UniqueConstraint(
                fields=("day", "grain", "region", "dimension", "category", "channel"),
                name="daily_stats_unique",
                nulls_distinct=False,
            ),
        ),
        migrations.AddConstraint(
            model_name="dailystats",
            constraint=models.CheckConstraint(
                condition=models.Q(("channel", ""), ("dimension", "category"))
                | models.Q(("category__isnull", True), ("dimension", "channel")),
                name="daily_stats_one_split",
            ),
        ),
    ]
