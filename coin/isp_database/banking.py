"""IBAN check (ISO 13616: mod-97 of the rearranged number equals 1)."""

import re


def iban_is_valid(iban: str) -> bool:
    iban = "".join(iban.split()).upper()
    if not re.fullmatch(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}", iban):
        return False
    rearranged = iban[4:] + iban[:4]
    digits = "".join(str(int(char, 36)) for char in rearranged)
    return int(digits) % 97 == 1


def format_iban(iban: str) -> str:
    """Groups of four for humans: FR76 3000 6000 …"""
    compact = "".join(iban.split()).upper()
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))
