"""Build the Inner Mongolia demo province and print its logins."""

import time
from collections import Counter

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from audit.log import record
from regions.models import Region
from registry import demo
from registry.models import Enterprise


class Command(BaseCommand):
    help = (
        "Load the Inner Mongolia (150000) demo: about 2,750 above-scale industrial enterprises "
        "in its 12 cities and leagues, parks, key projects, contacts, and a user of every role "
        f"(password {demo.PASSWORD}). The data is the same on every run (seeded generator). "
        "Idempotent: rows are matched by USCC (enterprises, with their tags, contacts and "
        "projects), by county and name (parks) and by username (users); whatever exists is left "
        "untouched, only what is missing is added, so re-running never duplicates nor resets "
        "anything. Loads regions and industries first on a fresh database. Refuses to run on a "
        "production deployment (FUGONG_HTTPS on) unless --force is given."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="run even with FUGONG_HTTPS on (the demo adds a superuser with a public password)",
        )

    def handle(self, *args, force: bool, **options):
        if getattr(settings, "HTTPS", False) and not force:
            raise CommandError(
                "FUGONG_HTTPS is on: this looks like production, and the demo adds accounts with "
                "a published password. Use --force if you really mean it."
            )
        started = time.perf_counter()
        plan = demo.build_plan()
        try:
            result = demo.load(plan)
        except demo.DemoError as exc:
            raise CommandError(str(exc)) from exc
        record(
            "load_demo",
            object_type="demo",
            object_id=demo.PROVINCE,
            enterprises_created=result.enterprises_created,
            users_created=result.users_created,
        )
        elapsed = time.perf_counter() - started
        self._summary(plan, result, elapsed)
        self._logins(plan, result)
        self._reports(plan)
        self._problems()

    def _reports(self, plan: demo.Plan) -> None:
        """Three weeks of demo dispatch reports (dispatch/demo.py), ending on seed 003's date."""
        from dispatch import demo as reports_demo

        loaded = reports_demo.load([e.uscc for e in plan.enterprises])
        f = reports_demo.figures_on_end()
        rate = f["resumption_rate"] or 0
        staff = f["staff_return_rate"] or 0
        self.stdout.write(
            f"Demo reports {reports_demo.START} – {reports_demo.END}: "
            f"{loaded.reports_created:,} added, {loaded.reports_kept:,} already there; "
            f"on {reports_demo.END} {f['resumed']:,} of {f['expected']:,} resumed "
            f"({rate:.1%}), staff return {staff:.1%}; {loaded.seconds:.1f} s"
        )

    def _problems(self) -> None:
        """Desks, their handlers and February's problems (problems/demo.py)."""
        from problems import demo as problems_demo

        loaded = problems_demo.load()
        states = ", ".join(f"{n} {s}" for s, n in sorted(loaded.by_status.items()))
        self.stdout.write(
            f"Demo problems: {loaded.problems_created} added, {loaded.problems_kept} already "
            f"there, {loaded.escalated} escalated as overdue on 22 February ({states}); "
            f"{loaded.desks_created} desks added; {loaded.seconds:.1f} s"
        )
        out = self.stdout.write
        out(self.style.SUCCESS(f"Desk handlers (password {demo.PASSWORD}):"))
        for username, what in problems_demo.logins():
            mark = "*" if username not in loaded.users_created else " "
            out(f" {mark}{username:<16}  {what}")

    def _summary(self, plan: demo.Plan, result: demo.Result, elapsed: float) -> None:
        rows = list(
            Enterprise.objects.filter(uscc__in=[e.uscc for e in plan.enterprises]).values_list(
                "region_id", "headcount"
            )
        )
        by_city: Counter[str] = Counter()
        heads: Counter[str] = Counter()
        for region, headcount in rows:
            by_city[region[:4] + "00"] += 1
            heads[region[:4] + "00"] += headcount
        names = dict(Region.objects.filter(code__in=list(by_city)).values_list("code", "name"))
        out = self.stdout.write
        out(
            f"Inner Mongolia demo: {len(rows)} above-scale enterprises "
            f"({result.enterprises_created} added, {result.enterprises_kept} already there), "
            f"normal headcount {sum(heads.values()):,}; "
            f"{len(plan.parks)} parks ({result.parks_created} added), "
            f"{len(plan.projects)} key projects; {elapsed:.1f} s"
        )
        for code in sorted(by_city):
            # The name goes last: wide CJK characters would break the columns.
            name = names.get(code, "")
            out(f"  {code} {by_city[code]:>5} enterprises {heads[code]:>9,} people  {name}")

    def _logins(self, plan: demo.Plan, result: demo.Result) -> None:
        out = self.stdout.write
        out("")
        out(self.style.SUCCESS(f"Demo logins (password {demo.PASSWORD}):"))
        width = max(len(u.username) for u in plan.users)
        for u in plan.users:
            mark = "*" if u.username in result.users_kept else " "
            out(f" {mark}{u.username:<{width}}  {demo.PASSWORD}  {u.role:<12}  {u.scope}")
        if result.users_kept:
            # An existing account may be real or changed since: its password is not ours to reset.
            out("  * existed already and was left as it was; its password may differ.")
        out("The reporter can also log in with the enterprise's USCC.")
