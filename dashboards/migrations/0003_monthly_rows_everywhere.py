"""Monthly summary rows for every summarised region (daily ones stay for provinces and cities):
a region may now map to the same ancestor once per grain. The summary is rebuilt on the next refresh."""

from django.db import migrations, models


def rebuild_on_next_refresh(apps, schema_editor):
    apps.get_model("dashboards", "RollupAncestor").objects.all().delete()
    apps.get_model("dashboards", "DailyStats").objects.all().delete()
    apps.get_model("dashboards", "StatsState").objects.update(rebuilt_at=None, refreshed_at=None)


class Migration(migrations.Migration):

    dependencies = [("dashboards", "0002_two_splits_two_grains")]

    operations = [
        migrations.RunPython(rebuild_on_next_refresh, migrations.RunPython.noop),
        migrations.RemoveConstraint(model_name="rollupancestor", name="rollup_ancestor_unique"),
        migrations.AddConstraint(
            model_name="rollupancestor",
            constraint=models.UniqueConstraint(
                fields=("region", "ancestor", "grain"), name="rollup_ancestor_grain_unique"
            ),
        ),
    ]
