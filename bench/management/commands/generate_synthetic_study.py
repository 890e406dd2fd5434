import time

from django.core.management.base import BaseCommand, CommandError

from bench import synthetic


class Command(BaseCommand):
    help = (
        "Generate a realistic synthetic study of N participants (bulk inserts, marked synthetic). "
        "Refuses a database that holds real participants."
    )

    def add_arguments(self, parser):
        parser.add_argument("--participants", type=int, required=True, help="Number of participants to create.")
        parser.add_argument("--seed", type=int, default=1, help="Random seed: the same seed gives the same study.")

    def handle(self, *args, participants: int, seed: int, **options):
        if participants < 1:
            raise CommandError("--participants must be at least 1.")
        started = time.perf_counter()
        try:
            summary = synthetic.generate_study(participants=participants, seed=seed)
        except synthetic.SyntheticDataRefused as exc:
            raise CommandError(str(exc)) from exc
        elapsed = time.perf_counter() - started
        self.stdout.write(self.style.SUCCESS(f"Synthetic study (seed {seed}) in {elapsed:.1f} s: {summary}"))
