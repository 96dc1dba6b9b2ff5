"""privacy: check what the exports would replace, add names, allow words, show the key."""
from __future__ import annotations

import re
from pathlib import Path

import click

from qualcode.cli.app import CONTEXT_SETTINGS
from qualcode.cli.options import project_option, study_option


@click.group("privacy", context_settings=CONTEXT_SETTINGS)
def privacy() -> None:
    """Pseudonymisation of everything that leaves the project (on by default in every export).

    \b
    Examples:
      qualcode privacy check
      qualcode privacy add "Berkenrode Lyceum" --as "[School A]"
      qualcode privacy allow "Kennisnet"
    """


@privacy.command("check", context_settings=CONTEXT_SETTINGS)
@study_option(help="Only the documents of this study.")
@project_option
def privacy_check(project, study: str | None) -> None:
    """What the exports would replace (with counts and an example), and what to look at before you share.

    Names are shown here, on screen only. Act on the lists at the end with
    `qualcode privacy add NAME` (a name that is missed) or `qualcode privacy allow WORD`
    (a word that is no name).

    \b
    Example:
      qualcode privacy check --study vo-2025
    """
    result = project.privacy_check(study)
    if not result.lists_available:
        click.echo("Warning: deduce's name lists are missing (pip install deduce); only the cases file, your own "
                   "terms and the rules for titles and schools are used.", err=True)
    click.echo(f"Replaced in exports ({len(result.replaced)} terms in {result.documents} documents"
               f"{' of study ' + study if study else ''}):")
    for o in result.replaced:
        click.echo(f"  {o.placeholder:<18} {o.term!r} ×{o.count} ({o.kind}, {o.source})")
        click.echo(f"      {o.document}: {o.example}")
    if result.unsure:
        click.echo("\nUnsure (left as they are; `qualcode privacy add NAME` if it is a name):")
        for u in result.unsure:
            click.echo(f"  {u.text!r} ×{u.count} ({u.why})\n      {u.document}: {u.example}")
    if result.left_alone:
        click.echo("\nCapitalised words left alone (in no list; `qualcode privacy add NAME` for any that is a name, "
                   "`qualcode privacy allow WORD` to stop listing it):")
        for u in result.left_alone:
            click.echo(f"  {u.text!r} ×{u.count}  {u.document}: {u.example}")
    if result.speakers_not_names:
        labels = sorted({s.label for s in result.speakers_not_names})
        click.echo(f"\nSpeaker labels not taken for names: {', '.join(labels)} (add one that is a name with "
                   "`qualcode privacy add`).")


@privacy.command("add", context_settings=CONTEXT_SETTINGS)
@click.argument("terms", nargs=-1)
@click.option("--as", "placeholder", default=None, metavar="'[PLACEHOLDER]'",
              help="The placeholder, e.g. \"[School A]\" (default: the next free one of --kind).")
@click.option("--kind", default="person", show_default=True,
              type=click.Choice(["person", "pupil", "colleague", "school", "place", "organisation"]),
              help="What the name is: chooses the placeholder ([Persoon 3], [Leerling 2], [School B], ...).")
@click.option("--file", "list_file", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="A text file with one name a line (# starts a comment).")
@project_option
def privacy_add(project, terms: tuple[str, ...], placeholder: str | None, kind: str, list_file: Path | None) -> None:
    """Add names to replace in every export (with their inflections: Daans, Ruben's).

    \b
    Examples:
      qualcode privacy add "Berkenrode Lyceum" --as "[School A]"
      qualcode privacy add Daan Ruben --kind pupil
      qualcode privacy add --file names.txt
    """
    from qualcode.errors import UsageError

    names = list(terms)
    if list_file is not None:
        try:
            lines = list_file.read_text(encoding="utf-8-sig").splitlines()
        except UnicodeDecodeError:
            raise UsageError(f"{list_file}: not UTF-8 text; save it as UTF-8 (one name a line)") from None
        names += [line.split("#", 1)[0].strip() for line in lines if line.split("#", 1)[0].strip()]
    if not names:
        raise UsageError("no name given: `qualcode privacy add NAME`, or --file names.txt with one name a line")
    for entry in project.privacy_add(names, placeholder=placeholder, kind=kind):
        click.echo(f"{entry.term!r} -> {entry.placeholder}")


@privacy.command("allow", context_settings=CONTEXT_SETTINGS)
@click.argument("terms", nargs=-1, required=True)
@project_option
def privacy_allow(project, terms: tuple[str, ...]) -> None:
    """Let words through that are no names (an organisation, a product): they are not replaced.

    \b
    Example:
      qualcode privacy allow Kennisnet ParnasSys
    """
    for term in project.privacy_allow(terms):
        click.echo(f"Allowed: {term!r}")


@privacy.command("list", context_settings=CONTEXT_SETTINGS)
@project_option
def privacy_list(project) -> None:
    """Show the key (name -> placeholder). On screen only: the key is never written into an export.

    \b
    Example:
      qualcode privacy list
    """
    project.pseudonymiser()  # bring the key up to date, as the next export would
    entries = project.privacy_key()
    def natural(e):  # [Plaats 2] before [Plaats 10]
        return ([int(t) if t.isdigit() else t for t in re.split(r"(\d+)", e.placeholder)], e.term)

    for e in sorted(entries, key=natural):
        click.echo(f"{e.placeholder:<18} {e.term}  ({e.kind}, {e.source})")
    allowed = project.privacy_allowed()
    if allowed:
        click.echo("Allowed through: " + ", ".join(allowed))


COMMANDS = [privacy]
