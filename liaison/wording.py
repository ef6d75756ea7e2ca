"""Words of Django and its libraries that the portal says in its own Chinese.

Nothing imports this module: naming a msgid here puts it into our catalogue
(locale/zh_Hans), which Django reads before its own, so the wording applies everywhere.
"""

from __future__ import annotations

from django.utils.translation import gettext_noop, ngettext_lazy

WORDING = (
    # Forms end each label with gettext(":"); Django's Chinese keeps the ASCII colon ("类别:").
    gettext_noop(":"),
    # Django's Chinese reads "确保该变量包含不超过…"; say it as the voter forms do.
    ngettext_lazy(
        "Ensure this value has at most %(limit_value)d character (it has %(show_value)d).",
        "Ensure this value has at most %(limit_value)d characters (it has %(show_value)d).",
        "limit_value",
    ),
)
