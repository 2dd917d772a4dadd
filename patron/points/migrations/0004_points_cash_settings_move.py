# The points-as-cash settings move from rewards to points (issue 13: points as
# cash is a points service that checkout calls). The rows stay where they are:
# rewards 0004 renames the tables to points_* and drops the models from its
# state; this migration only adds them to points' state, and moves their
# content types (so operators' permissions and admin history follow them).

import django.db.models.deletion
from django.db import migrations, models

MODELS = ("pointscashsettings", "pointscashtierrate")


def _move_content_types(source: str, target: str):
    def move(apps, schema_editor):
        content_type = apps.get_model("contenttypes", "ContentType")
        db = schema_editor.connection.alias
        for model in MODELS:
            if not content_type.objects.using(db).filter(app_label=target, model=model).exists():
                content_type.objects.using(db).filter(app_label=source, model=model).update(
                    app_label=target
                )

    return move


class Migration(migrations.Migration):

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('core', '0003_operator_shops_and_action_permissions'),
        ('points', '0003_expiry_per_account'),
        ('rewards', '0004_points_cash_settings_move'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='PointsCashSettings',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('enabled', models.BooleanField(default=True, verbose_name='enabled')),
                        ('points_per_yuan', models.PositiveIntegerField(default=100, help_text='100 = 100 points pay ¥1', verbose_name='points per ¥1')),
                        ('max_share_percent', models.PositiveSmallIntegerField(default=50, verbose_name='largest share of the order payable with points (%)')),
                        ('min_points', models.PositiveIntegerField(default=100, verbose_name='minimum points per order')),
                        ('step_points', models.PositiveIntegerField(default=100, verbose_name='points in steps of')),
                        ('combine_with_coupons', models.BooleanField(default=True, verbose_name='may combine with coupons')),
                        ('hold_minutes', models.PositiveIntegerField(default=30, help_text='unpaid holds are released after', verbose_name='hold time-out (minutes)')),
                        ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                        ('shop', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='points_cash', to='core.shop')),
                    ],
                    options={
                        'verbose_name': 'points-as-cash settings',
                        'verbose_name_plural': 'points-as-cash settings',
                    },
                ),
                migrations.CreateModel(
                    name='PointsCashTierRate',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('tier_code', models.CharField(max_length=30, verbose_name='tier code')),
                        ('points_per_yuan', models.PositiveIntegerField(verbose_name='points per ¥1')),
                        ('settings', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='tier_rates', to='points.pointscashsettings')),
                    ],
                    options={
                        'verbose_name': 'tier rate',
                        'verbose_name_plural': 'tier rates',
                    },
                ),
                migrations.AddConstraint(
                    model_name='pointscashsettings',
                    constraint=models.CheckConstraint(condition=models.Q(('points_per_yuan__gt', 0), ('step_points__gt', 0), ('max_share_percent__lte', 100)), name='points_cash_settings_valid'),
                ),
                migrations.AddConstraint(
                    model_name='pointscashtierrate',
                    constraint=models.UniqueConstraint(fields=('settings', 'tier_code'), name='points_cash_tier_rate_unique'),
                ),
                migrations.AddConstraint(
                    model_name='pointscashtierrate',
                    constraint=models.CheckConstraint(condition=models.Q(('points_per_yuan__gt', 0)), name='points_cash_tier_rate_positive'),
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(
            _move_content_types("rewards", "points"), _move_content_types("points", "rewards")
        ),
    ]
