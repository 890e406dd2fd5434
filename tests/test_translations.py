"""Every user-visible English string is marked for translation, and the Chinese catalogue has them all.

Three checks, each naming file:line of what it finds:
- templates: text outside {% translate %}/{% blocktranslate %} (and user-visible attributes: title,
  placeholder, aria-label, alt, the value of a submit input);
- Python: a bare string literal where users read it (form and model field labels and help texts,
  verbose names, ValidationError, PermissionDenied, messages.*, a service's `error(field, text)`);
- the catalogue: `makemessages -l zh_Hans` over the tree leaves no untranslated and no fuzzy entry.

Codes and units are not text to translate: words in capitals (PASI, SDTM, W0), units and the names in
ALLOWED_WORDS pass.
"""

import ast
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.template.base import Lexer, TokenType

ROOT = Path(settings.BASE_DIR)
APPS = [
    "trialsite",
    "subjects",
    "dosing",
    "assessments",
    "safety",
    "labs",
    "medications",
    "deviations",
    "datamanagement",
    "signatures",
    "desk",
    "exports",
    "coding",
]
# Units, product and proper names, and the names of the languages themselves.
ALLOWED_WORDS = {
    "Trialsite",
    "English",
    "UCMSCs",
    "MedDRA",
    "mmHg",
    "kg",
    "cm",
    "mg",
    "mL",
    "bpm",
    "min",
    "mmol",
    "umol",
    "μmol",
    "g",
    "L",
    "dL",
    "IU",
    "U",
    "ng",
    "pg",
    "mcg",
    "ms",
    "sha",
    "eCRF",
    "iOS",
    "Android",
    "Google",
    "Authenticator",
    "SpO",  # SpO₂: the subscript splits the word
    "define",  # define.xml, Define-XML
    "Define",
    "FreeOTP",
    "curl",
    "JSON",
    "XPT",
    "xpt",
    "csv",
    "pdf",
    "zip",
    "xml",
}
WORD = re.compile(r"[A-Za-z][A-Za-z'’]+")
VISIBLE_ATTRIBUTES = {"title", "placeholder", "aria-label", "alt"}
# The content of the submission datasets (SDTM, define.xml, ODM, XPT) is English by standard, in
# every language of the interface: not scanned.
NOT_INTERFACE = {"exports/sdtm", "exports/define.py", "exports/odm.py", "exports/xpt.py", "exports/package.py"}


def english_words(text: str) -> list[str]:
    """Words of running English in `text`: at least two letters, not all capitals, not allowed."""
    return [w for w in WORD.findall(text) if not w.isupper() and w not in ALLOWED_WORDS and not w[1:].isupper()]


