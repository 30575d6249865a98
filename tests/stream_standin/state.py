"""The stand-in's in-memory app: users, channels, messages, behind one lock."""

from __future__ import annotations

import copy
import threading
import uuid
from datetime import UTC, datetime

from tests.stream_standin import rules


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


class ChatState:
    """What Stream would hold for one app; every method is atomic."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.users: dict[str, dict] = {}
        self.channels: dict[str, dict] = {}  # cid -> channel
        self.messages: dict[str, dict] = {}  # message id -> message (ids are app-wide)

    def upsert_users(self, users: dict) -> dict:
        """POST /users: create or replace each user by id."""
        if not isinstance(users, dict) or not users:
            raise rules.failed("UpdateUsers", "users is required")
        for key, user in users.items():
            rules.check_user_id(user.get("id") if isinstance(user, dict) else None)
            if user["id"] != key:
                raise rules.failed("UpdateUsers", f"user id {key} does not match {user['id']}")
        with self._lock:
            for user in users.values():
                old = self.users.get(user["id"], {"created_at": _now(), "role": "user"})
                self.users[user["id"]] = {**old, **user, "updated_at": _now()}
            return {"users": {uid: dict(self.users[uid]) for uid in users}}

    def get_or_create_channel(self, channel_type: str, channel_id: str, data: dict) -> dict:
        """POST /channels/{type}/{id}/query: create on first call, else return as is."""
        rules.check_channel_id(channel_id)
        creator = (data.get("created_by") or {}).get("id") or data.get("created_by_id")
        if not creator:
            raise rules.failed(
                "GetOrCreateChannel",
                "either data.created_by or data.created_by_id must be provided when using server side auth",
            )
        members = [m if isinstance(m, str) else m.get("user_id") for m in data.get("members", [])]
        cid = f"{channel_type}:{channel_id}"
        with self._lock:
            if cid not in self.channels:
                missing = [u for u in [creator, *members] if u not in self.users]
                if missing:
                    raise rules.failed(
                        "GetOrCreateChannel",
                        "The following users are involved "
                        f"in channel create operation, but don't exist: {missing}. "
                        "Please create the user objects before setting up the "
                        "channel.",
                    )
                self.channels[cid] = {
                    "id": channel_id,
                    "type": channel_type,
                    "cid": cid,
                    "created_by": dict(self.users[creator]),
                    "members": list(dict.fromkeys(members)),
                    "created_at": _now(),
                    "message_ids": [],
                }
            return self._channel_state(self.channels[cid])

    def send_message(self, channel_type: str, channel_id: str, message: dict) -> dict:
        """POST /channels/{type}/{id}/message: store a message under its (custom) id."""
        rules.check_message(message)
        user_id = (message.get("user") or {}).get("id") or message.get("user_id")
        cid = f"{channel_type}:{channel_id}"
        with self._lock:
            channel = self.channels.get(cid)
            if channel is None:
                raise rules.failed("SendMessage", f"Can't find channel with id {cid}", status=404, code=rules.NOT_FOUND)
            if user_id not in self.users:
                raise rules.failed("SendMessage", f"user {user_id!r} does not exist")
            message_id = message.get("id") or str(uuid.uuid4())
            if message_id in self.messages:
                raise rules.failed("SendMessage", f"a message with ID {message_id} already exists")
            stored = {
                "id": message_id,
                "text": message.get("text", ""),
                "type": "regular",
                "cid": cid,
                "user": dict(self.users[user_id]),
                "created_at": _now(),
            }
            self.messages[message_id] = stored
            channel["message_ids"].append(message_id)
            return {"message": dict(stored)}

    def get_messages(self, channel_type: str, channel_id: str, ids: list[str]) -> dict:
        """GET /channels/{type}/{id}/messages?ids=a,b: the channel's messages by id."""
        cid = f"{channel_type}:{channel_id}"
        with self._lock:
            if cid not in self.channels:
                raise rules.failed(
                    "GetManyMessages", f"Can't find channel with id {cid}", status=404, code=rules.NOT_FOUND
                )
            found = [self.messages[i] for i in ids if self.messages.get(i, {}).get("cid") == cid]
            return {"messages": copy.deepcopy(found)}

    def snapshot(self) -> tuple[dict, dict, dict]:
        """Deep copies of users, channels and messages, for test assertions."""
        with self._lock:
            return copy.deepcopy((self.users, self.channels, self.messages))

    def _channel_state(self, channel: dict) -> dict:
        public = {k: v for k, v in channel.items() if k not in ("members", "message_ids")}
        members = [{"user_id": u, "user": dict(self.users[u])} for u in channel["members"]]
        return {"channel": {**copy.deepcopy(public), "member_count": len(members)}, "members": members, "messages": []}
