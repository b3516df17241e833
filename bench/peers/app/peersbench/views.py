"""bench/blob/: a binary download every adapter must base64-encode for API Gateway."""
import hashlib

from django.http import HttpResponse

BLOB_SIZE = 1 << 20


def _blob(size):
    """size deterministic bytes that are not text (SHA-256 in counter mode)."""
    out = bytearray()
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(counter.to_bytes(8, "big")).digest()
        counter += 1
    return bytes(out[:size])


_BLOB = _blob(BLOB_SIZE)


def blob(request):
    """1 MiB of application/octet-stream, the same bytes every time."""
    return HttpResponse(_BLOB, content_type="application/octet-stream")
