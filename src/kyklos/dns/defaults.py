"""The zone template every install starts with (written by migration 0002 and by
``kyklos demo``'s wipe): the records a new zone gets besides the SOA and apex NS."""

#: ``{zone}``, ``{web_ipv4}`` and ``{mail_host}`` are filled from the zone and the settings.
STANDARD = [
    {"name": "@", "type": "A", "ttl": 3600, "content": "{web_ipv4}"},
    {"name": "www", "type": "CNAME", "ttl": 3600, "content": "{zone}"},
    {"name": "@", "type": "MX", "ttl": 3600, "content": "10 {mail_host}"},
    {"name": "@", "type": "TXT", "ttl": 3600, "content": "v=spf1 mx a -all"},
]


def seed(get_model) -> None:
    """The "standard" default template, unless one by that name exists; ``get_model(name)``
    gives the dns app's model (its historical version in a migration)."""
    get_model("ZoneTemplate").objects.get_or_create(
        name="standard", defaults={"default": True, "records": STANDARD}
    )
