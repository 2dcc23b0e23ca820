"""The `mapper` command: parses arguments, calls the engine, prints. No mapping logic lives here.

Exit codes (DESIGN.md): 0 done; 1 orders turned away by checks; 2 bad usage or bad input, with
a one-line message and never a traceback; 3 an external system could not be reached or refused
the credentials (one line per shop and system; the other shops still ran). When one run has
both, 3 wins over 1: a failed system is what the operator must fix first, and the orders it
turned away are in the Errors list all the same.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from .engine.errors import MapperError, MappingError, UsageError
from .engine.lazy import Lazy

if TYPE_CHECKING:
    from .commands.progress import PassDisplay
    from .engine.notify.digest import ShopDelivery
    from .engine.sync.pipeline import PassReport

# Imported on demand (engine/lazy.py): `mapper --help` loads no ledger, schema validator,
# HTTP client or simulator; each command imports what it uses when it runs.
_P = __package__
connector = Lazy(".connectors.registry", "connector", _P)
names = Lazy(".connectors.registry", "names", _P)
Faults = Lazy(".connectors.simulation", "Faults", _P)
InputProblem: Any = Lazy(".engine.documents", "InputProblem", _P)
read_documents = Lazy(".engine.documents", "read_documents", _P)
Ledger = Lazy(".engine.ledger", "Ledger", _P)
Pair = Lazy(".engine.mapping", "Pair", _P)
Skipped: Any = Lazy(".engine.mapping", "Skipped", _P)
Payload: Any = Lazy(".engine.mapping", "Payload", _P)
load_rule_set = Lazy(".engine.mapping", "load_rule_set", _P)
split_pair_name = Lazy(".engine.mapping", "split_pair_name", _P)
SCHEMAS_DIR = Lazy(".engine.paths", "SCHEMAS_DIR", _P)
Rejection: Any = Lazy(".engine.rules.compile", "Rejection", _P)
explain_payload = Lazy(".engine.rules.explain", "explain_payload", _P)
run_fixtures = Lazy(".engine.rules.fixtures", "run_fixtures", _P)
load_settings_file = Lazy(".engine.rules.settings", "load_settings_file", _P)
adopt_shop = Lazy(".engine.sync", "adopt_shop", _P)
backfill_shop = Lazy(".engine.sync", "backfill_shop", _P)
recheck_open = Lazy(".engine.sync", "recheck_open", _P)
reprocess_orders = Lazy(".engine.sync", "reprocess_orders", _P)
sync_pass = Lazy(".engine.sync", "sync_pass", _P)
load_config = Lazy(".engine.sync.config", "load_config", _P)
LISTS = Lazy(".engine.sync.lists", "LISTS", _P)
order_lists = Lazy(".engine.sync.lists", "order_lists", _P)
next_recheck = Lazy(".engine.sync.schedule", "next_recheck", _P)
run_schedule = Lazy(".engine.sync.schedule", "run_schedule", _P)
assumed_answers = Lazy(".engine.sync.vies", "assumed_answers", _P)


class _LazyChoice(click.Choice[Any]):
    """A click.Choice whose choices are looked up when first needed (not at import)."""

    def __init__(self, load: Callable[[], Any], case_sensitive: bool = True) -> None:
        # no super().__init__: `choices` is set by __getattr__ the first time it is read
        self._load = load
        self.case_sensitive = case_sensitive

    def __getattr__(self, name: str) -> Any:
        if name != "choices":
            raise AttributeError(name)
        self.choices = tuple(self._load())
        return self.choices


F = TypeVar("F", bound=Callable[..., Any])

EXIT_REJECTED = 1
EXIT_BAD_INPUT = 2
EXIT_SYSTEM = 3


def reports_errors(command: F) -> F:
    """Turn the engine's errors into one line on stderr and the exit code they carry."""

    @wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except MapperError as error:
            click.echo(f"mapper: {error}", err=True)
            sys.exit(error.exit_code)

    return run  # type: ignore[return-value]


