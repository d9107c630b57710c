"""Errors of the catalog package."""

from hub.errors import HubError, NotFound


class CatalogError(HubError):
    """Catalog metadata is malformed or inconsistent (names the entry)."""


class UnknownDataset(NotFound):
    """No catalog entry for the dataset named."""

    def __init__(self, dataset: str) -> None:
        super().__init__(f"dataset `{dataset}` is not in the catalog", dataset=dataset)
