"""Check digits of LOINC (mod 10) and SNOMED CT identifiers (Verhoeff), which catch mistyped
codes.
"""

from __future__ import annotations

import re

# Verhoeff's dihedral-group tables (multiplication, permutation, inverse), as SNOMED CT's identifier
# guide gives them.
_D = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 2, 3, 4, 0, 6, 7, 8, 9, 5),
    (2, 3, 4, 0, 1, 7, 8, 9, 5, 6),
    (3, 4, 0, 1, 2, 8, 9, 5, 6, 7),
    (4, 0, 1, 2, 3, 9, 5, 6, 7, 8),
    (5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
    (6, 5, 9, 8, 7, 1, 0, 4, 3, 2),
    (7, 6, 5, 9, 8, 2, 1, 0, 4, 3),
    (8, 7, 6, 5, 9, 3, 2, 1, 0, 4),
    (9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
)
_P = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 5, 7, 6, 2, 8, 3, 0, 9, 4),
    (5, 8, 0, 3, 7, 9, 6, 1, 4, 2),
    (8, 9, 1, 6, 0, 4, 3, 5, 2, 7),
    (9, 4, 5, 3, 1, 2, 6, 8, 7, 0),
    (4, 2, 8, 6, 5, 7, 3, 9, 0, 1),
    (2, 7, 9, 3, 8, 0, 6, 4, 1, 5),
    (7, 0, 4, 6, 9, 1, 3, 2, 5, 8),
)


def snomed_check_ok(sctid: str) -> bool:
    """Say whether a SNOMED CT identifier is well formed: 6-18 digits whose Verhoeff check digit
    holds.
    """
    if not re.fullmatch(r"[1-9][0-9]{5,17}", sctid):
        return False
    check = 0
    for position, digit in enumerate(reversed(sctid)):
        check = _D[check][_P[position % 8][int(digit)]]
    return check == 0


def loinc_check_ok(code: str) -> bool:
    """Say whether a LOINC code (digits, hyphen, check digit) has the right mod-10 check digit."""
    match = re.fullmatch(r"([0-9]{1,7})-([0-9])", code)
    if not match:
        return False
    body, check = match.group(1), int(match.group(2))
    total = 0
    # Luhn over the body: double every second digit counting from the right, starting with the
    # rightmost.
    for position, digit in enumerate(reversed(body)):
        value = int(digit) * (2 if position % 2 == 0 else 1)
        total += value // 10 + value % 10
    return (10 - total % 10) % 10 == check
