"""A loaded MedDRA release and its five levels, as the ASCII distribution files give them.

Releases are kept side by side: a term coded against release 27.0 keeps pointing at 27.0's rows
when 27.1 is loaded, so what was coded with which version is never rewritten. At most one release
is active (a partial unique index): the one new coding uses. Every term row belongs to one release;
a code is unique within its level and release (the LLT that repeats a PT has the PT's code).

The links follow MedDRA's multiaxial structure (many-to-many: a PT may sit under several HLTs
in several SOCs); each PT also stores its primary path (HLT, HLGT, SOC from mdhier.asc), which
AEBODSYS/AESOC, the HLT/HLGT of an AE and the counts by SOC use, so one join per level gives an
AE's whole hierarchy.

The rows are reference data written only by `load_meddra` (coding.loader), never edited.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from coding.meddra_files import ABBREVIATION_MAX, NAME_MAX, VERSION_MAX


class MeddraRelease(models.Model):
    version = models.CharField(max_length=VERSION_MAX, unique=True)
    language = models.CharField(max_length=40, blank=True)
    digest = models.CharField(max_length=64, help_text=_("SHA-256 of the records of the files loaded."))
    loaded_at = models.DateTimeField()
    loaded_by = models.CharField(max_length=150, help_text=_("Who ran load_meddra."))
    is_active = models.BooleanField(default=False)
    activated_at = models.DateTimeField(null=True, blank=True, help_text=_("When it last became the active release."))

    class Meta:
        ordering = ["-loaded_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=Q(is_active=True), name="coding_one_active_meddra_release"
            )
        ]

    def __str__(self) -> str:
        return f"MedDRA {self.version}" + (f" {self.language}" if self.language else "")


class Term(models.Model):
    code = models.PositiveIntegerField()
    name = models.CharField(max_length=NAME_MAX)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class SystemOrganClass(Term):
    release = models.ForeignKey(MeddraRelease, on_delete=models.CASCADE, related_name="socs")
    abbreviation = models.CharField(max_length=ABBREVIATION_MAX, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["release", "code"], name="coding_soc_code_unique")]


class HighLevelGroupTerm(Term):
    release = models.ForeignKey(MeddraRelease, on_delete=models.CASCADE, related_name="hlgts")
    socs = models.ManyToManyField(SystemOrganClass, related_name="hlgts")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["release", "code"], name="coding_hlgt_code_unique")]


class HighLevelTerm(Term):
    release = models.ForeignKey(MeddraRelease, on_delete=models.CASCADE, related_name="hlts")
    hlgts = models.ManyToManyField(HighLevelGroupTerm, related_name="hlts")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["release", "code"], name="coding_hlt_code_unique")]


class PreferredTerm(Term):
    release = models.ForeignKey(MeddraRelease, on_delete=models.CASCADE, related_name="pts")
    hlts = models.ManyToManyField(HighLevelTerm, related_name="pts")
    # the primary path (mdhier.asc, primary_soc_fg Y); RESTRICT: only deleting the release removes them
    primary_hlt = models.ForeignKey(HighLevelTerm, on_delete=models.RESTRICT, related_name="+")
    primary_hlgt = models.ForeignKey(HighLevelGroupTerm, on_delete=models.RESTRICT, related_name="+")
    primary_soc = models.ForeignKey(SystemOrganClass, on_delete=models.RESTRICT, related_name="primary_pts")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["release", "code"], name="coding_pt_code_unique")]


class LowestLevelTerm(Term):
    release = models.ForeignKey(MeddraRelease, on_delete=models.CASCADE, related_name="llts")
    pt = models.ForeignKey(PreferredTerm, on_delete=models.RESTRICT, related_name="llts")
    is_current = models.BooleanField(help_text=_("MedDRA's currency flag: non-current LLTs are kept, not coded to."))
    name_key = models.TextField(help_text=_("The name as coding.terms.term_key compares it."))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["release", "code"], name="coding_llt_code_unique")]
        indexes = [models.Index(fields=["release", "name_key"], name="coding_llt_name_key")]
