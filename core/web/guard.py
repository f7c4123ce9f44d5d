"""Step 1 of a click's journey: refuse requests that are not a JSON body, before any parsing."""

from __future__ import annotations

import ipaddress

from sanic import Request

from ..errors import CallbackRejected


def guard(request: Request) -> bytes:
    """The raw body of a JSON request; CallbackRejected(415/400) otherwise (Sanic answers 413 for size)."""
    content_type = request.headers.get("content-type", "")
    if content_type.split(";", 1)[0].strip().lower() != "application/json":
        raise CallbackRejected(415, "send the callback as Content-Type: application/json")
    body = request.body
    if not body:
        raise CallbackRejected(400, "empty body; expected a JSON object")
    return body


def is_loopback(address: str) -> bool:
    """True for 127.0.0.0/8 and ::1 (also IPv4-mapped); what `--dev` accepts unsigned callbacks from."""
    try:
        ip = ipaddress.ip_address(address.strip("[]"))
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_loopback