@click.group()
@click.version_option(package_name="mapper")
@click.option(
    "-v", "--verbose", count=True, help="Log what happens on stderr (-vv: every retry too)."
)
def main(verbose: int) -> None:
    """Book webshop orders as invoices in accounting systems, driven by rule files."""
    from .commands.logs import configure_logging

    configure_logging(verbose)


@main.command("dry-run")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--mapping", "mapping_name", required=True, help="SHOP-TARGET, e.g. prestashop-yuki.")
@click.option(
    "--settings",
    "settings_file",
    type=click.Path(path_type=Path),
    help="Tenant settings: a YAML section per rule set (prestashop:, yuki:, …).",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["xml", "json"]),
    help="Payload format (default: the target's own).",
)
@click.option(
    "--explain",
    "explain",
    is_flag=False,
    flag_value="*",
    default=None,
    metavar="[FIELD]",
    help="Show the rules of both stages that made each field (or only FIELD, e.g. SalesPrice).",
)
@click.option(
    "--vies",
    "vies_status",
    type=click.Choice(["valid", "invalid", "unverified"]),
    help="Treat ICP orders as a pass checking VAT numbers with VIES would, VIES answering this "
    "for every number (nothing is asked).",
)
@click.option(
    "--vies-unverified",
    type=click.Choice(["wait", "send_with_note"]),
    default="wait",
    show_default=True,
    help="With --vies unverified: keep the order in Open, or send it with a note (the shop's "
    "vies: unverified setting).",
)
@reports_errors
def dry_run(
    file: Path,
    mapping_name: str,
    settings_file: Path | None,
    output_format: str | None,
    explain: str | None,
    vies_status: str | None,
    vies_unverified: str,
) -> None:
    """Map the order documents in FILE without sending anything; print the payloads."""
    # A section naming neither rule set of the pair would be read by nothing: refused.
    sections = split_pair_name(mapping_name)
    settings = load_settings_file(settings_file, sections) if settings_file else {}
    # lean: the shop's rules make only what the target reads (all of it for --explain)
    lean = explain is None
    pair = Pair.load(mapping_name, settings, str(settings_file or "settings"), lean=lean)
    writer = pair.writer(output_format)  # payloads are printed as they are made: streamed
    pair = pair.writing(output_format)  # each payload's text made once, in the printed format
    out = sys.stdout  # whole payloads at a time, buffered (no click.echo per payload)
    vies = assumed_answers(vies_status, vies_unverified) if vies_status else None
    turned_away = bad_input = 0
    for document in read_documents(file):
        if isinstance(document, InputProblem):
            click.echo(f"mapper: {document.where}: {document.message}", err=True)
            bad_input += 1
            continue
        try:
            outcome = pair.map(document)
            if vies is not None and isinstance(outcome, Payload):
                outcome = vies.review(pair.map, document, outcome.order_id, outcome)
        except MappingError as error:
            click.echo(f"mapper: {error}", err=True)
            bad_input += 1
            continue
        if isinstance(outcome, Skipped):
            click.echo(f"order {outcome.order_id} not invoiced (yet): {outcome.reason}", err=True)
            continue
        if isinstance(outcome, Rejection):
            turned_away += 1
            for failure in outcome.failures:
                click.echo(
                    f"order {outcome.order_id} turned away: {failure.check}: {failure.message}",
                    err=True,
                )
                if failure.resolution:
                    click.echo(f"  Resolution: {failure.resolution}", err=True)
            continue
        out.write(writer.write(outcome))
        if explain is not None:
            out.flush()
            field = "" if explain == "*" else explain
            click.echo(explain_payload(pair, outcome, document, field), err=True)
    out.write(writer.end())
    out.flush()
    if bad_input:
        sys.exit(EXIT_BAD_INPUT)
    if turned_away:
        sys.exit(EXIT_REJECTED)


