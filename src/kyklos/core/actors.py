"""Who is acting: a logged-in user, or the system (a command, the daily run, a webhook)."""


def acting_user(actor):
    """The actor when it is a logged-in user (for foreign keys such as ``created_by``),
    else None — an anonymous visitor, the system or no actor at all."""
    return actor if getattr(actor, "is_authenticated", False) else None
