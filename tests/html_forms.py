"""What a browser would post back from a page's form: every named input as rendered (hidden ones too).

Tests that simulate "opened the form, then submitted it" post exactly what the page held, so a
form that forgets to carry something (such as the version it was read at) is caught.
"""

from html.parser import HTMLParser


class _FormParser(HTMLParser):
    def __init__(self, action_contains: str | None):
        super().__init__(convert_charrefs=True)
        self.action_contains = action_contains
        self.forms: list[dict[str, str]] = []
        self._current: dict[str, str] | None = None
        self._select: str | None = None
        self._select_first: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            wanted = a.get("method", "get").lower() == "post" and (
                self.action_contains is None or self.action_contains in (a.get("action") or "")
            )
            self._current = {} if wanted else None
            return
        if self._current is None or not a.get("name"):
            if tag == "option" and self._current is not None and self._select:
                self._option(a)
            return
        name = a["name"]
        if tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind in ("radio", "checkbox"):
                if "checked" in a:
                    self._current[name] = a.get("value", "on")
            elif kind not in ("submit", "button", "file"):
                self._current[name] = a.get("value", "")
        elif tag == "select":
            self._select, self._select_first = name, None
        elif tag == "textarea":
            self._textarea = name
            self._current[name] = ""

    def _option(self, a):
        value = a.get("value", "")
        if self._select_first is None:
            self._select_first = value
            self._current.setdefault(self._select, value)
        if "selected" in a:
            self._current[self._select] = value

    def handle_data(self, data):
        if self._current is not None and self._textarea:
            self._current[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "form" and self._current is not None:
            self.forms.append(self._current)
            self._current = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            if self._textarea and self._current is not None:
                self._current[self._textarea] = self._current[self._textarea].removeprefix("\n")
            self._textarea = None


def post_forms(html: str, action_contains: str | None = None) -> list[dict[str, str]]:
    parser = _FormParser(action_contains)
    parser.feed(html)
    return parser.forms


def form_values(response, action_contains: str | None = None) -> dict[str, str]:
    """The values of the page's (last) POST form, without the CSRF token (the test client needs none)."""
    forms = post_forms(response.content.decode(), action_contains)
    assert forms, "the page has no POST form"
    values = dict(forms[-1])
    values.pop("csrfmiddlewaretoken", None)
    return values
