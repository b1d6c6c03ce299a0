"""Overseerr's webhook agent: its settings, its default JSON template and how it is rendered.

As in Overseerr (`server/lib/notifications/agents/webhook.ts`, `routes/settings/notifications.ts`):
- `POST /settings/notifications/webhook` takes `options.jsonPayload` as a JSON *string literal*
  whose content is the template (the web UI sends `JSON.stringify(template)`); it is stored
  base64-encoded, and the POST answers the stored form. `GET` answers the decoded string.
- On an event the template is parsed, the keys `{{media}}`, `{{request}}`, `{{issue}}`,
  `{{comment}}` become `media`, `request`, … (or `null` when the event has none), `{{extra}}`
  becomes `extra`, and in every string value the first `{{placeholder}}` of each kind is
  replaced by its value as text. A template that is not double-encoded fails at send time,
  so nothing is delivered (the delivery log says why).
- The JSON is POSTed to `webhookUrl` with `Authorization: <authHeader>` when one is set.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

from medianest_overseerr.testing._model import MediaRequest, MediaStatus, Notification, User

DEFAULT_TEMPLATE = """{
    "notification_type": "{{notification_type}}",
    "event": "{{event}}",
    "subject": "{{subject}}",
    "message": "{{message}}",
    "image": "{{image}}",
    "{{media}}": {
        "media_type": "{{media_type}}",
        "tmdbId": "{{media_tmdbid}}",
        "tvdbId": "{{media_tvdbid}}",
        "status": "{{media_status}}",
        "status4k": "{{media_status4k}}"
    },
    "{{request}}": {
        "request_id": "{{request_id}}",
        "requestedBy_email": "{{requestedBy_email}}",
        "requestedBy_username": "{{requestedBy_username}}",
        "requestedBy_avatar": "{{requestedBy_avatar}}",
        "requestedBy_settings_discordId": "{{requestedBy_settings_discordId}}",
        "requestedBy_settings_telegramChatId": "{{requestedBy_settings_telegramChatId}}"
    },
    "{{issue}}": {
        "issue_id": "{{issue_id}}",
        "issue_type": "{{issue_type}}",
        "issue_status": "{{issue_status}}",
        "reportedBy_email": "{{reportedBy_email}}",
        "reportedBy_username": "{{reportedBy_username}}",
        "reportedBy_avatar": "{{reportedBy_avatar}}",
        "reportedBy_settings_discordId": "{{reportedBy_settings_discordId}}",
        "reportedBy_settings_telegramChatId": "{{reportedBy_settings_telegramChatId}}"
    },
    "{{comment}}": {
        "comment_message": "{{comment_message}}",
        "commentedBy_email": "{{commentedBy_email}}",
        "commentedBy_username": "{{commentedBy_username}}",
        "commentedBy_avatar": "{{commentedBy_avatar}}",
        "commentedBy_settings_discordId": "{{commentedBy_settings_discordId}}",
        "commentedBy_settings_telegramChatId": "{{commentedBy_settings_telegramChatId}}"
    },
    "{{extra}}": []
}"""

#: The request events, what `configure_webhook` subscribes to unless told otherwise.
MEDIA_NOTIFICATIONS = (
    Notification.MEDIA_PENDING
    | Notification.MEDIA_APPROVED
    | Notification.MEDIA_AUTO_APPROVED
    | Notification.MEDIA_AVAILABLE
    | Notification.MEDIA_DECLINED
    | Notification.MEDIA_FAILED
)


@dataclass
class WebhookSettings:
    """The agent's settings; `json_payload` as posted (a JSON string literal of the template)."""

    enabled: bool = False
    types: int = 0
    webhook_url: str = ""
    auth_header: str = ""
    json_payload: str = field(default_factory=lambda: json.dumps(DEFAULT_TEMPLATE))

    def stored(self) -> dict[str, Any]:
        """What Overseerr keeps and the POST answers: the payload base64-encoded."""
        return {
            "enabled": self.enabled,
            "types": self.types,
            "options": {
                "jsonPayload": base64.b64encode(self.json_payload.encode()).decode(),
                "webhookUrl": self.webhook_url,
                "authHeader": self.auth_header,
            },
        }

    def shown(self) -> dict[str, Any]:
        """What the GET answers: the payload decoded once (the template as a string)."""
        return {
            "enabled": self.enabled,
            "types": self.types,
            "options": {
                "webhookUrl": self.webhook_url,
                "authHeader": self.auth_header,
                "jsonPayload": json.loads(self.json_payload),
            },
        }

    def wants(self, notification: Notification) -> bool:
        """`shouldSend` and `hasNotificationType`: test notifications always go."""
        if not (self.enabled and self.webhook_url):
            return False
        return bool((self.types | Notification.TEST_NOTIFICATION) & notification)


