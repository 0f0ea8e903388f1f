"""The `portal` command (also `python -m portal`): Flask's command group around the
portal's app factory. The commands themselves are registered by `portal.cli.init_app`."""

from __future__ import annotations

from flask import Flask
from flask.cli import FlaskGroup

from portal import create_app
from portal.cli_error import CliError
from portal.config import ConfigError


def _create_app() -> Flask:
    """The portal; a setting it cannot use is a refused command, not a traceback."""
    try:
        return create_app()
    except ConfigError as error:
        raise CliError(str(error)) from error


def main() -> None:
    cli = FlaskGroup(
        create_app=_create_app,
        help="地方創生提案平台。設定請見 README（環境變數 PORTAL_*）。",
    )
    cli(prog_name="portal")


if __name__ == "__main__":
    main()
