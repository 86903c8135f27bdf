"""The tenancy matrix's world: the seeded product, six callers and one subject workset.

The subject is a workset owned by an Acme ``customer_user`` (the owner). The callers:
nobody (anonymous), the owner, Acme's ``customer_admin``, a colleague (a second Acme
``customer_user``, added here because the seed has only one), Globex's ``customer_admin``
(the other tenant) and the ``provider_admin``. The API is called with each caller's API
token; every other route with the caller's portal session (dev sign-in, or email + password
in a world opened with ``passwords``), as a browser would.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import re
from collections.abc import Coroutine, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from joserfc.jwk import RSAKey
from litestar.testing import TestClient

from app_pool import serving
from ursa.adapters.memory.identity import InMemoryIdentity
from ursa.adapters.memory.identity_keys import LocalSigningKeys, PasswordHasher, new_signing_key
from ursa.adapters.memory.objects import InMemoryObjectStore
from ursa.adapters.memory.seed import seed_demo
from ursa.adapters.memory.seed_data import GIB, HEADER, LINKS
from ursa.adapters.simulated.cluster import SIM_CLUSTER
from ursa.app.container import Container, build_in_memory
from ursa.app.engine_settings import EngineSettings
from ursa.app.settings import Environment, Settings
from ursa.domain.customers import User, hash_token
from ursa.domain.linked_buckets import linked_bucket_id
from ursa.domain.ports import WorksetQuery
from ursa.domain.principals import Role
from ursa.domain.saved_manifests import SavedManifest
from ursa.domain.services.auth import issue_token
from ursa.domain.worksets import Workset

ANONYMOUS = "anonymous"
OWNER = "owner"
CUSTOMER_ADMIN = "customer_admin"
COLLEAGUE = "colleague"
OTHER_TENANT = "other_tenant"
PROVIDER_ADMIN = "provider_admin"
PRINCIPALS = (ANONYMOUS, OWNER, CUSTOMER_ADMIN, COLLEAGUE, OTHER_TENANT, PROVIDER_ADMIN)

EMAILS: Mapping[str, str] = {
    OWNER: "sam@acme.example",  # customer_user of Acme
    CUSTOMER_ADMIN: "ada@acme.example",  # customer_admin of Acme
    COLLEAGUE: "cal@acme.example",  # customer_user of Acme, added by this world
    OTHER_TENANT: "gil@globex.example",  # customer_admin of Globex
    PROVIDER_ADMIN: "admin@ursa.example",
}
SUBJECT = "Truncated upload"
"""Sam's workset in ``error``: cancellable, and a state the engine leaves alone."""
SEES_SUBJECT = frozenset({OWNER, CUSTOMER_ADMIN, PROVIDER_ADMIN})
SUBJECT_MANIFEST = "NA12878 trio template"
"""The owner's saved manifest in Acme's library (seeded); shared with the whole customer."""

SIGN_IN = "/sign-in"
CSRF_COOKIE = "csrftoken"
HTMX = {"HX-Request": "true"}
UNLIMITED = "100000/minute"  # rate limits are not what the matrix is about
PASSWORD = "Matrix-Pass-1"  # every caller's password in a ``passwords`` world
T = TypeVar("T")
_PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")


def _settings(*, engine: bool) -> Settings:
    return Settings(
        env=Environment.TEST,
        engine=EngineSettings(enabled=engine),
        rate_limit_auth=UNLIMITED,
        rate_limit_read=UNLIMITED,
        rate_limit_write=UNLIMITED,
        rate_limit_admin=UNLIMITED,
    )


def route_table_container(*, dev_sign_in: bool, passwords: bool = False) -> Container:
    """A container for reading the route table only (nothing is seeded or started);
    ``passwords`` configures email + password sign-in (production's shape)."""
    container = build_in_memory(Settings(env=Environment.TEST, dev_sign_in=dev_sign_in))
    return replace(container, passwords=_identity(container)) if passwords else container


@functools.cache
def _signing_key() -> RSAKey:
    return new_signing_key()  # slow: one per test session


