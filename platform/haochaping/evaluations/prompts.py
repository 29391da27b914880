"""“请评价”: the clerk or the queue system pushes a finished case to the window's rating device."""
from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from haochaping.accounts.models import Role, User
from haochaping.core.errors import DomainError
from haochaping.organizations.models import RatingDevice

from .models import DevicePrompt, Evaluation, ServiceCase

PROMPT_TTL = timedelta(minutes=10)


def request_rating(*, case_number: str, device: RatingDevice | None = None, user: User | None = None) -> DevicePrompt:
    """Push a case to a device: the clerk's own window device, or the one a system names."""
    case = ServiceCase.objects.filter(case_number=(case_number or "").strip()).first()
    if case is None:
        raise DomainError("UNKNOWN_CASE", "未找到该办件", "No such case", "caseNumber")
    profile = getattr(user, "staff_profile", None) if user is not None else None
    if user is not None and user.role == Role.STAFF:
        # A clerk pushes only to the devices of their own windows.
        window_ids = list(profile.windows.values_list("pk", flat=True)) if profile else []
        if device is not None and device.window_id not in window_ids:
            raise DomainError("NOT_YOUR_DEVICE", "只能推送到本人窗口的评价器", "You can only push to your own window's device",
                              "deviceSerial")
        device = device or RatingDevice.objects.filter(window_id__in=window_ids, is_active=True).first()
    if device is None or not device.is_active:
        raise DomainError("NO_DEVICE", "您的窗口没有配对的评价器", "Your window has no paired rating device", "deviceSerial")
    if Evaluation.objects.filter(case=case, round=1).exists():
        raise DomainError("ALREADY_RATED", "该办件已评价", "This case has already been rated", "caseNumber")
    with transaction.atomic():
        # A new prompt replaces whatever the device was still showing.
        DevicePrompt.objects.filter(device=device, state=DevicePrompt.State.PENDING).update(state=DevicePrompt.State.EXPIRED)
        return DevicePrompt.objects.create(device=device, case=case, requested_by=user,
                                           expires_at=timezone.now() + PROMPT_TTL)


def pending_prompt(device: RatingDevice) -> DevicePrompt | None:
    now = timezone.now()
    DevicePrompt.objects.filter(device=device, state=DevicePrompt.State.PENDING, expires_at__lte=now).update(
        state=DevicePrompt.State.EXPIRED)
    return (DevicePrompt.objects.select_related("case__item__catalog_item")
            .filter(device=device, state=DevicePrompt.State.PENDING).first())


def prompt_state(prompt_id: int, user: User) -> str:
    """What the clerk sees: whether the rater has rated, never the grade."""
    prompt = DevicePrompt.objects.filter(pk=prompt_id, requested_by=user).first()
    if prompt is None:
        raise DomainError("NOT_FOUND", "未找到该推送", "No such prompt", "promptId")
    if prompt.state == DevicePrompt.State.PENDING and prompt.expires_at <= timezone.now():
        return DevicePrompt.State.EXPIRED
    return prompt.state
