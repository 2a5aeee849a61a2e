"""The French catalogue is complete, valid, and compiled: the portal is French by
default, so an untranslated string is a bug a member sees."""

import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

CATALOGUE = Path(settings.BASE_DIR) / "coin" / "locale" / "fr" / "LC_MESSAGES" / "django.po"


def entries(*options: str) -> list[str]:
    output = subprocess.run(
        ["msgattrib", *options, str(CATALOGUE)], capture_output=True, text=True, check=True
    )
    return [line for line in output.stdout.splitlines() if line.startswith("msgid ") and line != 'msgid ""']


def test_no_string_is_left_untranslated_or_fuzzy():
    assert entries("--untranslated") == []
    assert entries("--only-fuzzy") == []


def test_the_catalogue_is_valid_and_the_compiled_file_is_up_to_date(tmp_path):
    compiled = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check", "-o", str(compiled), str(CATALOGUE)], check=True)
    assert compiled.read_bytes() == CATALOGUE.with_suffix(".mo").read_bytes(), "run make messages"


@pytest.mark.django_db
def test_emails_follow_the_language():
    with translation.override("fr"):
        assert "Bienvenue" in render_to_string("emails/members/welcome.subject.txt", {"isp": None})
    with translation.override("en"):
        assert "Welcome" in render_to_string("emails/members/welcome.subject.txt", {"isp": None})
