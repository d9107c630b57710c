"""``hub demo``: the whole hub on the embedded default, end to end, in one command.

Seeds the sandbox (if absent), runs the pipeline, enrols the officers (it makes
and holds their keys: the first two by the one-time bootstrap, the third signed by
both), registers two partners and grants approved by two officers' signed
statements (idempotently), starts the exchange API,
shows side by side what each partner receives of the same rows through the real
HTTP path, prints ready-to-run commands and a one-time officer console link for
``security-1``, and keeps serving (unless ``--no-serve``).
Everything here goes through the public contracts: CLI functions, the workflow,
and HTTP.
"""

from __future__ import annotations

import signal
import socket
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from hub.settings import Settings, get_settings

SCALE = 2000
PARTNERS = {  # id: (clearance, jurisdiction, purposes, name)
    "hz-xihu-jw": (3, "330106", ["case-verification", "clue-review"], "杭州市西湖区纪委监委"),
    "zj-province-platform": (2, "330000", ["case-verification", "statistics-analysis"], "浙江省数据共享平台"),
}
OFFICERS: dict[str, tuple[str, str | None]] = {  # the first two bootstrap, the third is enrolled by them
    "finance-owner": ("owner", "finance"), "security-1": ("security", None), "security-2": ("security", None)}
APPROVERS = ("finance-owner", "security-1")
GRANTS = [  # partner, dataset, purpose, clear columns
    ("hz-xihu-jw", "finance.subsidy_payment", "case-verification", ("recipient_name",)),
    ("zj-province-platform", "finance.subsidy_payment", "case-verification", ()),
    ("hz-xihu-jw", "clues.payroll_subsidy_conflict", "case-verification", ()),
]
SHOWN = ["payment_id", "recipient_name", "recipient_id_number", "recipient_phone", "township_code", "amount"]


def _seed(settings: Settings, console: Console, scale: int) -> None:
    from hub.sandbox import is_sandbox, seed

    if is_sandbox(settings.sandbox_dir):
        console.print(f"sandbox: reusing {settings.sandbox_dir}")
        return
    console.print(f"sandbox: seeding {settings.sandbox_dir} (scale {scale}) …")
    manifest = seed(settings.sandbox_dir, seed=42, scale=scale)
    console.print(f"sandbox: {sum(manifest.tables.values()):,} source rows, "
                  f"{sum(manifest.clues.values())} planted and incidental clues")


DEMO_PASSPHRASE = b"huitong-demo"


def _officer_signers(settings: Settings) -> dict[str, Any]:
    """The demo officers' keys: made here on the first run, passphrase-protected, under
    ``HUB_HOME/officers``.  A demo may hold them; a real officer's key never leaves the officer."""
    from hub.signers import load_key_file, write_key_file

    folder = settings.home / "officers"
    signers: dict[str, Any] = {}
    for oid in OFFICERS:
        path = folder / f"{oid}.key"
        signers[oid] = (load_key_file(path, DEMO_PASSPHRASE) if path.exists()
                        else write_key_file(path, DEMO_PASSPHRASE))
    return signers


def _enrol_officers(settings: Settings, store: Any, sink: Any, console: Console) -> dict[str, Any]:
    """Bootstrap the first two demo officers, enrol the third with their two signatures."""
    from hub import officers, statements
    from hub.hubid import hub_id
    from hub.store.models import Officer

    signers = _officer_signers(settings)
    first, second, third = OFFICERS
    for oid in (first, second):
        with store.session() as s:
            if s.get(Officer, oid) is None:
                role, owner_of = OFFICERS[oid]
                key = signers[oid]
                terms = statements.enrolment_terms(oid, role, owner_of, key.kid, key.algorithm,
                                                   key.public_pem().decode())
                officers.bootstrap(s, sink, oid, role=role, owner_of=owner_of, public_pem=key.public_pem(),
                                   statement=statements.sign(key, oid, "bootstrap", f"officer:{oid}", terms,
                                                             audience=hub_id(s)))
    for by in (first, second):
        with store.session() as s:
            if s.get(Officer, third) is None:
                role, owner_of = OFFICERS[third]
                new = signers[third]
                terms = statements.enrolment_terms(third, role, owner_of, new.kid, new.algorithm,
                                                   new.public_pem().decode())
                officers.enrol(s, sink, third, role=role, owner_of=owner_of, public_pem=new.public_pem(),
                               statement=statements.sign(signers[by], by, "enrol", f"officer:{third}", terms,
                                                         audience=hub_id(s)))
    with store.session() as s:
        for oid, key in signers.items():
            if officers.officer_of_key(s, key.kid) != oid:
                raise RuntimeError(f"demo officer `{oid}` is registered with another key than "
                                   f"{settings.home / 'officers' / (oid + '.key')}: start from an empty HUB_HOME")
    console.print(f"officers: {first} and {second} enrolled by the one-time bootstrap, {third} by their two "
                  f"signatures. The demo made and holds their keys in {settings.home / 'officers'} "
                  f"(passphrase `{DEMO_PASSPHRASE.decode()}`); a real officer's private key never leaves them.")
    return signers


