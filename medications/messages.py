"""Texts of the rule modules that people read, kept translatable without Django (the rule modules
import only the standard library and their own app).

``gettext_noop`` only marks a literal for ``makemessages``; the Django side translates it where it
is shown. ``Message`` is an English message that also keeps its template and values, so a service
can give it in the reader's language (``medications.services.shown``) while everything comparing
or storing it still sees the plain English text.
"""


def gettext_noop(message: str) -> str:
    return message


class Message(str):
    template: str
    values: dict

    def __new__(cls, template: str, **values) -> "Message":
        message = super().__new__(cls, template % values if values else template)
        message.template = template
        message.values = values
        return message
