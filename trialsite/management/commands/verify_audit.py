import sys

from django.core.management.base import BaseCommand

from trialsite import chain


class Command(BaseCommand):
    help = (
        "Recompute the audit trail's hash chain. Exits 1 naming the first history row changed, deleted or "
        "inserted out of order; prints the chain head (position and hash) to compare with a copy kept elsewhere."
    )

    def handle(self, *args, **options):
        result = chain.verify()
        head = f"Chain head: position {result.head.position}, sha256 {result.head.chain_hash}"
        if result.ok:
            self.stdout.write(f"Audit trail intact: {result.rows} history rows verified. {head}")
            return
        self.stderr.write(f"Audit trail NOT intact: {len(result.problems)} problem(s). First: {result.problems[0]}")
        for problem in result.problems[1:20]:
            self.stderr.write(f"  {problem}")
        if len(result.problems) > 20:
            self.stderr.write(f"  … and {len(result.problems) - 20} more")
        self.stderr.write(head)
        sys.exit(1)
