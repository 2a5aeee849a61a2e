"""The French catalogue is complete, valid, and compiled: the portal is French by
default, so an untranslated string is a bug a member sees."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

CATALOGUE = Path(settings.BASE_DIR) / "coin" / "locale" / "fr" / "LC_MESSAGES" / "django.po"


def entries(*options: str, catalogue: Path = CATALOGUE) -> list[str]:
    output = subprocess.run(
        ["msgattrib", *options, str(catalogue)], capture_output=True, text=True, check=True
    )
    return [line for line in output.stdout.splitlines() if line.startswith("msgid ") and line != 'msgid ""']


def test_no_string_is_left_untranslated_or_fuzzy():
    assert entries("--untranslated") == []
    assert entries("--only-fuzzy") == []


def test_every_string_of_the_sources_is_in_the_catalogue(tmp_path):
    """make messages on a copy of the sources adds no entry: a string marked for
    translation but never put in the catalogue would otherwise pass the test above."""
    repo = Path(settings.BASE_DIR)
    tracked = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\0")
    for name in filter(None, tracked):
        source = repo / name
        if source.is_file():
            (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, tmp_path / name)
    subprocess.run(
        [str(tmp_path / "scripts/messages.sh"), "--no-compile"],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "PYTHON": sys.executable},
        check=True,
        capture_output=True,
    )
    refreshed = tmp_path / CATALOGUE.relative_to(repo)
    assert entries("--untranslated", catalogue=refreshed) == [], "run make messages and translate them"


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
