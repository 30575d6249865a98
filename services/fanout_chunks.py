"""Large audiences: the fan-out split into bounded chunks, each published through QStash as its own delivery."""

from __future__ import annotations

import hashlib

from services.domain import Message

CHUNK_SUFFIX = "/chunk"  # the chunk endpoint is the webhook's URL plus this, verified the same way
MAX_CHUNK = 1000  # clients per chunk body at most: its ids must stay well inside the webhook's body limit


def chunk_bodies(message: Message, zone: str, slot: str, client_ids: list[str], size: int) -> list[tuple[dict, str]]:
    """(JSON body, QStash deduplication id) per chunk of recipients; a retried parent republishes the same ids."""
    size = max(1, min(size, MAX_CHUNK))
    ordered = sorted(client_ids)
    chunks = []
    for start in range(0, len(ordered), size):
        part = ordered[start : start + size]
        body = {"messageId": message.id, "coachId": message.coach_id, "zone": zone, "slot": slot, "clients": part}
        digest = hashlib.sha1(f"{zone}|{slot}|{start}|{len(part)}".encode()).hexdigest()[:12]
        chunks.append((body, f"cms-{message.id}-chunk-{digest}"))
    return chunks


def chunk_clients(payload: dict) -> list[str] | None:
    """The client ids a chunk body names, or None when they are malformed."""
    clients = payload.get("clients")
    if not isinstance(clients, list) or not 0 < len(clients) <= MAX_CHUNK:
        return None
    if not all(isinstance(c, str) and 0 < len(c) <= 36 for c in clients):
        return None
    return clients


def chunk_key(client_ids: list[str]) -> str:
    """A short id of a chunk (the same for each retry of it), for the log lines about it."""
    return hashlib.sha1(",".join(sorted(client_ids)).encode()).hexdigest()[:12]