def _identity(container: Container) -> InMemoryIdentity:
    keys, hasher = LocalSigningKeys(_signing_key()), PasswordHasher(n=2**8)
    return InMemoryIdentity(clock=container.ports.clock, keys=keys, hasher=hasher)


async def _password_users(container: Container, identity: InMemoryIdentity) -> None:
    """Every caller in the identity provider, with ``PASSWORD``."""
    for email in EMAILS.values():
        user = await container.ports.directory.user_by_email(email)
        await identity.create_user(
            email, customer_id=user.customer_id, role=user.role, temporary_password=PASSWORD
        )
        await identity.set_password(email, PASSWORD, permanent=True)


async def _seed(container: Container, now: datetime) -> dict[str, str]:
    """The demo world plus the colleague; returns an API token per caller."""
    assert container.objects is not None
    by_email = await seed_demo(container.ports, container.objects, now)
    owner = await container.ports.directory.user_by_email(EMAILS[OWNER])
    digest = hashlib.sha256(EMAILS[COLLEAGUE].encode()).hexdigest()
    colleague = User(
        user_id=f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}",
        email=EMAILS[COLLEAGUE],
        display_name="Cal Colleague",
        role=Role.CUSTOMER_USER,
        customer_id=owner.customer_id,
        created_at=now - timedelta(days=30),
    )
    await container.ports.directory.put_user(colleague)
    by_email[colleague.email], _ = await issue_token(container.ports, colleague, name="matrix")
    return {principal: by_email[email] for principal, email in EMAILS.items()}


