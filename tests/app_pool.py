"""Apps for tests, reused between tests that each bring their own product.

``create_app`` costs more than seeding a product (Litestar resolves the signature of every
handler: ~0.15 s against ~0.05 s), so a tier that builds one app per test spends most of its
time there. An app holds no product state of its own: its handlers find the container on
``app.state`` at each request, and a portal session lives in the app's ``sessions`` store.
``serving`` therefore hands out an idle app built for the same shape of container, with the
new container in its state and a new, empty session store. Everything a test can write (the
container's stores, the sessions, the client's cookies, the engine started by the lifespan)
is new for each test; only the route table and its configuration are shared.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterator
from contextlib import contextmanager

from litestar import Litestar
from litestar.stores.memory import MemoryStore

from ursa.adapters.memory.objects import InMemoryObjectStore
from ursa.app.container import Container
from ursa.app.factory import create_app
from ursa.app.sessions import SESSION_STORE

_IDLE: defaultdict[Hashable, list[Litestar]] = defaultdict(list)


def _shape(container: Container) -> Hashable:
    """Everything ``create_app`` reads from a container to build the app (its settings, the
    password sign-in and the twin's object URLs it mounts): apps of one shape are alike."""
    in_memory_objects = isinstance(container.objects, InMemoryObjectStore)
    return container.settings, container.passwords is not None, in_memory_objects


@contextmanager
def serving(container: Container) -> Iterator[Litestar]:
    """An app serving ``container`` (enter it with a ``TestClient`` to start its lifespan);
    it is not handed out again until this block ends, and never again if the block fails."""
    if container.settings.session_store != "memory":  # a Redis store is not ours to empty
        yield create_app(container)
        return
    idle = _IDLE[_shape(container)]
    app = idle.pop() if idle else create_app(container)
    app.state.container = container
    app.stores.register(SESSION_STORE, MemoryStore(), allow_override=True)
    yield app
    idle.append(app)