def _register(settings: Settings, store: Any, sink: Any, console: Console) -> dict[str, Path]:
    from hub.identity import register_partner, write_private_key
    from hub.store.models import Partner

    keys: dict[str, Path] = {}
    clients = settings.home / "clients"
    with store.session() as s:
        for pid, (clearance, region, purposes, name) in PARTNERS.items():
            keys[f"partner:{pid}"] = clients / f"partner:{pid}.pem"
            if s.get(Partner, pid) is None:
                reg = register_partner(s, sink, pid, clearance=clearance, jurisdiction=region,
                                       purposes=purposes, name=name)
                write_private_key(keys[f"partner:{pid}"], reg.private_pem or b"")
    console.print(f"partners: {', '.join(PARTNERS)} (private keys in {clients})")
    return keys


def _grant(store: Any, sink: Any, signers: dict[str, Any], console: Console) -> None:
    from catalog.listing import columns
    from hub import statements, workflow
    from hub.hubid import hub_id
    from hub.store.models import Grant

    now = datetime.now(UTC)
    for partner, dataset, purpose, clear in GRANTS:
        with store.session() as s:
            held = s.scalars(select(Grant).where(Grant.partner_id == partner, Grant.dataset_id == dataset,
                                                 Grant.revoked_at.is_(None), Grant.valid_until > now)).first()
            if held is not None:
                continue
            cols = [c.name for c in columns(s, dataset)]
            app = workflow.apply(s, sink, workflow.ApplicationRequest(
                partner=partner, dataset=dataset, purpose=purpose, columns=cols, valid_from=now,
                valid_until=now + timedelta(days=90), max_rows_per_day=100_000, clear_columns=clear,
                justification="演示：案件核查所需（demo）"))
            app_id = app.id
        for officer in APPROVERS:
            with store.session() as s:
                terms = statements.application_terms(workflow.get_application(s, app_id))
                statement = statements.sign(signers[officer], officer, "approve", f"application:{app_id}", terms,
                                            audience=hub_id(s), note="demo approval")
                workflow.decide(s, sink, app_id, statement)
        console.print(f"grant: {partner} → {dataset} ({purpose}), approved by {' + '.join(APPROVERS)}, "
                      "each with a signed statement")


def _bind(port: int) -> socket.socket:
    """A loopback socket bound to ``port`` (0: any free port; read it back from the socket)."""
    sock = socket.socket()
    try:
        sock.bind(("127.0.0.1", port))
    except OSError as exc:
        sock.close()
        raise RuntimeError(f"the exchange API cannot listen on port {port}: {exc.strerror}") from None
    return sock


class _Server:
    """uvicorn in a background thread on an already bound socket (stopped by ``stop``)."""

    def __init__(self, app: Any, sock: socket.socket) -> None:
        import uvicorn

        from hub.api.server import server_config

        self.sock = sock
        host, port = sock.getsockname()[:2]
        self.server = uvicorn.Server(server_config(app, get_settings(), host=host, port=port,
                                                   log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]}, daemon=True)

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the exchange API did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()


