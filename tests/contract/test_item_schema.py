"""Schema evolution of persisted items: old items still decode (new fields take their
defaults) and items written by newer code decode too (unknown fields are ignored)."""

from __future__ import annotations

import json

from builders import make_workset
from ursa.adapters.dynamodb.items import dump_doc, from_item, load_doc, to_item
from ursa.adapters.dynamodb.workset_items import WorksetItem, workset_item
from ursa.domain.enums import WorksetState
from ursa.domain.worksets import Workset


def test_an_item_round_trips_exactly() -> None:
    ws = make_workset()
    item = to_item(workset_item(ws))
    assert item["pk"] == {"S": f"WS#{ws.workset_id}"} and item["version"] == {"N": "1"}
    assert "gsi5pk" in item and load_doc(from_item(item, WorksetItem).doc, Workset) == ws


def test_absent_attributes_keep_sparse_indexes_sparse() -> None:
    held = make_workset(state=WorksetState.ON_HOLD)
    item = to_item(workset_item(held))
    assert "gsi5pk" not in item and "gsi5sk" not in item and "lease_owner" not in item


def test_an_older_document_without_newer_fields_still_decodes() -> None:
    doc = json.loads(dump_doc(make_workset()))
    for newer in ("mirrored_version", "retry_overrides", "cost_cap", "history_seq"):
        doc.pop(newer, None)
    old = load_doc(json.dumps(doc), Workset)
    assert old.mirrored_version == 0 and old.retry_overrides == () and old.cost_cap is None


def test_a_newer_item_with_unknown_fields_still_decodes() -> None:
    item = to_item(workset_item(make_workset()))
    doc = json.loads(item["doc"]["S"])
    doc["field_from_the_future"] = {"x": 1}
    item["doc"] = {"S": json.dumps(doc)}
    item["attribute_from_the_future"] = {"S": "ignored"}
    assert load_doc(from_item(item, WorksetItem).doc, Workset) == make_workset()
