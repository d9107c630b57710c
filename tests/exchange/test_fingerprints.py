"""The lookup fingerprints a decision record keeps (enumeration detection) hold no clear value,
not even one a caller puts where a column or operator name goes."""

from __future__ import annotations

from types import SimpleNamespace

from hub.exchange import fingerprints

SECRET = b"s" * 32
ID_NUMBER = "330106198001010011"


def test_values_and_free_text_names_are_keyed_digests() -> None:
    query = SimpleNamespace(filters=[f"recipient_id_number:eq:{ID_NUMBER}", f"{ID_NUMBER}:eq:1",
                                     f"payment_id:{ID_NUMBER}:2"], match=[])
    found = fingerprints.details(SECRET, query)["lookups"]
    assert len(found) == 3
    assert all(ID_NUMBER not in item for item in found)
    assert found[0].startswith("recipient_id_number:eq:")  # real names stay readable for the officer
    assert found[1].startswith("~") and found[2].split(":")[1].startswith("~")
    again = fingerprints.details(SECRET, query)["lookups"]
    assert again == found  # equal requests, equal fingerprints: the detector counts distinct values
