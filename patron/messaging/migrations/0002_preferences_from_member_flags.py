"""Messaging's preferences become the one source of consent: the members'
``consent_email`` / ``consent_sms`` / ``consent_in_app`` flags (marketing
opt-in per channel) are copied into Preference rows, each recorded in the
consent trail with source ``import``. Runs in batches and can be re-run:
existing preferences are kept."""

from django.db import migrations

FLAGS = (("consent_email", "email"), ("consent_sms", "sms"), ("consent_in_app", "inapp"))
BATCH = 2000


def forwards(apps, schema_editor):
    Member = apps.get_model("members", "Member")
    Preference = apps.get_model("messaging", "Preference")
    ConsentChange = apps.get_model("messaging", "ConsentChange")
    from django.utils import timezone

    now = timezone.now()
    last = 0
    while True:
        rows = list(
            Member.objects.filter(pk__gt=last)
            .order_by("pk")
            .values_list("pk", "consent_email", "consent_sms", "consent_in_app")[:BATCH]
        )
        if not rows:
            break
        last = rows[-1][0]
        ids = [r[0] for r in rows]
        have = set(
            Preference.objects.filter(member_id__in=ids, category="marketing").values_list(
                "member_id", "channel"
            )
        )
        prefs, changes = [], []
        for pk, *flags in rows:
            for granted, (_field, channel) in zip(flags, FLAGS):
                if not granted or (pk, channel) in have:
                    continue
                prefs.append(
                    Preference(
                        member_id=pk, channel=channel, category="marketing", granted=True,
                        updated_at=now,
                    )
                )
                changes.append(
                    ConsentChange(
                        member_id=pk, channel=channel, category="marketing", granted=True,
                        source="import", actor="migration", at=now,
                    )
                )
        Preference.objects.bulk_create(prefs, ignore_conflicts=True)
        ConsentChange.objects.bulk_create(changes)


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0001_initial"),
        ("members", "0003_alter_member_consent_in_app"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
