"""Durable background jobs in the public schema. A job is written in the same transaction as the change
that needs it and run by the worker after that commits; each job names the tenant schema it runs in."""
from django.db import models


class Job(models.Model):
    class State(models.TextChoices):
        PENDING = "PENDING", "待执行"
        RUNNING = "RUNNING", "执行中"
        DONE = "DONE", "已完成"
        FAILED = "FAILED", "失败"

    kind = models.CharField(max_length=64)
    schema_name = models.CharField(max_length=63)
    payload = models.JSONField(default=dict)
    # A job with a dedupe key is enqueued once, however often its cause is retried.
    dedupe_key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    max_attempts = models.PositiveIntegerField(default=8)
    run_after = models.DateTimeField()
    locked_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["state", "run_after"], name="job_due"),
                   models.Index(fields=["state", "finished_at"], name="job_finished")]
        ordering = ["id"]

    def __str__(self):
        return f"{self.kind}@{self.schema_name}#{self.pk}"
