"""Publish-time redaction: placeholders, nulls, the process pool, the Arrow helper."""

from __future__ import annotations

import random

import pyarrow as pa

from catalog import redact
from tests.catalog import _identifiers as ids

RNG = random.Random(3)


def test_entities_become_placeholders() -> None:
    idn, phone = ids.resident_id(RNG), ids.mobile(RNG)
    text = f"支付物业费，收款联系人王秀英（身份证号{idn}），电话{phone}"
    out = redact.redact_text(text)
    assert out == "支付物业费，收款联系人<PERSON>（身份证号<CN_RESIDENT_ID>），电话<CN_MOBILE>"


def test_texts_without_pii_and_nulls_are_unchanged() -> None:
    assert redact.redact_texts(["办公设备采购款", None, ""]) == ["办公设备采购款", None, ""]


def test_pool_matches_in_process(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    texts = [f"第{i}期进度款，经办人张伟，电话{ids.mobile(RNG)}" for i in range(60)] + [None]
    monkeypatch.setattr(redact, "IN_PROCESS_BELOW", 10)
    monkeypatch.setattr(redact, "CHUNK", 16)
    pooled = redact.redact_texts(texts, workers=2)
    assert pooled == redact.redact_texts(texts, workers=1)
    assert pooled[0] == "第0期进度款，经办人<PERSON>，电话<CN_MOBILE>" and pooled[-1] is None


def test_arrow_column() -> None:
    card = ids.bank_card(RNG)
    column = pa.chunked_array([["卡号" + card, None], ["无个人信息"]])
    assert redact.redact_column(column, workers=1).to_pylist() == ["卡号<CN_BANK_CARD>", None, "无个人信息"]
