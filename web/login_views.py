"""The sign-in page with throttling (haochaping.accounts.throttle); a locked-out attempt answers 429."""
from django.contrib.auth import views as auth_views

from haochaping.accounts.forms import ThrottledAuthenticationForm


class ThrottledLoginView(auth_views.LoginView):
    authentication_form = ThrottledAuthenticationForm

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if getattr(form, "locked", False):
            response.status_code = 429
        return response
