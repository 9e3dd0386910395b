"""The receivables app's part of the personal-data registry: its collection policies'
names look personal but name dunning schedules."""

from kyklos.core.personal_data import personal_data
from kyklos.receivables.models import CollectionPolicy


def register() -> None:
    personal_data.declare_exempt(
        CollectionPolicy, "its name is the name of a dunning schedule, not of a person"
    )
