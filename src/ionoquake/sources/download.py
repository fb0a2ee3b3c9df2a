"""Downloads from public archives into a local cache, with resume.

One function, :func:`download`, used by every ``fetch`` in ``sources/``:

* a file already complete in the cache is not downloaded again;
* a download goes to ``<name>.part`` and is renamed only when complete, so a
  killed run never leaves a half file under the final name;
* an existing ``.part`` is resumed with an HTTP ``Range`` request when the
  server supports it.

Only the standard library is used (``urllib``), so fetchers work in the core
install. Tests serve recorded files from a local HTTP server on 127.0.0.1.
"""

from __future__ import annotations

import os
import shutil
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from ionoquake import __version__
from ionoquake.errors import FetchError

USER_AGENT = f"ionoquake/{__version__} (+https://github.com/ionoquake/ionoquake)"
CHUNK_BYTES = 1 << 16


class NotOnServer(FetchError):
    """The server answered 404: the product does not exist (yet) at that URL."""


def download(
    url: str,
    dest: str | os.PathLike[str],
    *,
    timeout_s: float = 60.0,
    overwrite: bool = False,
    progress: Callable[[int], None] | None = None,
) -> Path:
    """Download ``url`` to ``dest`` unless ``dest`` already exists; return ``dest``.

    Parameters
    ----------
    url
        An ``http://``, ``https://`` or ``ftp://`` URL.
    dest
        The final path; its folder is created.
    timeout_s
        Socket timeout in seconds.
    overwrite
        Download again even if ``dest`` exists.
    progress
        Called with the number of bytes received after each chunk.
    """
    dest = Path(dest)
    if dest.exists() and not overwrite:
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    have = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    if have and url.startswith("http"):
        request.add_header("Range", f"bytes={have}-")
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            status = getattr(response, "status", 200)
            mode = "ab" if have and status == 206 else "wb"
            with part.open(mode) as out:
                while chunk := response.read(CHUNK_BYTES):
                    out.write(chunk)
                    if progress is not None:
                        progress(len(chunk))
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            raise NotOnServer(f"{url}: not on the server (HTTP 404)") from None
        if exc.code == 416 and have:
            # The .part is already complete: the server has nothing after it.
            pass
        else:
            raise FetchError(f"{url}: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise FetchError(f"{url}: download failed ({reason}); run again to resume") from None
    shutil.move(part, dest)
    return dest
