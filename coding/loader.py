"""Storing a MedDRA release read by coding.meddra_files: the one door for dictionary rows."""

from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from coding import meddra_files
from coding.models import (
    HighLevelGroupTerm,
    HighLevelTerm,
    LowestLevelTerm,
    MeddraRelease,
    PreferredTerm,
    SystemOrganClass,
)
from coding.terms import term_key

BATCH_SIZE = 2000


class MeddraLoadError(Exception):
    pass


@dataclass(frozen=True)
class LoadResult:
    release: MeddraRelease
    created: bool  # False: this version was loaded before from the same files; no term row written
    activated: bool  # it became the active release now


def meddra_release_load(
    *, directory: str | Path, loaded_by: str, version: str | None = None, encoding: str = "utf-8", activate=True
) -> LoadResult:
    """Load the release in `directory` in one transaction, and make it the active one (unless
    `activate` is false).

    Idempotent: a version loaded before from the same files is not loaded again (only activated);
    from other files it is refused (MeddraLoadError) — a release is never changed in place.
    Raises MeddraFileError (file and line) before writing anything when the files are not right.
    """
    files = meddra_files.read_release(directory, version=version, encoding=encoding)
    now = timezone.now()
    with transaction.atomic():
        release = MeddraRelease.objects.select_for_update().filter(version=files.version).first()
        created = release is None
        if created:
            release = MeddraRelease.objects.create(
                version=files.version, language=files.language, digest=files.digest, loaded_at=now, loaded_by=loaded_by
            )
            _store_terms(release, files)
        elif release.digest != files.digest:
            raise MeddraLoadError(
                f"MedDRA {files.version} is already loaded (on {release.loaded_at:%Y-%m-%d} by {release.loaded_by}) "
                "from other files; a release is never changed in place."
            )
        activated = activate and not release.is_active
        if activated:
            # off first: the partial unique index allows one active release at any moment
            MeddraRelease.objects.filter(is_active=True).update(is_active=False)
            release.is_active, release.activated_at = True, now
            release.save(update_fields=["is_active", "activated_at"])
    return LoadResult(release=release, created=created, activated=activated)


def _store_terms(release: MeddraRelease, files: meddra_files.MeddraRelease) -> None:
    def create(model, rows) -> dict[int, int]:
        model.objects.bulk_create(rows, batch_size=BATCH_SIZE)
        return dict(model.objects.filter(release=release).values_list("code", "id"))

    soc_ids = create(
        SystemOrganClass,
        (SystemOrganClass(release=release, code=t.code, name=t.name, abbreviation=t.abbreviation) for t in files.socs),
    )
    hlgt_ids = create(
        HighLevelGroupTerm, (HighLevelGroupTerm(release=release, code=t.code, name=t.name) for t in files.hlgts)
    )
    hlt_ids = create(HighLevelTerm, (HighLevelTerm(release=release, code=t.code, name=t.name) for t in files.hlts))
    pt_ids = create(
        PreferredTerm,
        (
            PreferredTerm(
                release=release,
                code=t.code,
                name=t.name,
                primary_hlt_id=hlt_ids[files.primary_paths[t.code].hlt_code],
                primary_hlgt_id=hlgt_ids[files.primary_paths[t.code].hlgt_code],
                primary_soc_id=soc_ids[files.primary_paths[t.code].soc_code],
            )
            for t in files.pts
        ),
    )
    LowestLevelTerm.objects.bulk_create(
        (
            LowestLevelTerm(
                release=release,
                code=t.code,
                name=t.name,
                name_key=term_key(t.name),
                pt_id=pt_ids[t.pt_code],
                is_current=t.is_current,
            )
            for t in files.llts
        ),
        batch_size=BATCH_SIZE,
    )
    links = (
        (HighLevelGroupTerm, "socs", hlgt_ids, soc_ids, files.soc_hlgt),
        (HighLevelTerm, "hlgts", hlt_ids, hlgt_ids, files.hlgt_hlt),
        (PreferredTerm, "hlts", pt_ids, hlt_ids, files.hlt_pt),
    )
    for model, field_name, lower_ids, upper_ids, pairs in links:
        field = model._meta.get_field(field_name)
        through, lower, upper = field.remote_field.through, field.m2m_column_name(), field.m2m_reverse_name()
        through.objects.bulk_create(
            (
                through(**{lower: lower_ids[lower_code], upper: upper_ids[upper_code]})
                for upper_code, lower_code in pairs
            ),
            batch_size=BATCH_SIZE,
        )
