from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from django.apps import apps

        # django-axes names its app "Axes" in the admin; administrators know it as login protection.
        if apps.is_installed("axes"):
            apps.get_app_config("axes").verbose_name = _("Login protection")
