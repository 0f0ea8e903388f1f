"""The error every `portal` command raises to refuse: its own module, so that the
command modules (mail, rebuild, audit, backup, …) and `portal/cli.py`, which registers
them, both import it without importing each other."""

from __future__ import annotations

import click


class CliError(click.ClickException):
    """A refused command: the message in Chinese on stderr, exit code 1."""

    def show(self, file: object = None) -> None:
        click.echo(f"錯誤：{self.format_message()}", err=True)
