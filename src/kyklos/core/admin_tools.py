"""Helpers for admin actions that call services."""

from collections.abc import Callable, Iterable

from django.contrib import messages
from django.core.exceptions import ValidationError


def apply_each(request, objects: Iterable, action: Callable, done_message: str) -> int:
    """Call ``action(obj)`` for each object; a service's ValidationError becomes an error
    message naming the object, and the others go on. ``done_message`` takes ``%(n)d``."""
    done = 0
    for obj in objects:
        try:
            action(obj)
            done += 1
        except ValidationError as error:
            messages.error(request, f"{obj}: {' '.join(error.messages)}")
    if done:
        messages.success(request, done_message % {"n": done})
    return done