@main.command()
@click.argument("rule_set")
@reports_errors
def validate(rule_set: str) -> None:
    """Check RULE_SET's rule files against the schema, compile every expression and find the
    names nothing defines (each error with its source line and a caret under the place).

    RULE_SET is a shipped rule set's name (yuki, prestashop, …) or a folder written as a path
    (./my-rules, mappings/yuki).
    """
    from .engine.errors import RuleError
    from .engine.rules.validate import validate_rule_set

    try:
        validation = validate_rule_set(load_rule_set(rule_set))
    except RuleError as error:
        click.echo(f"mapper: {error.report()}", err=True)
        sys.exit(error.exit_code)
    for warning in validation.warnings:
        click.echo(f"mapper: warning: {warning}", err=True)
    for problem in validation.problems:
        click.echo(f"mapper: {problem.report()}", err=True)
    if validation.problems:
        click.echo(f"mapper: {len(validation.problems)} error(s) in {rule_set}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    click.echo(validation.summary())


@main.command()
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--check", is_flag=True, help="Only say what would change (exit 1 if anything).")
@reports_errors
def migrate(folder: Path, check: bool) -> None:
    """Rewrite the rule files in FOLDER (a rule set, or a folder of them) written in an older
    rule-file language version to the current one, keeping comments and layout."""
    from .engine.rules.migrate import migrate_folder

    if not folder.is_dir():
        raise UsageError(f"{folder}: no such folder of rule files")
    migrations = migrate_folder(folder, write=not check)
    for migration in migrations:
        click.echo(migration.summary())
        for change in migration.changes:
            click.echo(f"  {change}")
    if check and any(migration.changed for migration in migrations):
        sys.exit(EXIT_REJECTED)


@main.command()
@click.argument("rule_set")
@reports_errors
def test(rule_set: str) -> None:
    """Run RULE_SET's fixtures; show a diff per failing field.

    RULE_SET is a shipped rule set or pair (yuki, prestashop-yuki, …) or a folder written as a
    path (./my-rules).
    """
    report = run_fixtures(rule_set)
    for line in report.lines:
        click.echo(line)
    click.echo(f"{report.passed} passed, {report.failed} failed")
    if report.failed:
        sys.exit(EXIT_REJECTED)


SCHEMAS = {
    "mapping": "mapping.schema.json",
    "canonical-order": "canonical-order.schema.json",
    "config": "config.schema.json",
}


@main.command()
@click.argument("name", type=click.Choice(sorted(SCHEMAS)), default="mapping")
def schema(name: str) -> None:
    """Print a JSON Schema (default: the rule-file language), e.g. for an editor."""
    click.echo((SCHEMAS_DIR / SCHEMAS[name]).read_text(encoding="utf-8"), nl=False)


@main.command()
@click.argument("system", type=_LazyChoice(lambda: names()))
@click.option("--port", default=0, show_default=True, help="Port on 127.0.0.1 (0 = any free).")
@click.option("--latency", default=0.0, show_default=True, help="Seconds added to each answer.")
@click.option("--fault-rate", default=0.0, show_default=True, help="Share of requests that fail.")
@click.option("--seed", default=0, show_default=True, help="Seed of the fault generator.")
def simulate(system: str, port: int, latency: float, fault_rate: float, seed: int) -> None:
    """Serve a local simulator of SYSTEM until interrupted."""
    factory = connector(system).simulator_factory()
    simulator = factory(port=port, latency=latency, faults=Faults(rate=fault_rate, seed=seed))
    simulator.start()
    click.echo(f"{system} simulator listening on {simulator.url}")
    for line in getattr(simulator, "cli_banner", lambda: [])():
        click.echo(line)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        simulator.stop()


CONFIG_OPTION = click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    default=Path("mapper.yaml"),
    show_default=True,
    help="The sync configuration.",
)
SHOP_OPTION = click.option("--shop", help="Only this shop (default: every configured shop).")


@main.command()
@CONFIG_OPTION
@SHOP_OPTION
@reports_errors
def check(config_path: Path, shop: str | None) -> None:
    """The connection step: shop, accounting system and administration, VAT codes (exit 3
    when one fails)."""
    from .commands.check import print_checks
    from .engine.sync.check import check_shops

    failed = print_checks(check_shops(load_config(config_path), shop), click.echo)
    if failed:
        click.echo(f"mapper: check failed for {', '.join(failed)}", err=True)
        sys.exit(EXIT_SYSTEM)


