"""What the provisioning migrations seed and ``kyklos demo --reset`` puts back: the backup
policies of R5.2 (daily, kept 14 days; monthly on the 15th, kept one year)."""

from __future__ import annotations

POLICIES = [
    {"code": "daily", "every": "day", "day_of_month": None, "keep_days": 14},
    {"code": "monthly", "every": "month", "day_of_month": 15, "keep_days": 365},
]


def seed(get_model) -> None:
    """Create the policies that are missing; idempotent. ``get_model(name)`` returns the
    model class (the real one, or its historical version in a migration)."""
    policy = get_model("BackupPolicy")
    for row in POLICIES:
        policy.objects.get_or_create(code=row["code"], defaults=row)
