"""DCAT (JSON-LD) export of the catalog, so other platforms can harvest it.

Uses the W3C DCAT 2 vocabulary with Dublin Core terms; Chinese and English
titles are language-tagged literals.  Only metadata leaves: never data, never
source connection details.
"""

from __future__ import annotations

from typing import Any

from catalog import levels
from hub.store.models import Dataset, DatasetColumn

CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "hub": "urn:huitong:vocab#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}


def _literal(text: str, lang: str) -> dict[str, str]:
    return {"@value": text, "@language": lang}


def dataset_node(ds: Dataset, columns: list[DatasetColumn], level: int, sharing: str,
                 base_url: str) -> dict[str, Any]:
    """One ``dcat:Dataset`` node."""
    node: dict[str, Any] = {
        "@id": f"{base_url}/v1/catalog/{ds.id}",
        "@type": "dcat:Dataset",
        "dct:identifier": ds.id,
        "dct:title": [_literal(ds.name_zh or ds.id, "zh"), _literal(ds.name_en or ds.id, "en")],
        "dct:description": ds.summary,
        "dct:publisher": ds.provider,
        "dct:accrualPeriodicity": ds.update_cycle,
        "hub:resourceCode": ds.resource_code,
        "hub:level": level,
        "hub:levelName": levels.LEVEL_NAMES.get(level, ""),
        "hub:sharingType": sharing,
        "hub:sharingTypeName": levels.SHARING_NAMES.get(sharing, ""),
        "hub:sharingConditions": ds.sharing_conditions,
        "hub:openAttribute": ds.open_attribute,
        "hub:jurisdictionColumn": ds.region_column,
        "hub:informationItems": [
            {"hub:name": c.name, "hub:type": c.data_type, "dct:description": c.description,
             "hub:level": c.level} for c in columns],
    }
    if ds.current_version:
        node["dcat:distribution"] = [{
            "@type": "dcat:Distribution", "dct:identifier": f"{ds.id}@{ds.current_version}",
            "dcat:accessURL": {"@id": f"{base_url}/v1/datasets/{ds.id}/rows"},
            "dcat:mediaType": "application/vnd.apache.parquet",
            "dct:issued": ds.published_at.isoformat() if ds.published_at else None,
        }]
    return node


def catalog_document(nodes: list[dict[str, Any]], base_url: str) -> dict[str, Any]:
    """The ``dcat:Catalog`` document holding ``nodes``."""
    return {"@context": CONTEXT, "@id": f"{base_url}/v1/catalog", "@type": "dcat:Catalog",
            "dct:title": [_literal("汇通数据资源目录", "zh"), _literal("Huitong resource catalog", "en")],
            "dcat:dataset": nodes}