def _print_report(report: PassReport) -> None:
    """A finished job: its summary on stdout; its problems, and the one line of a failed
    system, on stderr."""
    click.echo(report.summary())
    for problem in report.problems:
        click.echo(f"  {problem}", err=True)
    if report.failure is not None:
        click.echo(f"mapper: {report.failure}", err=True)


def _exit_for(reports: list[PassReport]) -> None:
    """3 if a system failed for any shop, else 1 if orders were turned away, else 0."""
    if any(report.failure is not None for report in reports):
        sys.exit(EXIT_SYSTEM)
    if any(report.failed for report in reports):
        sys.exit(EXIT_REJECTED)


def _print_reports(reports: list[PassReport]) -> None:
    for report in reports:
        _print_report(report)
    _exit_for(reports)


def _display(days: int | None = None) -> PassDisplay:
    from .commands.progress import PassDisplay

    return PassDisplay(_print_report, days=days)


@main.command()
@CONFIG_OPTION
@SHOP_OPTION
@reports_errors
def sync(config_path: Path, shop: str | None) -> None:
    """One sync pass for each configured shop (the hourly job)."""
    with _display() as display:
        reports = sync_pass(config_path, shop, progress=display)
    _exit_for(reports)


@main.command()
@CONFIG_OPTION
@SHOP_OPTION
@reports_errors
def recheck(config_path: Path, shop: str | None) -> None:
    """Fetch every open order again and send those whose status now allows (the nightly job)."""
    with _display() as display:
        reports = recheck_open(config_path, shop, progress=display)
    _exit_for(reports)


@main.command()
@CONFIG_OPTION
@SHOP_OPTION
@click.option(
    "--list", "list_name", type=_LazyChoice(lambda: sorted(LISTS)), help="Only this list."
)
@click.option(
    "--limit", type=click.IntRange(min=0), default=50, show_default=True, help="Rows per list."
)
@click.option(
    "--json", "as_json", is_flag=True, help="One JSON document: per shop its counts, and the lists."
)
@reports_errors
def status(
    config_path: Path, shop: str | None, list_name: str | None, limit: int, as_json: bool
) -> None:
    """The Reporting / Errors / Open lists (newest first; each row's order number and id)."""
    from .commands.tables import print_lists

    config = load_config(config_path)
    shops = [config.shop(shop)] if shop else config.shops
    now = datetime.now(UTC)
    next_checks = {entry.name: next_recheck(now, entry.recheck_at) for entry in shops}
    # Read-only: a mistyped ledger path is an error, never a new empty ledger.
    with Ledger.open(config.ledger_url, create=False) as ledger:
        names = [list_name] if list_name else ["reporting", "errors", "open"]
        if as_json:
            from .commands.status_json import dumps, status_document

            click.echo(dumps(status_document(ledger, shops, shop, names, limit, now)))
            return
        print_lists(order_lists(ledger, shop, names, limit, next_checks))


@main.command()
@click.argument("orders", nargs=-1, required=True)
@CONFIG_OPTION
@click.option("--shop", required=True, help="The shop the orders belong to.")
@reports_errors
def reprocess(orders: tuple[str, ...], config_path: Path, shop: str) -> None:
    """Send ORDERS from the Errors list again (the manual's Process button); each is an order
    number or an id, as the lists show them."""
    with _display() as display:
        report = reprocess_orders(config_path, shop, orders, progress=display)
    _exit_for([report])


@main.command()
@CONFIG_OPTION
@click.option("--shop", required=True, help="The shop whose invoices to adopt.")
@click.option("--since", required=True, type=click.DateTime(["%Y-%m-%d"]), help="First day.")
@reports_errors
def adopt(config_path: Path, shop: str, since: datetime) -> None:
    """Record as sent the orders whose invoices the accounting system already holds (a lost
    ledger, or a switch from another connector): run it first, then sync."""
    report = adopt_shop(config_path, shop, since.date())
    _print_reports([report])


