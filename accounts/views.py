"""Account pages: my page with API tokens and notification choices, invitations for enterprise
reporters."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from audit.log import record
from notify import services as notify_services
from notify.forms import PreferencesForm

from . import scope
from .forms import InvitationForm
from .models import ApiToken, Invitation, Role, User


def _me_page(request, preferences: PreferencesForm, status: int = 200):
    return render(
        request,
        "accounts/me.html",
        {
            "tokens": request.user.api_tokens.filter(revoked_at__isnull=True),
            "new_token": request.session.pop("new_token", None),
            "preferences": preferences,
            "email_enabled": notify_services.email_enabled(),
        },
        status=status,
    )


@login_required
def me(request):
    return _me_page(request, PreferencesForm(request.user))


@login_required
@require_POST
def notification_preferences(request):
    """The user's e-mail address and which kinds of event also come by e-mail."""
    form = PreferencesForm(request.user, request.POST)
    if not form.is_valid():
        return _me_page(request, form, status=422)
    notify_services.set_preferences(
        request.user,
        email=form.cleaned_data["email"],
        kinds_on=form.cleaned_data["kinds"],
        request=request,
    )
    messages.success(request, _("Your notification choices are saved."))
    return redirect(reverse("accounts:me") + "#notifications")


@login_required
@require_POST
def issue_token(request):
    token, raw = ApiToken.issue(request.user, request.POST.get("name", "")[:64])
    record("issue_token", request=request, object_type="apitoken", object_id=token.prefix)
    # Shown once on the next page, then gone: the database keeps only its digest.
    request.session["new_token"] = raw
    return redirect("accounts:me")


@login_required
@require_POST
def revoke_token(request, pk: int):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user, revoked_at__isnull=True)
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    record("revoke_token", request=request, object_type="apitoken", object_id=token.prefix)
    return redirect("accounts:me")


@login_required
@require_POST
def invite(request, uscc: str):
    """An official or park manager creates a one-time link for an enterprise's reporter."""
    enterprise = scope.enterprise_or_404(request.user, uscc.upper())
    if (
        not (
            scope.can_edit_enterprise(request.user, enterprise)
            or scope.can_see_contacts(request.user, enterprise)
        )
        or request.user.role == Role.REPORTER
    ):
        raise Http404
    _invitation, raw = Invitation.issue(enterprise, request.user)
    record("invite", request=request, obj=enterprise)
    link = request.build_absolute_uri(reverse("accounts:join", args=[raw]))
    messages.info(request, _("Invitation link (valid 14 days, once): %(link)s") % {"link": link})
    return redirect("registry:detail", uscc=enterprise.uscc)


def join(request, token: str):
    invitation = Invitation.find_open(token)
    if invitation is None:
        raise Http404
    form = InvitationForm(
        User(role=Role.REPORTER, enterprise=invitation.enterprise), request.POST or None
    )
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
            if locked.used_at is not None:
                raise Http404
            user = form.user
            user.username = form.cleaned_data["username"]
            user.set_password(form.cleaned_data["new_password1"])
            user.save()
            locked.used_at, locked.used_by = timezone.now(), user
            locked.save(update_fields=["used_at", "used_by"])
            record("join", actor=user, request=request, obj=invitation.enterprise)
        login(request, user, backend="accounts.backends.UsernameOrUsccBackend")
        return redirect("registry:detail", uscc=invitation.enterprise.uscc)
    return render(
        request, "accounts/join.html", {"form": form, "enterprise": invitation.enterprise}
    )
