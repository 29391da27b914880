"""Sign-in forms with throttling (haochaping.accounts.throttle), for the web login and both Django admins."""
from __future__ import annotations

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm

from . import throttle


class ThrottledLoginMixin:
    locked = False

    def _client_ip(self) -> str:
        return (self.request.META.get("REMOTE_ADDR", "") if self.request else "") or "unknown"

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        ip = self._client_ip()
        try:
            throttle.check_allowed(username, ip)
        except throttle.LoginLocked as exc:
            raise self._locked(exc) from None
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            # Wrong password, unknown or inactive user: all count, so probing usernames gains nothing.
            if throttle.record_failure(username, ip):
                raise self._locked(throttle.LoginLocked()) from None
            raise
        throttle.record_success(username, ip)
        return cleaned

    def _locked(self, exc: throttle.LoginLocked) -> forms.ValidationError:
        self.locked = True
        error = exc.errors[0]
        return forms.ValidationError(f"{error.message} / {error.message_en}", code="login_locked")


class ThrottledAuthenticationForm(ThrottledLoginMixin, AuthenticationForm):
    pass


class ThrottledAdminAuthenticationForm(ThrottledLoginMixin, AdminAuthenticationForm):
    pass