def serve_until_stopped(server: _Server) -> None:
    """Wait while ``server`` serves; SIGTERM (a service manager, ``kill``) and Ctrl-C stop it as
    ``hub serve`` stops: in-flight requests finish and the caller closes the audit log.

    uvicorn installs its signal handlers only when it runs in the main thread; here it
    runs in a background thread, so without this a SIGTERM ended the process on the spot,
    before the audit log was closed.  A second signal stops without waiting for requests
    in flight, as uvicorn does.  Called from the main thread (the ``hub demo`` command).
    """
    def stop(signum: int, frame: object) -> None:
        if server.server.should_exit:  # a second signal: do not wait for requests in flight (as uvicorn)
            server.server.force_exit = True
        server.server.should_exit = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        while server.thread.is_alive():
            server.thread.join(timeout=0.5)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _token(base: str, cid: str, key_path: Path) -> str:
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    from hub.tokens import client_assertion

    key = load_pem_private_key(key_path.read_bytes(), password=None)
    assertion = client_assertion(key, cid, f"{base}/oauth/token")
    r = httpx.post(f"{base}/oauth/token", data={
        "grant_type": "client_credentials", "client_assertion": assertion,
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, timeout=30)
    r.raise_for_status()
    return str(r.json()["access_token"])


def _side_by_side(base: str, keys: dict[str, Path], console: Console) -> None:
    views: dict[str, dict[int, dict[str, Any]]] = {}
    for pid in PARTNERS:
        token = _token(base, f"partner:{pid}", keys[f"partner:{pid}"])
        r = httpx.get(f"{base}/v1/datasets/finance.subsidy_payment/rows", timeout=60,
                      headers={"Authorization": f"Bearer {token}"},
                      params={"purpose": "case-verification", "limit": 5, "format": "json",
                              "filter": "township_code:prefix:330106"})
        if r.status_code != 200:
            console.print(f"[red]{pid}: HTTP {r.status_code}[/red] {r.text[:300]}")
            return
        views[pid] = {row["payment_id"]: row for row in r.json()["rows"]}
    common = sorted(set.intersection(*(set(v) for v in views.values())))[:3]
    for payment in common:
        table = Table("column", *PARTNERS, title=f"finance.subsidy_payment, payment_id {payment}")
        for col in SHOWN:
            table.add_row(col, *(str(views[p][payment].get(col, "—(not released)")) for p in PARTNERS))
        console.print(table)


CONSOLE_OFFICER = "security-1"


def _console_link(settings: Settings, store: Any, sink: Any, signers: dict[str, Any], base: str,
                  console: Console) -> str:
    """A one-time console login link for ``security-1``, issued to a login statement signed with
    its key (which the demo holds), as ``hub console login --key`` would."""
    from hub.console import links
    from hub.hubid import hub_id

    with store.session() as s:
        link = links.issue(s, sink, links.sign_login(signers[CONSOLE_OFFICER], CONSOLE_OFFICER, hub_id(s)),
                           secret=links.console_secret(settings.keys_dir), base_url=base)
    console.print(f"\n[bold]Officer console[/bold] (监督管理台) for {CONSOLE_OFFICER}: open within 5 minutes, once:\n"
                  f"  {link.url}\n  (a new link: HUB_OFFICER_PASSPHRASE={DEMO_PASSPHRASE.decode()} hub console login "
                  f"--key {settings.home / 'officers' / (CONSOLE_OFFICER + '.key')} --url {base})",
                  soft_wrap=True, highlight=False)
    return link.url


def _instructions(base: str, key: Path, console: Console) -> None:
    console.print(f"""
Try it as the partner hz-xihu-jw (the exchange API is at {base}; OpenAPI at {base}/docs):
  export HUB_CLIENT_URL={base} HUB_CLIENT_ID=partner:hz-xihu-jw HUB_CLIENT_KEY='{key}'
  hub client token                    # an access token (private_key_jwt assertion signed with the key)
  hub client rows finance.subsidy_payment --purpose case-verification --out subsidy.parquet --format parquet
  hub client verify-receipt subsidy.parquet.receipts   # every page's receipt, against the hub's audit keys
  curl -si -H "Authorization: Bearer $(hub client token)" \\
    "{base}/v1/datasets/finance.subsidy_payment/rows?purpose=case-verification&limit=3"
The same integration in curl + openssl only, and in Python (hub.client): docs/partners.md.
Other things to look at: `hub catalog list`, `hub query clues.split_procurement`,
`hub application list`, `hub grant list`, `hub officer list`, `hub audit verify`, `hub audit tail`
(every list takes --json), `hub ui` (Dagster). Officers sign what they do with their own keys
(docs/officers.md), e.g.
  HUB_OFFICER_PASSPHRASE={DEMO_PASSPHRASE.decode()} hub grant revoke GRANT --reason "demo" \\
    --key {key.parent.parent / 'officers' / 'security-2.key'}""",
                  soft_wrap=True, highlight=False, markup=False)


def run_demo(serve: bool = True, port: int = 8000, console: Console | None = None,
             scale: int | None = None) -> None:
    """Run the demo; with ``serve`` keep the API running until interrupted (``scale``: sandbox size)."""
    from hub.api import create_app
    from hub.audit import AuditLog
    from hub.cli.data import _run_with_progress
    from hub.home import private_files
    from hub.store import open_store

    console = console or Console()
    settings = get_settings()
    private_files(settings.home)  # the demo's files are private whatever the caller's umask
    _seed(settings, console, scale or SCALE)
    _run_with_progress(settings.sandbox_dir)
    store = open_store(settings.metadata_url)
    audit = AuditLog.from_settings(store, settings)
    try:
        signers = _enrol_officers(settings, store, audit.sink, console)
        keys = _register(settings, store, audit.sink, console)
        _grant(store, audit.sink, signers, console)
        sock = _bind(port)
        base = f"http://127.0.0.1:{sock.getsockname()[1]}"
        server = _Server(create_app(settings, audit=audit.append, store=store, public_url=base,
                                    awareness=settings.awareness_watch), sock)
        server.start()
        _side_by_side(base, keys, console)
        _instructions(base, keys["partner:hz-xihu-jw"].resolve(), console)
        _console_link(settings, store, audit.sink, signers, base, console)
        if serve:
            console.print(f"\n[bold green]serving on {base}[/bold green] (Ctrl-C to stop)")
            console.print("plain HTTP on 127.0.0.1 only, for this demo: a deployment serves TLS "
                          "(hub serve --tls-cert --tls-key; docs/security.md)")
            serve_until_stopped(server)
            console.print("stopping: requests in flight finish, then the audit log is closed")
        server.stop()
    finally:
        audit.close()
        store.dispose()
