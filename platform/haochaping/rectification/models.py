"""差评整改: opened with its bad review in the same transaction; the workflow builds on this."""
from django.db import models


class Rectification(models.Model):
    class State(models.TextChoices):
        OPEN = "OPEN", "待核实"

    class Source(models.TextChoices):
        BAD_REVIEW = "BAD_REVIEW", "差评"
        COMPLAINT = "COMPLAINT", "投诉"

    evaluation = models.OneToOneField("evaluations.Evaluation", null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="rectification")
    case = models.ForeignKey("evaluations.ServiceCase", null=True, blank=True, on_delete=models.PROTECT,
                             related_name="rectifications")
    source = models.CharField("来源", max_length=16, choices=Source.choices, default=Source.BAD_REVIEW)
    # 谁办理、谁负责: owned by the unit that handled the case, never by the rated staff member.
    owner_unit = models.ForeignKey("tenants.Tenant", on_delete=models.PROTECT, related_name="+", verbose_name="责任单位")
    state = models.CharField("状态", max_length=16, choices=State.choices, default=State.OPEN)
    opened_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "差评整改"
        verbose_name_plural = verbose_name
        ordering = ["-opened_at"]
