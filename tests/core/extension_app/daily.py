from kyklos.core.registry import registry

#: The name the test registers its step under (set by the test).
NAME = "extension_app.tidy"


def tidy(day, run):
    """Tidy up. Nothing else."""
    return {}


def register() -> None:
    registry.register_daily_step(NAME, tidy)
