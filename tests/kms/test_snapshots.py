"""Sealed snapshots: unreadable without the key, readable in memory with it, under both suites.

``international``: Parquet modular encryption (pyarrow), the level-3 columns under the
personal data key, the other columns and the footer under the general one; ``gm``: the
whole file in SM4-GCM frames.  Without the hub's keys,
pyarrow and DuckDB refuse the file; another deployment's keys, a destroyed data key
or an altered byte fail too; the clear value never appears in the file.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from hub.kms import KmsError, data_keys
from hub.kms.parquet import Sealer, file_kind
from hub.settings import Settings

ID = "110105199001011234"


def _table(rows: int = 5000) -> pa.Table:
    return pa.table({"_row_id": list(range(rows)), "recipient_id_number": [ID] * rows,
                     "amount": [float(i) for i in range(rows)]})


@pytest.fixture
def sealed(kms_config: Settings, tmp_path):  # type: ignore[no-untyped-def]
    keys = data_keys(kms_config)
    path = tmp_path / "v1.parquet"
    Sealer(keys).write(_table(), path, keys.create("snapshot:finance.subsidy_payment@v1"), ["recipient_id_number"],
                       personal=keys.create("snapshot:finance.subsidy_payment@v1:personal"))
    yield path, keys
    keys.kms.close()


def test_a_snapshot_read_without_the_key_fails(sealed, kms_config: Settings) -> None:  # type: ignore[no-untyped-def]
    path, keys = sealed
    assert ID.encode() not in path.read_bytes()
    assert file_kind(path) == ("sealed" if kms_config.crypto_suite == "gm" else "encrypted")
    with pytest.raises(Exception, match="(?i)encrypt|magic|parquet"):
        pq.read_table(path)
    with pytest.raises(duckdb.Error):
        duckdb.connect().execute("SELECT * FROM read_parquet(?)", [str(path)]).fetchall()
    table = Sealer(keys).read_table(path)
    assert table.equals(_table())


def test_another_deployments_keys_or_a_destroyed_key_cannot_read_it(sealed, kms_config: Settings,  # type: ignore[no-untyped-def]
                                                                    tmp_path) -> None:
    path, keys = sealed
    other = data_keys(kms_config.model_copy(update={"home": tmp_path / "other"})) if kms_config.kms == "file" \
        else None
    if other is not None:
        with pytest.raises(KmsError):
            Sealer(other).read_table(path)
    for info in keys.infos():
        keys.delete(info.id)
    with pytest.raises(KmsError, match="does not exist"):
        Sealer(data_keys(kms_config, keys.kms)).read_table(path)


def test_an_altered_byte_is_refused(sealed, kms_config: Settings) -> None:  # type: ignore[no-untyped-def]
    path, keys = sealed
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(Exception):  # noqa: B017 - pyarrow's and our errors differ by suite; any refusal will do
        Sealer(data_keys(kms_config, keys.kms)).read_table(path)
