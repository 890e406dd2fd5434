"""How a verbatim term is compared with dictionary terms (pure: no Django).

Exact matching, forgiving only of what carries no meaning: letter case, the width of characters
(full-width letters typed with a Chinese input method read as ASCII ones: Unicode NFKC) and
runs of white space. Nothing else is changed: no spelling correction, no synonyms — a term that
does not match exactly goes to a person.
"""

import unicodedata


def term_key(text: str) -> str:
    """The form in which two terms are compared: equal keys, same term."""
    return " ".join(unicodedata.normalize("NFKC", text).split()).casefold()
