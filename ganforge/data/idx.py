"""Reader and writer for the IDX format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/).

An IDX file is ``00 00 <dtype code> <ndim>``, then ``ndim`` big-endian uint32 sizes, then the values,
big-endian, in C order. Files may be gzip-compressed (``.gz``).
"""

from __future__ import annotations

import gzip
import hashlib
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ganforge.errors import DataError

# IDX type code -> numpy dtype (big-endian, as stored on disk).
_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODES = {dt.newbyteorder("="): code for code, dt in _DTYPES.items()}


@dataclass(frozen=True, eq=False)
class IdxData:
    """A decoded IDX file.

    Args:
        array: The values in native byte order (a writable copy).
        raw_md5: MD5 hex digest of the *decompressed* file bytes; it identifies the content whether the
            file was stored compressed (by any gzip) or not.
    """

    array: np.ndarray
    raw_md5: str


def decompress_file(path: Path) -> bytes:
    """Returns the bytes of ``path``, gunzipped when the name ends in ``.gz``.

    Raises:
        DataError: If the file cannot be read or its gzip stream is truncated or corrupt.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if path.suffix != ".gz":
        return data
    try:
        return gzip.decompress(data)
    except EOFError as exc:
        raise DataError(f"{path} is truncated (its gzip stream ends early); delete it and download it again") from exc
    except (gzip.BadGzipFile, zlib.error) as exc:
        raise DataError(f"{path} is not a valid gzip file ({exc}); delete it and download it again") from exc


def parse_idx(data: bytes, source: str) -> np.ndarray:
    """Decodes IDX bytes into an array in native byte order.

    Args:
        data: The uncompressed file content.
        source: The file the bytes came from, named in errors.

    Raises:
        DataError: On a bad magic number, an unknown type code, or a length that disagrees with the header.
    """
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _DTYPES:
        raise DataError(
            f"{source} is not an IDX file (bad magic number {data[:4].hex() or 'empty'}); "
            "expected the official MNIST/Fashion-MNIST files"
        )
    dtype, ndim = _DTYPES[data[2]], data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataError(f"{source} is truncated: its {len(data)} bytes end inside the IDX header")
    shape = tuple(int(d) for d in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    expected = header + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) != expected:
        problem = "truncated" if len(data) < expected else "longer than its header says"
        raise DataError(
            f"{source} is {problem}: the header declares shape {list(shape)} ({expected} bytes) but the file holds "
            f"{len(data)} bytes; delete it and download it again"
        )
    values = np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)
    return values.astype(dtype.newbyteorder("="), copy=True)


def read_idx(path: Path) -> IdxData:
    """Reads an IDX file (``.gz`` or uncompressed) and returns its array and content MD5.

    Raises:
        DataError: If the file is missing, truncated or malformed; the message names the file.
    """
    data = decompress_file(path)
    return IdxData(array=parse_idx(data, str(path)), raw_md5=hashlib.md5(data, usedforsecurity=False).hexdigest())


def encode_idx(array: np.ndarray) -> bytes:
    """Encodes ``array`` as IDX bytes (uncompressed); the inverse of :func:`parse_idx`.

    Raises:
        ValueError: If the dtype has no IDX type code or the array has more than 255 dimensions.
    """
    code = _CODES.get(array.dtype.newbyteorder("="))
    if code is None or array.ndim > 255:
        raise ValueError(f"cannot encode a {array.dtype} array with {array.ndim} dims as IDX")
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    return header + np.ascontiguousarray(array, dtype=_DTYPES[code]).tobytes()
