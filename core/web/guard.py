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


FORWARDING_HEADERS = ("x-forwarded-for", "x-real-ip", "x-client-ip", "true-client-ip", "cf-connecting-ip",
                      "fastly-client-ip", "x-cluster-client-ip", "x-original-forwarded-for", "forwarded")
"""Headers a proxy uses to name the client it forwards for; any of them naming a non-loopback client
makes a request non-local for `--dev`, so a proxy on this host cannot open dev mode to the network."""


def is_local_request(request: Request) -> bool:
    """True when the peer is loopback and no forwarding header names anyone else (what `--dev` trusts)."""
    if not is_loopback(request.ip):
        return False
    for name in FORWARDING_HEADERS:
        for value in request.headers.getall(name, []):
            if not all(is_loopback(client) for client in forwarded_clients(name, value)):
                return False
    return True


def forwarded_clients(header: str, value: str) -> list[str]:
    """The client addresses one forwarding header names (`Forwarded: for=…` pairs, else a comma list);
    ports and quotes removed. An unreadable entry is returned as it is (it is not loopback)."""
    clients = []
    for entry in value.split(","):
        entry = entry.strip()
        if header == "forwarded":
            pairs = [pair.strip() for pair in entry.split(";")]
            entry = next((pair[4:] for pair in pairs if pair[:4].lower() == "for="), "")
            if not entry:
                continue
        clients.append(_without_port(entry.strip('"')))
    return clients


def _without_port(address: str) -> str:
    if address.startswith("["):  # [v6]:port
        return address[1:address.find("]")] if "]" in address else address
    if address.count(":") == 1:  # v4:port
        return address.split(":", 1)[0]
    return address


def is_loopback(address: str) -> bool:
    """True for 127.0.0.0/8 and ::1 (also IPv4-mapped); what `--dev` accepts unsigned callbacks from."""
    try:
        ip = ipaddress.ip_address(address.strip("[]"))
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_loopback