@main.command()
@CONFIG_OPTION
@click.option("--shop", required=True, help="The shop whose history to load.")
@click.option("--since", required=True, type=click.DateTime(["%Y-%m-%d"]), help="First day.")
@click.option("--window-days", default=7, show_default=True, help="Days fetched per step.")
@reports_errors
def backfill(config_path: Path, shop: str, since: datetime, window_days: int) -> None:
    """Load the shop's history since a date; resumes where an interrupted run stopped."""
    start = since.date()
    days = max((datetime.now(UTC).date() - start).days, 1)
    with _display(days) as display:
        report = backfill_shop(
            config_path,
            shop,
            start,
            window=timedelta(days=window_days),
            progress=display,
            windows=display.window,
        )
    _exit_for([report])


@main.command()
@CONFIG_OPTION
@reports_errors
def schedule(config_path: Path) -> None:
    """Run the jobs in-process: a sync pass every hour, a re-check every night, per shop."""
    config = load_config(config_path)
    click.echo(f"mapper schedule: {len(config.shops)} shop(s); Ctrl-C to stop")

    def report(result: PassReport) -> None:
        click.echo(f"{datetime.now():%Y-%m-%d %H:%M} {result.summary()}")
        for problem in result.problems:
            click.echo(f"  {problem}", err=True)
        if result.failure is not None:
            click.echo(f"mapper: {result.failure}", err=True)

    try:
        run_schedule(config, report=report)
    except KeyboardInterrupt:
        click.echo("stopped")


# -- the task queue (`queue:` in mapper.yaml): commands/workers.py imports Celery when run ------
@main.command()
@CONFIG_OPTION
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Jobs this worker runs at a time (one process each).",
)
@click.option(
    "--health-port",
    type=click.IntRange(min=0, max=65535),
    help="Serve GET /healthz (liveness) on this port (0: any free one).",
)
@click.option("--health-host", default="127.0.0.1", show_default=True, help="Its address.")
@click.option("--loglevel", default="INFO", show_default=True, help="The worker's log level.")
@reports_errors
def worker(
    config_path: Path,
    concurrency: int,
    health_port: int | None,
    health_host: str,
    loglevel: str,
) -> None:
    """Run the queued jobs (needs `queue:` in the configuration): one pass of one shop each."""
    from .commands.workers import run_worker

    sys.exit(
        run_worker(
            config_path,
            concurrency=concurrency,
            health_host=health_host,
            health_port=health_port,
            loglevel=loglevel,
            echo=click.echo,
        )
    )


@main.command()
@CONFIG_OPTION
@click.option(
    "--schedule-file",
    type=click.Path(path_type=Path),
    default=Path("mapper-beat-schedule"),
    show_default=True,
    help="Where beat remembers when each job last ran.",
)
@click.option("--loglevel", default="INFO", show_default=True, help="Beat's log level.")
@reports_errors
def beat(config_path: Path, schedule_file: Path, loglevel: str) -> None:
    """Queue per shop a sync pass every hour and the nightly re-check (run one beat)."""
    from .commands.workers import run_beat

    try:
        run_beat(config_path, schedule_file=schedule_file, loglevel=loglevel, echo=click.echo)
    except KeyboardInterrupt:
        click.echo("stopped")


@main.command()
@click.argument("job", type=click.Choice(["sync", "recheck", "backfill"]))
@CONFIG_OPTION
@SHOP_OPTION
@click.option(
    "--since", type=click.DateTime(["%Y-%m-%d"]), help="backfill: the first day (required)."
)
@click.option("--window-days", default=7, show_default=True, help="backfill: days per step.")
@reports_errors
def enqueue(
    job: str, config_path: Path, shop: str | None, since: datetime | None, window_days: int
) -> None:
    """Put JOB on the queue for the workers: one task per shop (or only --shop)."""
    from .commands.workers import enqueue_jobs

    if job == "backfill" and since is None:
        raise click.UsageError("backfill needs --since (the first day)")
    day = since.date() if since else None
    for queued in enqueue_jobs(config_path, job, shop, since=day, window_days=window_days):
        click.echo(f"{queued.shop}: {queued.job} queued (task {queued.task_id})")


