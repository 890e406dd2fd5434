"""The Define-XML 2.1 and ODM 1.3.2 XML schemas, ready for lxml, offline.

The XSD files are CDISC's (Define-XML 2.1 with its ODM 1.3.2 foundation and the W3C xml, xlink
and xmldsig schemas they import). They are read from the `odmlib` package (PyPI, a test
dependency pinned in requirements-dev.txt), whose wheel ships them under `odmlib/schemas/`, with
the imports between them resolved locally: no network is needed. They are not copied into this
repository: odmlib's MIT licence covers its own code, and the schema files carry no licence
statement of their own, so redistributing them is CDISC's to allow, not ours.
"""

from functools import cache
from importlib.resources import files

from lxml import etree


def _schema(relative_path: str) -> etree.XMLSchema:
    path = files("odmlib") / "schemas" / relative_path
    return etree.XMLSchema(etree.parse(str(path), etree.XMLParser(no_network=True)))


@cache
def define_21_schema() -> etree.XMLSchema:
    """Define-XML 2.1 (define2-1-0.xsd: ODM 1.3.2 extended by the def: namespace)."""
    return _schema("define/2.1/define2-1-0.xsd")


@cache
def odm_132_schema() -> etree.XMLSchema:
    """ODM 1.3.2 (ODM1-3-2.xsd)."""
    return _schema("odm/1.3.2/ODM1-3-2.xsd")


def schema_errors(schema: etree.XMLSchema, document: bytes) -> list[str]:
    """The schema's complaints about `document` ([] when it is valid), as 'line N: message'."""
    valid = schema.validate(etree.fromstring(document, etree.XMLParser(no_network=True, resolve_entities=False)))
    return [] if valid else [f"line {error.line}: {error.message}" for error in schema.error_log]
