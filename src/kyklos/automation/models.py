from django.db import models


class AutomationRun(models.Model):
    """The daily run for one date. A run that was killed stays ``running`` and is
    finished by the next run for that date (the steps themselves are idempotent).

    Every attempt is kept (:class:`RunAttempt`): its own summary, and the error of one that
    failed. The run is ``failed`` while its last attempt failed, ``done`` once one attempt
    finished, and its ``summary`` adds up the actions of all its attempts."""

    class Status(models.TextChoices):
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    day = models.DateField(unique=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    attempts = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["-day"]

    def __str__(self) -> str:
        return f"{self.day} {self.status}"


class RunAttempt(models.Model):
    """One attempt at the daily run of a date: when, what it did, and how it ended.

    An attempt whose process was killed stays ``running`` with no end time."""

    run = models.ForeignKey(AutomationRun, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveSmallIntegerField()
    status = models.CharField(
        max_length=8, choices=AutomationRun.Status.choices, default=AutomationRun.Status.RUNNING
    )
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["run", "number"]
        constraints = [
            models.UniqueConstraint(fields=["run", "number"], name="run_attempt_once"),
        ]

    def __str__(self) -> str:
        return f"{self.run.day} #{self.number} {self.status}"
