"""The API's response cache: a GET answer is computed once per revision of the data.

Everything the read endpoints return is a function of the request (path and query)
and of the stored data. :class:`ResponseCache` keeps the bytes of each successful
``GET /api/...`` answer together with the data *generation* it was computed from,
and serves them again, without entering FastAPI, until the generation changes. The
generation (:func:`store_generation` with the database's
:func:`~ionoquake.store.database.revision`) is cheap enough to check on every
request: one row read by primary key and a ``stat`` of each product and table
folder of the store. A new or replaced day of maps renames an entry of its product's
folder, a new table file one of its kind's folder, and every database write
increments the revision in its own transaction, so a cached answer is never served
after the data it came from have changed.

Each answer carries an ``ETag``; a client that sends it back in ``If-None-Match``
gets ``304 Not Modified`` without a body. ``X-Cache: hit|miss`` says which path an
answer took. Requests for an answer that is being computed wait for it instead of
computing it again.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Any]
Send = Callable[[Message], Any]


def _folders(root: str, depth: int) -> list[str]:
    """``root`` and its sub-folders down to ``depth`` levels, sorted."""
    out = [root]
    if depth > 0:
        try:
            with os.scandir(root) as entries:
                subs = sorted(e.path for e in entries
                              if e.is_dir() and not e.name.startswith("."))
        except FileNotFoundError:
            return []
        for sub in subs:
            out += _folders(sub, depth - 1)
    return out


def folder_generation(root: str | os.PathLike[str], depth: int) -> tuple[tuple[str, int, int], ...]:
    """(folder, mtime in ns, link count) of ``root`` and its folders ``depth`` deep.

    The link count of a folder grows with its sub-folders (the Zarr partitions), so
    an added day is seen even where file times are coarser than the writes.
    """
    out = []
    for folder in _folders(str(root), depth):
        try:
            st = os.stat(folder)
            out.append((folder, st.st_mtime_ns, st.st_nlink))
        except FileNotFoundError:  # removed while we looked: a change, seen next time
            out.append((folder, -1, -1))
    return tuple(out)


def store_generation(store: str | os.PathLike[str]) -> tuple[tuple[str, int, int], ...]:
    """:func:`folder_generation` of the map partitions' and the tables' folders of ``store``.

    Changes whenever a day of maps (``maps/<product>/<year>/<day>.zarr``) or a table
    file (``tables/<kind>/<name>.parquet``) is added, replaced or removed: each is an
    atomic rename inside its folder (:mod:`ionoquake.atomic`).
    """
    return (folder_generation(Path(store) / "maps", 2)
            + folder_generation(Path(store) / "tables", 1))


class ResponseCache:
    """ASGI middleware caching successful ``GET`` answers under ``prefix`` per data generation.

    Paths starting with one of ``exclude`` (state that is not data, such as job
    records) always go to the application.

    ``generation()`` is called once per request on the event loop: it must be quick;
    answers are kept while their generation is current, least recently used first
    out when they would take more than ``max_bytes``.
    """

    def __init__(self, app: Callable[[Scope, Receive, Send], Any],
                 generation: Callable[[], Hashable], *, prefix: str = "/api/",
                 exclude: tuple[str, ...] = (), max_bytes: int = 256 * 2**20,
                 max_item_bytes: int = 32 * 2**20) -> None:
        self.app = app
        self.generation = generation
        self.prefix = prefix
        self.exclude = exclude
        self.max_bytes = max_bytes
        self.max_item_bytes = max_item_bytes
        self.entries: OrderedDict[tuple[str, bytes], tuple[Hashable, list[tuple[bytes, bytes]],
                                                           bytes]] = OrderedDict()
        self.pending: dict[tuple[str, bytes], asyncio.Future[None]] = {}
        self.size = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or scope["method"] != "GET"
                or not scope["path"].startswith(self.prefix)
                or scope["path"].startswith(self.exclude)):
            await self.app(scope, receive, send)
            return
        key = (scope["path"], scope.get("query_string", b""))
        generation = self.generation()
        entry = self.entries.get(key)
        if entry is not None and entry[0] == generation:
            self.entries.move_to_end(key)
            await self._answer(scope, send, entry[1], entry[2], b"hit")
            return
        while (pending := self.pending.get(key)) is not None:  # being computed: wait
            await asyncio.shield(pending)
            entry = self.entries.get(key)
            if entry is not None and entry[0] == generation:
                await self._answer(scope, send, entry[1], entry[2], b"hit")
                return
        done = self.pending[key] = asyncio.get_running_loop().create_future()
        try:
            await self._compute(scope, receive, send, key, generation)
        finally:
            if self.pending.get(key) is done:
                del self.pending[key]
            done.set_result(None)

    async def _compute(self, scope: Scope, receive: Receive, send: Send,
                       key: tuple[str, bytes], generation: Hashable) -> None:
        status = 0
        headers: list[tuple[bytes, bytes]] = []
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal status, headers
            if message["type"] == "http.response.start":
                status, headers = message["status"], list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, capture)
        body = b"".join(chunks)
        if status != 200:
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        etag = b'"' + hashlib.blake2b(body, digest_size=12).hexdigest().encode() + b'"'
        headers = [(k, v) for k, v in headers if k.lower() not in (b"etag", b"cache-control")]
        headers += [(b"etag", etag), (b"cache-control", b"no-cache")]
        self._keep(key, generation, headers, body)
        await self._answer(scope, send, headers, body, b"miss")

    def _keep(self, key: tuple[str, bytes], generation: Hashable,
              headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        if len(body) > self.max_item_bytes:
            return
        old = self.entries.pop(key, None)
        if old is not None:
            self.size -= len(old[2])
        self.entries[key] = (generation, headers, body)
        self.size += len(body)
        while self.size > self.max_bytes:
            _, (_, _, dropped) = self.entries.popitem(last=False)
            self.size -= len(dropped)

    @staticmethod
    async def _answer(scope: Scope, send: Send, headers: list[tuple[bytes, bytes]], body: bytes,
                      how: bytes) -> None:
        etag = next(v for k, v in headers if k == b"etag")
        asked = dict(scope.get("headers", [])).get(b"if-none-match")
        if asked is not None and etag in {t.strip() for t in asked.split(b",")}:
            await send({"type": "http.response.start", "status": 304,
                        "headers": [(b"etag", etag), (b"x-cache", how)]})
            await send({"type": "http.response.body", "body": b""})
            return
        await send({"type": "http.response.start", "status": 200,
                    "headers": [*headers, (b"x-cache", how)]})
        await send({"type": "http.response.body", "body": body})
