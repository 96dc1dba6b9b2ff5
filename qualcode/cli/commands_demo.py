"""demo: the whole job on the sample study in one command."""
from __future__ import annotations

import click

from qualcode.cli.app import CONTEXT_SETTINGS
from qualcode.cli.commands_report import matrix


@click.command(context_settings=CONTEXT_SETTINGS)
@click.option("--out", "out_dir", default="demo-output", show_default=True, type=click.Path(file_okay=False),
              help="Folder for the demo project, workbook and report (the demo project in it is rebuilt).")
@click.option("--sample", "sample_dir", default=None, show_default="the sample study that comes with qualcode",
              type=click.Path(file_okay=False), help="The sample study (with cases.csv and review/).")
@click.option("--codebook", default=None, show_default="the default Dutch codebook",
              type=click.Path(dir_okay=False), help="The codebook to code with.")
def demo(out_dir: str, sample_dir: str | None, codebook: str | None) -> None:
    """Run the whole job on the sample study: import, code, apply the review, matrix, workbook, report.

    \b
    Example:
      qualcode demo --out demo-output
    """
    from qualcode.demo import run_demo

    result = run_demo(out_dir, sample_dir=sample_dir, codebook=codebook, echo=click.echo)
    project = str(result.project)
    click.echo("")
    # one matrix per study (the default scope): '--by study' would print each study's matrix twice
    matrix.main(["--project", project, "--coder", result.coder], standalone_mode=False)
    click.echo("")
    click.echo(f"Workbook: {result.workbook}")
    click.echo(f"Report:   {result.report}  (heatmap: {result.heatmap})")
    if result.docx is not None:
        click.echo(f"Word:     {result.docx}  (with the scenario draft)")
    click.echo(f"Project:  {result.project}")
    click.echo("Next, try (after `source .venv/bin/activate` when qualcode was installed by make):")
    click.echo(f"  export QUALCODE_PROJECT={project}")
    click.echo("  qualcode matrix --by role --quotes 2 --coder " + result.coder)
    click.echo("  qualcode agree --coders " + ",".join(c for c, _ in result.reviews[:2]))
    click.echo("  qualcode review --coder YOUR_NAME      (review the sample yourself in the terminal)")


COMMANDS = (demo,)
