"""Shared fixtures: the rulebook, the app, fixture patients and the Synthea records."""

from __future__ import annotations

import hashlib
import os
from collections import OrderedDict
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from hypothesis import settings

import service
from service import create_app
from service.rulebook.book import DEFAULT_RULES_DIR, Rulebook, load_rulebook
from tests.golden_cases import full_sweeps
from tests.helpers.cds import LocalServer
from tests.helpers.jwt import Keys, jwks
from tests.needs import need

# Property tests ask for a multiple of the profile's max_examples (e.g. 6 *
# settings.default.max_examples): CI runs the counts they were written with, the README test command
# a quarter of them (a test that is not derandomized draws afresh each run, so local runs still
# wander). Loaded before any test module is imported, as the decorators read it at import;
# HYPOTHESIS_PROFILE=ci gives CI's counts locally.
settings.register_profile("ci", max_examples=100)
settings.register_profile("dev", max_examples=25)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if full_sweeps() else "dev"))


def rules_digest(root: Path) -> str:
    """Return a digest of every file under a rules directory: its path below the root and its
    bytes.
    """
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


class RulebookMemo:
    """load_rulebook as create_app calls it, loading each rules directory once per content in a
    session.

    Loading checks every rule file against its JSON Schema (~0.15 s), and the suite builds ~380
    apps: measured, about a third of a profile of the whole run. A rulebook is a pure function of
    the files under its directory and is never changed once loaded, so an app built from the same
    bytes gets the same one. A directory whose bytes changed (a test's corrupted copy) is loaded
    afresh, and a failing load is never kept: it raises every time.
    """

    # A handful of directories are in use at once (the real rules, a test's copy); ~9 MB each.
    KEEP = 8

    def __init__(self, load: Callable[..., Rulebook]) -> None:
        self._load = load
        self._books: OrderedDict[tuple[str, str], Rulebook] = OrderedDict()

    def __call__(self, rules_dir: Path | str = DEFAULT_RULES_DIR) -> Rulebook:
        """Return the rulebook of these rules: the one already loaded from the same bytes, else a
        fresh load.
        """
        root = Path(rules_dir).resolve()
        if not root.is_dir():
            return self._load(rules_dir)  # the real error, naming the missing folder
        key = (str(root), rules_digest(root))
        if key in self._books:
            self._books.move_to_end(key)
            return self._books[key]
        book = self._load(rules_dir)
        self._books[key] = book
        if len(self._books) > self.KEEP:
            self._books.popitem(last=False)
        return book


@pytest.fixture(scope="session", autouse=True)
def _apps_share_a_rulebook_per_rules_content() -> Iterator[None]:
    """Let every create_app of the session reuse the rulebook of rules it has already loaded
    (RulebookMemo).
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(service, "load_rulebook", RulebookMemo(service.load_rulebook))
        yield


@pytest.fixture(scope="session")
def book() -> Rulebook:
    """The real rulebook, loaded once."""
    return load_rulebook()


@pytest.fixture
def app(tmp_path: Path):  # type: ignore[no-untyped-def]
    """An app built from the defaults (its CDS state in a throw-away SQLite file, never the
    checkout's var/).
    """
    return create_app({"TESTING": True, "CDS_FEEDBACK_DB": str(tmp_path / "cds.sqlite3")})


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    """A test client of the app."""
    return app.test_client()


def pytest_configure(config: pytest.Config) -> None:
    """Register the `needs` marker."""
    config.addinivalue_line(
        "markers",
        "needs(*names): the test needs something from outside the repository (tests/needs.py)",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Before a test marked `needs(...)` runs (even one left with an empty parameter set), skip
    it or, in CI, fail it.
    """
    for mark in item.iter_markers("needs"):
        need(*mark.args)


# The CDS Client's (and the API issuer's) keys and JWK Set: the CDS and the REST API auth tests
# share them.
@pytest.fixture(scope="module")
def keys() -> Keys:
    """The CDS Client's RSA and EC P-384 keys, and a stranger's key it never published."""
    return Keys(
        rsa=rsa.generate_private_key(public_exponent=65537, key_size=2048),
        ec=ec.generate_private_key(ec.SECP384R1()),
        stranger=rsa.generate_private_key(public_exponent=65537, key_size=2048),
    )


@pytest.fixture(scope="module")
def jwks_server(keys: Keys) -> Iterator[LocalServer]:
    """The CDS Client's JWK Set, served over real HTTP on 127.0.0.1."""
    with LocalServer(
        lambda path, params: (200, jwks(keys)) if path == "/jwks.json" else (404, {})
    ) as server:
        yield server
