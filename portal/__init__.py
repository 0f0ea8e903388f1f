"""地方創生 proposal portal: the live multi-user Flask app."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from portal import config, i18n, security, static_versions


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the portal. `test_config` overrides the defaults and `PORTAL_*` variables."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(config.PROJECT_ROOT / "templates"),
    )
    app.config.update(config.resolve(Path(app.instance_path), test_config))
    # Flask-WTF's translations need Flask-Babel; WTForms' own catalogue (zh_TW) is enough.
    app.config.setdefault("WTF_I18N_ENABLED", False)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    # The chrome's text goes through the message catalogues; the portal is Chinese only.
    i18n.init_app(app)
    static_versions.init_app(app)

    from portal import auth, db, review
    from portal.views import register as views
    from portal.views.register import csrf

    db.init_app(app)
    review.init_app(app)
    csrf.init_app(app)
    auth.init_app(app)
    views.init_app(app)
    _register_error_pages(app)
    security.init_app(app)

    from portal import cli

    cli.init_app(app)
    return app


def _register_error_pages(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> tuple[str, int]:
        return render_template("errors/csrf.html", error=error), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[str, int] | HTTPException:
        code = error.code or 500
        if code in (403, 404, 413):
            return render_template(f"errors/{code}.html", error=error), code
        return error

    @app.errorhandler(500)
    def server_error(error: Exception) -> tuple[str, int]:
        return render_template("errors/500.html"), 500
