"""The defaults Kyklos ships for the support desk: departments (R8.1), SLA targets
(R8.2, R8.3) and the working calendars of the provider countries (GR, CY, PL)."""

from datetime import time

from kyklos.support.sla import DEFAULT_TARGETS

DEPARTMENTS = [
    ("technical", "Technical", {"el": "Τεχνικό τμήμα", "pl": "Dział techniczny"}),
    ("development", "Development", {"el": "Ανάπτυξη", "pl": "Dział programistyczny"}),
    ("billing", "Billing and accounting", {"el": "Λογιστήριο", "pl": "Księgowość i rozliczenia"}),
    ("sales", "Sales", {"el": "Πωλήσεις", "pl": "Sprzedaż"}),
    ("data-protection", "Data protection", {"el": "Προστασία δεδομένων", "pl": "Ochrona danych"}),
]
TARGETS = [
    (priority, first, first_unit, resolution, resolution_unit)
    for priority, ((first, first_unit), (resolution, resolution_unit)) in DEFAULT_TARGETS.items()
]
CALENDARS = [("GR", "Europe/Athens"), ("CY", "Asia/Nicosia"), ("PL", "Europe/Warsaw")]


def seed(get_model) -> None:
    """Create the defaults that are missing; idempotent. ``get_model(name)`` returns the
    model class (the real one, or its historical version in a migration)."""
    Department = get_model("Department")
    SlaTarget = get_model("SlaTarget")
    BusinessCalendar = get_model("BusinessCalendar")
    get_model("SlaCheck").objects.get_or_create(pk=1)
    for position, (code, name, names) in enumerate(DEPARTMENTS, start=1):
        Department.objects.get_or_create(
            code=code, defaults={"name": name, "names": names, "position": position * 10}
        )
    for priority, first, first_unit, resolution, resolution_unit in TARGETS:
        SlaTarget.objects.get_or_create(
            priority=priority,
            defaults={
                "first_response": first,
                "first_response_unit": first_unit,
                "resolution": resolution,
                "resolution_unit": resolution_unit,
            },
        )
    for country, zone in CALENDARS:
        BusinessCalendar.objects.get_or_create(
            country=country,
            defaults={
                "time_zone": zone,
                "opens_at": time(9, 0),
                "closes_at": time(17, 0),
                "workdays": [0, 1, 2, 3, 4],
            },
        )
