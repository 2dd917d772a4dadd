# The points-as-cash settings move to points (see points 0004, which takes the
# models into its state). The tables are renamed, not copied: every row stays.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('rewards', '0003_action_permissions'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.AlterModelTable('pointscashsettings', 'points_pointscashsettings'),
                migrations.AlterModelTable('pointscashtierrate', 'points_pointscashtierrate'),
            ],
            state_operations=[
                migrations.RemoveField(
                    model_name='pointscashtierrate',
                    name='settings',
                ),
                migrations.DeleteModel(
                    name='PointsCashSettings',
                ),
                migrations.DeleteModel(
                    name='PointsCashTierRate',
                ),
            ],
        ),
    ]
