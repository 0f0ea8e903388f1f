"""The `portal` command (also `python -m portal`): Flask's command group around the
portal's app factory. The commands themselves are registered by `portal.cli.init_app`."""

from __future__ import annotations

from flask.cli import FlaskGroup

from portal import create_app


def main() -> None:
    cli = FlaskGroup(
        create_app=lambda: create_app(),
        help="地方創生提案平台。設定請見 README（環境變數 PORTAL_*）。",
    )
    cli(prog_name="portal")


if __name__ == "__main__":
    main()