@main.command()
@click.option("--shop", default="prestashop", show_default=True, help="The shop simulator.")
@click.option("--target", default="yuki", show_default=True, help="The accounting simulator.")
@click.option("--serve", "then_serve", is_flag=True, help="Then serve the demo's dashboard.")
@click.option("--host", default="127.0.0.1", show_default=True, help="With --serve: address.")
@click.option("--port", default=8080, show_default=True, help="With --serve: port.")
@reports_errors
def demo(shop: str, target: str, then_serve: bool, host: str, port: int) -> None:
    """Run mapper end to end on the built-in simulators, from --shop to --target (--serve: then
    show the dashboard on the demo's ledger, with a login printed)."""
    from .commands.demo import run_demo, serve_demo

    if not then_serve:
        run_demo(click.echo, shop=shop, target=target)
        return
    try:
        run_demo(
            click.echo,
            serve=lambda config, ledger, folder: serve_demo(
                config, ledger, folder, host=host, port=port, echo=click.echo
            ),
            shop=shop,
            target=target,
        )
    except KeyboardInterrupt:
        click.echo("stopped")


@main.command()
@CONFIG_OPTION
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, help="Port to listen on.")
@reports_errors
def serve(config_path: Path, host: str, port: int) -> None:
    """The dashboard: Reporting, Errors, Open and Connections per shop, in a browser."""
    from .commands.dashboard import serve as run_server

    config = load_config(config_path)
    with Ledger.open(config.ledger_url) as ledger:
        folder = config_path.resolve().parent
        from .commands.dashboard.serve import reports_folder

        try:
            run_server(
                config,
                ledger,
                reports_folder(config, folder),
                host=host,
                port=port,
                echo=click.echo,
            )
        except KeyboardInterrupt:
            click.echo("stopped")


@main.group()
def users() -> None:
    """The dashboard's accounts."""


@users.command("add")
@click.argument("email")
@CONFIG_OPTION
@click.option("--shop", "shops", multiple=True, help="A shop this person sees (repeatable).")
@click.option("--admin", is_flag=True, help="Sees every shop.")
@reports_errors
def users_add(email: str, config_path: Path, shops: tuple[str, ...], admin: bool) -> None:
    """Add a person (or replace their password and shops); the password is read from the
    terminal, or from stdin when it is not one."""
    from .commands.dashboard.serve import add_user

    config = load_config(config_path)
    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    with Ledger.open(config.ledger_url) as ledger:
        account = add_user(ledger, email, password, shops, admin, config)
    seen = "every shop" if account.admin else ", ".join(account.shops)
    click.echo(f"user {account.email} may log in to the dashboard; sees {seen}")


@main.group()
def notify() -> None:
    """Notifications (`notify:` per shop): the daily digest, a test message."""


def _print_deliveries(results: list[ShopDelivery]) -> None:
    """One line per shop and channel; exit 3 when a channel did not take the message."""
    failed = False
    for result in results:
        for delivered in result.delivered:
            if delivered.ok:
                click.echo(f"{result.shop}: {delivered.channel}: sent")
            else:
                failed = True
                click.echo(
                    f"mapper: shop {result.shop}: {delivered.channel}: {delivered.problem}",
                    err=True,
                )
    if failed:
        sys.exit(EXIT_SYSTEM)


@notify.command("digest")
@CONFIG_OPTION
@click.option("--shop", help="Only this shop (default: every shop with digest: true).")
@reports_errors
def notify_digest(config_path: Path, shop: str | None) -> None:
    """Send the daily digest: each list's count and the Errors list (run it once a day)."""
    from .engine.notify.digest import send_digests

    _print_deliveries(send_digests(load_config(config_path), shop))


@notify.command("test")
@CONFIG_OPTION
@click.option("--shop", required=True, help="The shop whose channels to try.")
@reports_errors
def notify_test(config_path: Path, shop: str) -> None:
    """Send a test message through the shop's e-mail and webhook."""
    from .engine.notify.digest import send_test

    _print_deliveries([send_test(load_config(config_path), shop)])