@dataclass
class NotificationPayload:
    """What Overseerr hands its agents for one event."""

    event: str
    subject: str
    message: str
    image: str
    request: MediaRequest | None = None
    notify_user: User | None = None
    extra: list[dict[str, str]] | None = None


@dataclass(frozen=True)
class WebhookDelivery:
    """One webhook the stand-in sent (or tried to): what, where, with which header, and how it
    went (`status_code` of the receiver's answer, or the `error` that stopped it)."""

    notification: Notification
    url: str
    authorization: str | None
    payload: dict[str, Any] | None
    status_code: int | None = None
    error: str | None = None

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def render(json_payload: str, notification: Notification, payload: NotificationPayload) -> dict:
    """The body Overseerr posts; raises ValueError when the stored payload does not parse twice."""
    template = json.loads(json_payload)
    if not isinstance(template, str):
        message = f"Unexpected token in JSON: the template is a {type(template).__name__}"
        raise ValueError(message)
    request = payload.request
    objects = {"media": request is not None, "request": request is not None}
    return _fill(json.loads(template), _values(notification, payload), objects, payload.extra)


def _fill(node: Any, values: dict[str, str], objects: dict[str, bool], extra: Any) -> Any:
    """Overseerr's `parseKeys`, on a dict or a list, in place."""
    for key in list(node) if isinstance(node, dict) else range(len(node)):
        if isinstance(key, str) and key.startswith("{{") and key[2:-2] in _OBJECT_KEYS:
            name = key[2:-2]
            if name == "extra":
                node[name] = extra or []
            else:  # the object stays (to be filled) only when the event has one
                node[name] = node[key] if objects.get(name) else None
            del node[key]
            key = name
        value = node[key]
        if isinstance(value, str):
            for placeholder, text in values.items():  # JS `replace`: the first one only
                value = value.replace("{{" + placeholder + "}}", text, 1)
            node[key] = value
        elif isinstance(value, dict | list):
            node[key] = _fill(value, values, objects, extra)
    return node


_OBJECT_KEYS = ("media", "request", "issue", "comment", "extra")


def _values(notification: Notification, payload: NotificationPayload) -> dict[str, str]:
    """Every placeholder's text (lodash `get(...) ?? ''`)."""
    request = payload.request
    media = request.media if request else None
    by = request.requested_by if request else None
    notify = payload.notify_user

    def text(value: object) -> str:
        return "" if value is None else str(value)

    values = {
        "notification_type": notification.name or "",
        "event": payload.event,
        "subject": payload.subject,
        "message": payload.message,
        "image": payload.image,
        "notifyuser_username": text(notify and notify.display_name),
        "notifyuser_email": text(notify and notify.email),
        "notifyuser_avatar": text(notify and notify.avatar),
        "notifyuser_settings_discordId": text(notify and notify.discord_id),
        "notifyuser_settings_telegramChatId": text(notify and notify.telegram_chat_id),
        "media_tmdbid": text(media and media.tmdb_id),
        "media_tvdbid": text(media and media.tvdb_id),
        "media_type": text(media and media.media_type),
        "media_status": MediaStatus(media.status).name if media else "",
        "media_status4k": MediaStatus(media.status4k).name if media else "",
        "request_id": text(request and request.id),
        "requestedBy_username": text(by and by.display_name),
        "requestedBy_email": text(by and by.email),
        "requestedBy_avatar": text(by and by.avatar),
        "requestedBy_settings_discordId": text(by and by.discord_id),
        "requestedBy_settings_telegramChatId": text(by and by.telegram_chat_id),
    }
    for unused in ("issue_id", "issue_type", "issue_status", "comment_message"):
        values[unused] = ""  # the stand-in has no issues or comments
    for who in ("reportedBy", "commentedBy"):
        for what in (
            "username",
            "email",
            "avatar",
            "settings_discordId",
            "settings_telegramChatId",
        ):
            values[f"{who}_{what}"] = ""
    return values
