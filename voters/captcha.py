"""The voter form's captcha: four digits, large and unstruck, so that it can be read on a phone
(issue 16: the 120×40 crossed letters were read right once in three tries). Still drawn here by
django-simple-captcha, offline, with its refresh endpoint behind the "换一张" button."""

from __future__ import annotations

import secrets
import unicodedata
from typing import Any

from captcha.fields import CaptchaField
from django.conf import settings

# Digits a person cannot mix up in the captcha's font: no 0/8 and 1/7 pairs.
DIGITS = "2345689"


def digits_challenge() -> tuple[str, str]:
    """CAPTCHA_CHALLENGE_FUNCT: the digits to draw and the answer expected (the same)."""
    text = "".join(secrets.choice(DIGITS) for _ in range(settings.CAPTCHA_LENGTH))
    return text, text


class DigitsCaptchaField(CaptchaField):
    """Accepts the digits as a Chinese keyboard types them: full-width, with spaces."""

    def clean(self, value: Any) -> Any:
        if isinstance(value, list | tuple) and len(value) == 2:  # the key and the answer
            answer = "".join(unicodedata.normalize("NFKC", str(value[1] or "")).split())
            value = [value[0], answer]
        return super().clean(value)
