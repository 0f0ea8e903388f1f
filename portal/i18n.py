"""Message catalogues for the showcase and the portal's chrome.

Chinese is the source language: the text marked with `_()` in templates and code is
the message id, and `translations/en/LC_MESSAGES/messages.po` gives its English. The
catalogue is compiled in memory when an app starts, so no `.mo` file is built or
committed. A page's language comes from `flask.g.lang` ("zh" when unset), which the
showcase sets from the page's endpoint; the portal is Chinese only for now.
"""

from __future__ import annotations

import functools
import gettext as gettext_module
import io
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, g, has_app_context

TRANSLATIONS = Path(__file__).resolve().parent / "translations"
SOURCE_LANGUAGE = "zh"
# A page language of the site and the catalogue's locale folder that translates it.
LOCALES = {"en": "en"}


def N_(message: str) -> str:
    """Mark text for the catalogue where it is defined; `gettext` translates it where shown."""
    return message


@functools.cache
def catalogue(language: str) -> gettext_module.NullTranslations:
    """The translations of one page language; the source language has none."""
    locale = LOCALES.get(language)
    if locale is None:
        return gettext_module.NullTranslations()
    with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po").open("rb") as po:
        messages = read_po(po, locale=locale)
    compiled = io.BytesIO()
    write_mo(compiled, messages, use_fuzzy=False)
    compiled.seek(0)
    return gettext_module.GNUTranslations(compiled)


def language() -> str:
    return str(g.get("lang", SOURCE_LANGUAGE)) if has_app_context() else SOURCE_LANGUAGE


def gettext(message: str, **variables: object) -> str:
    """`message` in the current page's language, with `%(name)s` filled in from `variables`."""
    text = catalogue(language()).gettext(message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, number: int, **variables: object) -> str:
    text = catalogue(language()).ngettext(singular, plural, number)
    return text % {"num": number, **variables}


_ = gettext


def _template_gettext(message: str) -> str:
    return catalogue(language()).gettext(message)


def _template_ngettext(singular: str, plural: str, number: int) -> str:
    return catalogue(language()).ngettext(singular, plural, number)


def _template_pgettext(context: str, message: str) -> str:
    return catalogue(language()).pgettext(context, message)


def _template_npgettext(context: str, singular: str, plural: str, number: int) -> str:
    return catalogue(language()).npgettext(context, singular, plural, number)


def init_app(app: Flask) -> None:
    """Give the app's templates `_()`, `gettext()`, `ngettext()`, `pgettext()` (one
    Chinese word with two English ones, told apart by a context) and `{% trans %}`.
    Jinja's new-style calls escape the translation and fill `%(name)s` themselves."""
    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        _template_gettext,
        _template_ngettext,
        newstyle=True,
        pgettext=_template_pgettext,
        npgettext=_template_npgettext,
    )
