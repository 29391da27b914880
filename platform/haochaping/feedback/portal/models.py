"""The public face of a comment (public schema): the receipt index and, with consent, the published answer.
Written by the owning tenant's transaction; the portal and Open311 never read a tenant schema (DESIGN §6)."""
from django.db import models


class PublishedComment(models.Model):
    """One comment, redacted. `text` is kept only when the commenter allowed publishing; `answer` (redacted) is
    shown to whoever holds the receipt code, and on the portal only when `is_public`."""

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    comment_id = models.BigIntegerField()
    receipt_digest = models.CharField(max_length=64, unique=True)
    category = models.CharField(max_length=16)
    channel = models.CharField(max_length=24)
    status = models.CharField(max_length=16)
    item_name = models.CharField(max_length=200, blank=True)
    text = models.TextField(blank=True)
    answer = models.TextField(blank=True)
    submitted_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    is_public = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "公开的综合点评"
        verbose_name_plural = verbose_name
        ordering = ["-answered_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["tenant", "comment_id"], name="published_comment_unique")]
        indexes = [models.Index(fields=["is_public", "tenant", "answered_at"], name="published_comment_portal")]


class WorkOrderIndex(models.Model):
    """Which unit holds a 12345 work order (public schema, no personal data): the 12345 intake finds the order by its
    number without visiting every schema, and a number is taken once county-wide (a repeated dispatch is a no-op)."""

    order_number = models.CharField(max_length=40, unique=True)
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    comment_id = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "12345工单索引"
        verbose_name_plural = verbose_name
