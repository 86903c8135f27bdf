"""The apps ``app_pool`` reuses keep tests apart: what one world wrote (its product, its portal
sessions) is gone in the next world served by the same app, and an open world never lends
its app."""

from __future__ import annotations

from tenancy_world import OWNER, SIGN_IN, open_world

from ursa.domain.enums import WorksetState

WORKSET = "/api/v1/worksets/{workset_id:str}"


def test_the_next_world_on_the_same_app_sees_nothing_of_the_last() -> None:
    with open_world(engine=False) as first:
        app = first.client.app
        canceled = first.call(
            OWNER, "POST", first.url(f"{WORKSET}/cancel"), json={"reason": "pool"}
        )
        assert canceled.status_code == 200, canceled.text
        assert first.stored().state is WorksetState.CANCELED
        signed_in = first.jar(OWNER)
        first.client.cookies = signed_in
        assert first.client.get("/worksets").status_code == 200
    with open_world(engine=False) as second:
        assert second.client.app is app, "the pool built a new app: nothing was reused"
        assert second.stored().state is WorksetState.ERROR
        shown = second.call(OWNER, "GET", second.url(WORKSET))  # served from this product
        assert shown.status_code == 200 and shown.json()["state"] == "error", shown.text
        second.client.cookies = signed_in  # the first world's session: unknown here
        again = second.client.get("/worksets")
        assert (again.status_code, again.headers.get("location")) == (303, SIGN_IN)


def test_an_open_world_never_lends_its_app() -> None:
    with open_world(engine=False) as outer, open_world(engine=False) as inner:
        assert inner.client.app is not outer.client.app
        assert inner.container is not outer.container
        assert outer.client.app.state.container is outer.container
        assert inner.client.app.state.container is inner.container
