from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from notifications import retention
        from suggestions.retention import cases_anonymised

        cases_anonymised.connect(retention.forget_voter, dispatch_uid="notifications-forget-voter")
