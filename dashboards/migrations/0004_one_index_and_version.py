"""The uniqueness index leads with the region, so it also serves every read; the separate
(region, grain, day) index goes (one index less to maintain on every insert). The summary
state gets a version token that keys cached dashboards."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [("dashboards", "0003_monthly_rows_everywhere")]

    operations = [
        migrations.AddField(
            model_name="statsstate",
            name="token",
            field=models.CharField(blank=True, max_length=32, verbose_name="summary version"),
        ),
        migrations.RemoveIndex(model_name="dailystats", name="daily_stats_region_day_idx"),
        migrations.RemoveConstraint(model_name="dailystats", name="daily_stats_unique"),
        migrations.AddConstraint(
            model_name="dailystats",
            constraint=models.UniqueConstraint(
                fields=("region", "grain", "day", "dimension", "category", "channel"),
                name="daily_stats_region_grain_day_unique",
                nulls_distinct=False,
            ),
        ),
    ]
