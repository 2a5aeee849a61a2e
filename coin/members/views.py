from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from coin.members.emails import send_signup_confirmation
from coin.members.forms import MemberPasswordResetForm, ProfileForm, SignupForm
from coin.members.http import MemberRequest
from coin.members.membership import register_member
from coin.members.models import Member
from coin.ratelimit import by_address, by_posted_email, ratelimit


class SignupTokenGenerator(PasswordResetTokenGenerator):
    """Tokens of sign-up confirmation links: their own salt keeps them from being
    password-reset tokens (which would let them set the password of an account that
    was never confirmed), and the other way round."""

    key_salt = "coin.members.views.SignupTokenGenerator"

    def _make_hash_value(self, user, timestamp):
        # Confirming sets email_confirmed_at: the link then dies, so it cannot
        # reactivate an account that an admin disabled afterwards.
        return f"{super()._make_hash_value(user, timestamp)}{user.email_confirmed_at}"


signup_token_generator = SignupTokenGenerator()


@login_required
def detail(request: MemberRequest) -> HttpResponse:
    """The logged-in member's own information: there is no other member's page."""
    member = request.user
    return render(
        request,
        "members/detail.html",
        {
            "member": member,
            "membership_end": member.membership_end_date(),
            "fees": member.membership_fees.all()[:10],
            "can_edit": settings.MEMBER_CAN_EDIT_PROFILE,
            "membership_info_url": settings.MEMBER_MEMBERSHIP_INFO_URL,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def edit(request: MemberRequest) -> HttpResponse:
    if not settings.MEMBER_CAN_EDIT_PROFILE:
        raise PermissionDenied
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        member = form.save()
        with translation.override(member.preferred_language):
            messages.success(request, _("Your information was saved."))
        return remember_language(redirect("members:detail"), member)
    return render(request, "members/edit.html", {"form": form})


def _require_self_registration() -> None:
    if not settings.MEMBER_SELF_REGISTRATION:
        raise Http404


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    _require_self_registration()
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        # If the confirmation cannot be sent, no account is left behind: an inactive
        # account without its link would block the address (and password resets
        # skip inactive accounts).
        with transaction.atomic():
            member = form.save(commit=False)
            member.status = Member.Status.PENDING
            member.is_active = False
            register_member(member)
            token = signup_token_generator.make_token(member)
            uid = urlsafe_base64_encode(force_bytes(member.pk))
            path = reverse("members:signup_confirm", args=[uid, token])
            send_signup_confirmation(member, settings.SITE_URL.rstrip("/") + path)
        return redirect("members:signup_done")
    return render(request, "members/signup.html", {"form": form})


def signup_done(request: HttpRequest) -> HttpResponse:
    _require_self_registration()
    return render(request, "members/signup_done.html")


def signup_confirm(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    _require_self_registration()
    try:
        member = Member.objects.get(pk=int(force_str(urlsafe_base64_decode(uidb64))))
    except (ValueError, TypeError, OverflowError, Member.DoesNotExist):
        member = None
    valid = member is not None and signup_token_generator.check_token(member, token)
    if member is not None and valid:
        member.is_active = True
        member.email_confirmed_at = timezone.now()
        member.save(update_fields=["is_active", "email_confirmed_at"])
    return render(
        request,
        "members/signup_confirm.html",
        {
            "valid": valid,
            "membership_info_url": settings.MEMBER_MEMBERSHIP_INFO_URL,
        },
    )


# --- Login lockout and password reset ------------------------------------------------


def lockout_response(request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None):
    """The page django-axes shows instead of the login form's answer once an account or
    an address is locked out (AXES_LOCKOUT_CALLABLE): HTTP 429 with the
    ``registration/lockout.html`` template, which an ISP may override."""
    from axes.helpers import get_cool_off, get_failure_limit

    cool_off = get_cool_off(request)
    context = {
        "failure_limit": get_failure_limit(request, credentials),
        "cooloff_minutes": max(1, int(cool_off.total_seconds() // 60)) if cool_off else None,
    }
    return render(request, settings.AXES_LOCKOUT_TEMPLATE, context, status=settings.AXES_HTTP_RESPONSE_CODE)


# Django's password reset, rate-limited per address and per email asked for
# (RATE_LIMITS "password_reset_address" and "password_reset_email").
password_reset = ratelimit(
    [("password_reset_address", by_address), ("password_reset_email", by_posted_email)]
)(auth_views.PasswordResetView.as_view(form_class=MemberPasswordResetForm))


def remember_language(response: HttpResponse, member: Member) -> HttpResponse:
    """Make the portal speak the member's chosen language from the next page on.

    Django's LocaleMiddleware reads the language cookie before the browser's
    Accept-Language; a member with no choice keeps what their browser asks for.
    """
    if member.language:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            member.language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
    return response


class LoginView(auth_views.LoginView):
    """Log in, then answer in the member's chosen language."""

    redirect_authenticated_user = True

    def form_valid(self, form) -> HttpResponse:
        response = super().form_valid(form)
        user = form.get_user()
        return remember_language(response, user) if isinstance(user, Member) else response


class LogoutView(auth_views.LogoutView):
    """Log out, then say so on the login page."""

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        messages.info(request, _("You are logged out."))
        return response