class _VisibleText(HTMLParser):
    """Collects (line offset, text) of what a reader sees in an HTML fragment."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []
        self._hidden = 0  # inside <script> or <style>

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._hidden += 1
        values = dict(attrs)
        for name, value in attrs:
            submit = tag == "input" and values.get("type") == "submit"
            if value and (name in VISIBLE_ATTRIBUTES or (name == "value" and submit)):
                self.found.append((self.getpos()[0], value))

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden and data.strip():
            self.found.append((self.getpos()[0], data))


def untranslated_template_text(path: Path) -> list[str]:
    source = path.read_text(encoding="utf-8")
    # What the reader sees is the template with every tag and variable taken out; text inside a
    # blocktranslate, a comment or a verbatim block is not ours to check.
    visible, skip, lines = [], 0, []
    for token in Lexer(source).tokenize():
        if token.token_type == TokenType.BLOCK:
            name = token.contents.split()[0] if token.contents else ""
            if name in ("blocktranslate", "blocktrans", "comment", "verbatim"):
                skip += 1
            elif name in ("endblocktranslate", "endblocktrans", "endcomment", "endverbatim"):
                skip -= 1
            elif name in ("plural",):
                pass
            visible.append(" ")
        elif token.token_type == TokenType.TEXT and not skip:
            visible.append(token.contents)
            lines.append((sum(len(v) for v in visible) - len(token.contents), token.lineno))
        else:
            visible.append(" " if token.token_type != TokenType.TEXT else "")
    text = "".join(visible)
    parser = _VisibleText()
    parser.feed(text)
    parser.close()
    problems = []
    for line, fragment in parser.found:
        words = english_words(fragment)
        if words:
            problems.append(f"{path.relative_to(ROOT)}:~{_source_line(source, fragment, line)}: {' '.join(words)[:80]}")
    return problems


def _source_line(source: str, fragment: str, fallback: int) -> int:
    needle = fragment.strip().splitlines()[0][:40] if fragment.strip() else ""
    index = source.find(needle) if needle else -1
    return source.count("\n", 0, index) + 1 if index >= 0 else fallback


def test_templates_have_no_untranslated_text():
    problems = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        problems += untranslated_template_text(path)
    assert not problems, "Text outside {% translate %} in templates:\n" + "\n".join(problems)


# Our scripts show only text the page gave them (data attributes or json_script), never their own.
SCRIPT_TEXT = re.compile(r'(?:\b(?:label|text)\s*:|textContent\s*=[^;]*?|message:)\s*"([^"]*)"')


def test_scripts_show_no_text_of_their_own():
    problems = []
    for path in sorted((ROOT / "static" / "js").glob("*.js")):
        source = path.read_text(encoding="utf-8")
        for match in SCRIPT_TEXT.finditer(source):
            text = match.group(1)
            if english_words(text) and (" " in text or text[:1].isupper()):  # not a key such as "enter"
                line = source.count("\n", 0, match.start()) + 1
                problems.append(f"{path.relative_to(ROOT)}:{line}: {match.group(1)[:60]}")
    assert not problems, "English text in scripts (pass it from the template):\n" + "\n".join(problems)


# --- Python ----------------------------------------------------------------------------------------

LABEL_KEYWORDS = {"label", "verbose_name", "verbose_name_plural", "help_text", "empty_label"}
MESSAGE_CALLS = {"ValidationError", "PermissionDenied", "PasswordRejected", "RecordLocked"}
MESSAGE_FUNCTIONS = {"error", "reason_error", "field_error"}
TRANSLATING = {"_", "gettext", "gettext_lazy", "ngettext", "ngettext_lazy", "pgettext", "pgettext_lazy"}


def _is_text(node) -> bool:
    if isinstance(node, ast.JoinedStr):
        return True
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and bool(english_words(node.value))


def _call_name(node: ast.Call) -> str:
    return getattr(node.func, "id", None) or getattr(node.func, "attr", None) or ""


def untranslated_python_text(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    problems = []
    # The API's help texts and labels describe the schema for programmers (OpenAPI), in English like
    # its field names; its error messages follow Accept-Language and are checked.
    labels = set() if "api" in path.parts else LABEL_KEYWORDS

    def flag(node, why):
        problems.append(f"{path.relative_to(ROOT)}:{node.lineno}: {why}: {ast.unparse(node)[:70]}")

    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _call_name(node)
        if name in TRANSLATING:
            if node.args and isinstance(node.args[0], ast.JoinedStr):
                flag(node.args[0], "f-string inside gettext (use %(name)s)")
            continue
        candidates = [k.value for k in node.keywords if k.arg in labels | {"message"}]
        if name in MESSAGE_CALLS:
            candidates += node.args[:1]
            for arg in node.args[:1]:
                if isinstance(arg, ast.Dict):
                    candidates += arg.values
                    candidates += [e for v in arg.values if isinstance(v, ast.List) for e in v.elts]
        elif name in MESSAGE_FUNCTIONS:
            candidates += node.args[1:2]
        elif name in ("error", "success", "warning", "info") and getattr(node.func, "value", None) is not None:
            if getattr(node.func.value, "id", None) == "messages":
                candidates += node.args[1:2]
        for value in candidates:
            if _is_text(value):
                flag(value, "not marked for translation")
    return problems


def test_python_has_no_untranslated_user_text():
    problems = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if "migrations" in path.parts or any(relative.startswith(prefix) for prefix in NOT_INTERFACE):
                continue
            problems += untranslated_python_text(path)
    assert not problems, "User-visible text not marked for translation:\n" + "\n".join(problems)


# --- The catalogue ---------------------------------------------------------------------------------


def _entries(po: Path, *flags: str) -> list[str]:
    out = subprocess.run(["msgattrib", *flags, str(po)], capture_output=True, text=True, check=True).stdout
    ids = re.findall(r'^msgid ((?:".*"\n)+)', out, flags=re.M)
    texts = ["".join(re.findall(r'"(.*)"', block)) for block in ids]
    return [t for t in texts if t]  # the empty msgid is the header


@pytest.mark.skipif(
    shutil.which("xgettext") is None and not os.environ.get("CI"), reason="needs GNU gettext (CI installs it)"
)
def test_catalogue_has_every_marked_string_translated(monkeypatch):
    # makemessages writes into the project's own catalogue (it picks the locale directory beside the
    # files it scans), so the check runs on it and puts the committed file back afterwards.
    monkeypatch.chdir(ROOT)
    catalogue = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
    committed = catalogue.read_bytes()
    try:
        call_command(
            "makemessages",
            locale=["zh_Hans"],
            ignore_patterns=[".venv/*", "var/*", "bench/*", "tests/*", "locale/*"],
            no_obsolete=True,
            verbosity=0,
        )
        untranslated = _entries(catalogue, "--untranslated")
        fuzzy = _entries(catalogue, "--only-fuzzy")
    finally:
        catalogue.write_bytes(committed)
    assert not untranslated, f"{len(untranslated)} untranslated, e.g. {untranslated[:10]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy, e.g. {fuzzy[:10]}"
