"""Open311 clients' API keys and the tokens handed out for their service requests."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ApiKey(models.Model):
    """A civic-tech client allowed to post service requests. Only a hash of the key is stored;
    the key itself is shown once, when an administrator creates it."""

    name = models.CharField(_("client name"), max_length=128)
    key_prefix = models.CharField(_("key starts with"), max_length=8, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    region = models.ForeignKey(
        "stations.Region",
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Requests posted with this key are filed in this region (or a region below it)."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("Open311 API key")
        verbose_name_plural = _("Open311 API keys")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"


class RequestToken(models.Model):
    """The token given out with a posted request; GET tokens/{token} resolves it to the request id."""

    token = models.CharField(_("token"), max_length=64, unique=True)
    suggestion = models.ForeignKey(
        "suggestions.Suggestion", verbose_name=_("suggestion"), on_delete=models.CASCADE, related_name="+"
    )
    api_key = models.ForeignKey(
        ApiKey, verbose_name=_("API key"), on_delete=models.SET_NULL, null=True, blank=True, related_name="tokens"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Open311 request token")
        verbose_name_plural = _("Open311 request tokens")

    def __str__(self) -> str:
        return self.token
