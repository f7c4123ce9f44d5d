"""Build signed (and, for card.action.trigger, encrypted) callback requests into files replay.lua reads.

One file per wrk thread, two lines per request:

    Header-Name<TAB>value<TAB>Header-Name<TAB>value...
    {"single":"line JSON body"}
"""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from cardbot.testing import LarkCallbacks

from .workloads import Click

VERIFICATION_TOKEN = "bench-verification-token"
ENCRYPT_KEY = "bench-encrypt-key"
SECRETS = {"LARK_VERIFICATION_TOKEN": VERIFICATION_TOKEN, "LARK_ENCRYPT_KEY": ENCRYPT_KEY}
FORMATS = ("legacy", "trigger")


def write_request_files(directory: Path, fmt: str, clicks: list[Click], threads: int) -> None:
    """Write `clicks` as `fmt` requests ("legacy": plain, sha1; "trigger": AES + sha256), dealt round-robin
    into `directory/requests-<n>.txt` for n = 1..threads, built in parallel."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    directory.mkdir(parents=True, exist_ok=True)
    jobs = [(directory / f"requests-{n + 1}.txt", fmt, clicks[n::threads]) for n in range(threads)]
    with multiprocessing.get_context("fork").Pool(threads) as pool:
        pool.map(_write_file, jobs)


def _write_file(job: tuple[Path, str, list[Click]]) -> None:
    path, fmt, clicks = job
    kit = LarkCallbacks(VERIFICATION_TOKEN, ENCRYPT_KEY)
    build = kit.card_action_trigger if fmt == "trigger" else kit.legacy_card_action
    with open(path, "wb") as out:
        for message_id, open_id, value in clicks:
            body, headers = build(message_id=message_id, open_id=open_id, value=value)
            if b"\n" in body or any("\t" in k + v or "\n" in k + v for k, v in headers.items()):
                raise ValueError("a request does not fit the line format")
            out.write("\t".join(f"{k}\t{v}" for k, v in headers.items()).encode() + b"\n" + body + b"\n")
