"""The SDTM datasets (SDTMIG 3.4): the registry of every dataset the exports serve.

A dataset is one module of this package (`dm.py`, `ae.py` …) declaring its variables with their
metadata, its PostgreSQL statement and its rows in Python (see `base.py`); adding one is adding its
module and naming it in DATASETS below. SUPP-- datasets follow from the variables marked `supp`;
XPT files, define.xml, EPOCH and the lengths of character variables are generic.
"""

from exports.sdtm.ae import AE
from exports.sdtm.base import Dataset, ValueLevel, Variable
from exports.sdtm.cm import CM
from exports.sdtm.dm import DM
from exports.sdtm.ds import DS
from exports.sdtm.dv import DV
from exports.sdtm.ex import EX
from exports.sdtm.ie import IE
from exports.sdtm.lb import LB
from exports.sdtm.mh import MH
from exports.sdtm.rs import RS, RS_TESTS
from exports.sdtm.supp import supplemental
from exports.sdtm.sv import SV
from exports.sdtm.trial_design import TA, TE, TI, TS, TV
from exports.sdtm.vs import VS, VS_TESTS

_DATASETS = (DM, DS, IE, SV, VS, LB, EX, CM, RS, AE, MH, DV, TS, TA, TE, TV, TI)
_SUPPLEMENTAL = tuple(supplemental(d) for d in _DATASETS if d.supplemental)
DATASETS: dict[str, Dataset] = {d.key: d for d in (*_DATASETS, *_SUPPLEMENTAL)}
SAFETY_DOMAINS = frozenset(key for key, d in DATASETS.items() if d.safety)  # DMC reviewers may export them too

__all__ = ["DATASETS", "SAFETY_DOMAINS", "Dataset", "RS_TESTS", "VS_TESTS", "ValueLevel", "Variable"]