@dataclass
class World:
    client: TestClient[Any]
    container: Container
    tokens: dict[str, str]
    subject: Workset
    _jars: dict[str, httpx.Cookies] = field(default_factory=dict)

    # -- the product's state -------------------------------------------------------------------

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Read or write the in-memory adapters directly (they are thread-safe)."""
        return asyncio.run(coroutine)

    def stored(self, workset_id: str | None = None) -> Workset:
        return self.run(self.container.ports.worksets.get(workset_id or self.subject.workset_id))

    def all_worksets(self) -> dict[str, Workset]:
        page = self.run(
            self.container.ports.worksets.list(WorksetQuery(include_archived=True, limit=100))
        )
        return {ws.workset_id: ws for ws in page.items}

    @property
    def subject_manifest(self) -> SavedManifest:
        page = self.run(self.container.ports.manifests.list(self.subject.customer_id, limit=100))
        (found,) = [m for m in page.items if m.name == SUBJECT_MANIFEST]
        return found

    @property
    def owner_token_id(self) -> str:
        """The id of the API token the owner calls the API with."""
        token = self.run(self.container.ports.tokens.by_hash(hash_token(self.tokens[OWNER])))
        return token.token_id

    def user_id(self, principal: str) -> str:
        return self.run(self.container.ports.directory.user_by_email(EMAILS[principal])).user_id

    @property
    def objects(self) -> InMemoryObjectStore:
        assert isinstance(self.container.objects, InMemoryObjectStore)
        return self.container.objects

    @property
    def params(self) -> dict[str, str]:
        """Values for the path parameters of every route template."""
        bucket, _, key = self.subject.input_pins[0].uri.removeprefix("s3://").partition("/")
        return {
            "workset_id": self.subject.workset_id,
            "region": self.container.settings.aws_region,
            "name": SIM_CLUSTER,
            "bucket": bucket,
            "key": key,
            "manifest_id": self.subject_manifest.manifest_id,
            "customer_id": self.subject.customer_id,
            "user_id": self.user_id(OWNER),
            "token_id": self.owner_token_id,
            "bucket_id": linked_bucket_id(self.subject.customer_id, LINKS[0].bucket),
        }

    def url(self, template: str) -> str:
        """A route template (``/worksets/{workset_id:str}``) with the subject's values."""
        params = self.params
        return _PARAM.sub(lambda m: quote(params[m.group(1)], safe="/"), template)

    def manifest(self, tag: str) -> str:
        """A one-sample manifest whose FASTQs exist in the subject's (Acme's) bucket."""
        bucket = self.params["bucket"]
        keys = [f"sequencing/matrix/{tag}_S1_L001_R{read}_001.fastq.gz" for read in (1, 2)]
        for key in keys:
            self.objects.seed_object(bucket, key, GIB)
        row = [
            "RUN1",
            f"MX-{tag}",
            "EXP1",
            "blood",
            "noampwgs",
            "ILMN",
            "NOVASEQX",
            "0",
            "S1",
            "",
            *(f"s3://{bucket}/{key}" for key in keys),
            "stage_data",
            "/fsx/staged_sample_data/",
            "na",
            "false",
            "false",
            "2",
            "0",
            "",
        ]
        return f"{HEADER}\n" + "\t".join(row) + "\n"

    # -- calling it ---------------------------------------------------------------------------

    def _fresh_jar(self) -> httpx.Cookies:
        """Only the CSRF cookie: what a browser holds after its first page."""
        self.client.cookies = httpx.Cookies()
        self.client.get(SIGN_IN)
        assert self.client.cookies.get(CSRF_COOKIE)
        return httpx.Cookies(self.client.cookies)

    def jar(self, principal: str) -> httpx.Cookies:
        """The caller's browser cookies: signed in through the dev sign-in, or with email and
        password in a world opened with ``passwords`` (once per world)."""
        if principal not in self._jars:
            jar = self._fresh_jar()
            if principal != ANONYMOUS:
                who = (
                    {"email": EMAILS[principal], "password": PASSWORD}
                    if self.container.passwords is not None
                    else {"user_id": self.user_id(principal)}
                )
                form = {**who, "_csrf_token": jar[CSRF_COOKIE]}
                signed_in = self.client.post(SIGN_IN, data=form)
                assert signed_in.status_code == 303, signed_in.text
                jar = httpx.Cookies(self.client.cookies)
            self._jars[principal] = jar
        return httpx.Cookies(self._jars[principal])

    def csrf(self, principal: str) -> str:
        token = self.jar(principal)[CSRF_COOKIE]
        assert token
        return token

    def call(
        self,
        principal: str,
        method: str,
        url: str,
        *,
        htmx: bool = False,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        form: Mapping[str, str] | None = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """One request as ``principal``: a bearer token on the API, the portal session
        elsewhere. Portal form posts carry the session's CSRF token."""
        sent = dict(headers or {})
        if url.startswith("/api/"):
            self.client.cookies = httpx.Cookies()
            if principal != ANONYMOUS:
                sent["Authorization"] = f"Bearer {self.tokens[principal]}"
        else:
            self.client.cookies = self.jar(principal)
        if htmx:
            sent.update(HTMX)
        data = None
        if form is not None:
            data = {**form, "_csrf_token": self.csrf(principal)}
        return self.client.request(
            method, url, params=params, headers=sent, json=json, data=data, content=content
        )


@contextmanager
def open_world(*, engine: bool, passwords: bool = False) -> Iterator[World]:
    """A freshly seeded product; ``engine`` runs the simulated engine in the background
    (the cluster routes need its control plane); ``passwords`` is production's sign-in:
    email + password for every caller, no dev picker. The app may be one an earlier world
    used (``app_pool``); the product, its sessions and the cookies are this world's own."""
    container = build_in_memory(replace(_settings(engine=engine), dev_sign_in=not passwords))
    tokens = asyncio.run(_seed(container, datetime.now(UTC)))
    if passwords:
        identity = _identity(container)
        asyncio.run(_password_users(container, identity))
        container = replace(container, passwords=identity)
    page = asyncio.run(container.ports.worksets.list(WorksetQuery(text=SUBJECT, limit=100)))
    (subject,) = [ws for ws in page.items if ws.name == SUBJECT]
    with serving(container) as app, TestClient(app) as client:
        client.follow_redirects = False
        yield World(client=client, container=container, tokens=tokens, subject=subject)
