import codecs
import getpass

from django.core.management.base import BaseCommand, CommandError

from coding.loader import MeddraLoadError, meddra_release_load
from coding.meddra_files import MeddraFileError


class Command(BaseCommand):
    help = (
        "Load a licensed MedDRA release from its ASCII distribution files (the MedAscii folder: soc.asc, "
        "hlgt.asc, hlt.asc, pt.asc, llt.asc, soc_hlgt.asc, hlgt_hlt.asc, hlt_pt.asc, mdhier.asc and "
        "meddra_release.asc) and make it the active release. Running it again for a loaded release "
        "changes nothing but the active release."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", help="The folder holding the .asc files.")
        parser.add_argument(
            "--meddra-version",
            help="The release's version, e.g. 27.1, when the folder has no meddra_release.asc "
            "(must agree with it otherwise).",
        )
        parser.add_argument("--encoding", default="utf-8", help="Text encoding of the files (default utf-8).")
        parser.add_argument("--loaded-by", default=None, help="Who loads it (default: your login name).")
        parser.add_argument("--no-activate", action="store_true", help="Load without making it the active release.")

    def handle(self, *args, directory, meddra_version, encoding, loaded_by, no_activate, **options):
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise CommandError(f"Unknown encoding {encoding!r}.") from None
        try:
            result = meddra_release_load(
                directory=directory,
                version=meddra_version,
                encoding=encoding,
                loaded_by=loaded_by or getpass.getuser(),
                activate=not no_activate,
            )
        except (MeddraFileError, MeddraLoadError) as error:
            raise CommandError(str(error)) from error
        release = result.release
        if result.created:
            counts = ", ".join(
                f"{getattr(release, level).count()} {label}"
                for level, label in (
                    ("socs", "SOCs"),
                    ("hlgts", "HLGTs"),
                    ("hlts", "HLTs"),
                    ("pts", "PTs"),
                    ("llts", "LLTs"),
                )
            )
            message = f"Loaded {release}: {counts}."
        else:
            message = f"{release} was already loaded from these files; no term changed."
        if result.activated:
            state = "It is now the active release."
        else:
            state = "It is the active release." if release.is_active else "It is not the active release."
        self.stdout.write(self.style.SUCCESS(f"{message} {state}"))
