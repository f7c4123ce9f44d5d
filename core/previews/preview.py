"""Link previews: the `url.preview.get` callback Lark sends when someone types or sends a URL, and the answer.

    request = parse_preview_request(envelope.payload)      # who, which URL, its preview token
    LinkPreview(title="T-1: printer on fire", i18n_title={"zh_cn": "…"}, card=CARD).to_json()

Answer within 3 s: `{"inline": {"title", "i18n_title", "image_key", "url": {"copy_url", "ios", "android", "pc",
"web"}}, "card": {"type": "raw" | "template", "data": …}}`; both parts are optional
(https://open.feishu.cn/document/development-link-preview/pull-link-preview-data-callback-structure).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Mapping

from ..action import PREVIEW_CARD_PREFIX, Operator
from ..frozen import thaw
from ..patches.templates import is_template
from ..protocol.fields import object_field, operator_of, required_text, text_field
from ..protocol.timestamps import timestamp_datetime

URL_KINDS = ("copy_url", "ios", "android", "pc", "web")
"""Where an inline preview's link may point, per platform."""


@dataclass(frozen=True, slots=True)
class LinkPreviewRequest:
    """Someone typed or sent `url`; `preview_token` names this preview (to refresh it, and the card it shows).

    `message_id` and `chat_id` are None while the link is only being typed."""

    url: str
    preview_token: str
    operator: Operator | None
    event_id: str | None = None
    """Not used to dedupe: a preview asked for again is answered again (Lark does not re-push callbacks)."""
    host: str | None = None
    message_id: str | None = None
    chat_id: str | None = None
    app_id: str | None = None
    created_at: datetime | None = None

    @property
    def card_id(self) -> str:
        """The key a preview card is stored under: `preview:<preview_token>` (clicks on it find it there)."""
        return PREVIEW_CARD_PREFIX + self.preview_token


@dataclass(frozen=True)
class LinkPreview:
    """What a plugin answers a link preview with: an inline preview (a title, maybe an icon and links) and/or a card.

        LinkPreview(title="T-1: printer on fire", i18n_title={"en_us": "…"}, image_key="img_v2_…",
                    url={"pc": "https://…", "ios": "https://…"}, card=CARD)

    `card` is a card or a template card; it is stored under the preview token, so clicks on it are routed and
    patched like clicks on any stored card.
    """

    title: str | None = None
    i18n_title: Mapping[str, str] = field(default_factory=dict)
    image_key: str | None = None
    url: Mapping[str, str] = field(default_factory=dict)
    """Per-platform links: keys among copy_url, ios, android, pc, web."""
    card: dict | None = None

    def __post_init__(self) -> None:
        for name, value in (("title", self.title), ("image_key", self.image_key)):
            if value is not None and (not isinstance(value, str) or not value):
                raise TypeError(f"LinkPreview {name} must be a non-empty str or None, not {value!r}")
        for name, mapping, keys in (("i18n_title", self.i18n_title, None), ("url", self.url, URL_KINDS)):
            if not isinstance(mapping, Mapping) or not all(isinstance(k, str) and isinstance(v, str)
                                                           for k, v in mapping.items()):
                raise TypeError(f"LinkPreview {name} must map str to str, not {mapping!r}")
            unknown = sorted(set(mapping) - set(keys)) if keys else []
            if unknown:
                raise ValueError(f"LinkPreview url keys are {', '.join(URL_KINDS)}, not {', '.join(unknown)}")
        if self.card is not None and not isinstance(self.card, dict):
            raise TypeError(f"LinkPreview card must be a card dict or None, not {type(self.card).__name__}")
        if not (self.title or self.i18n_title or self.card):
            raise ValueError("a LinkPreview needs a title (or i18n_title) or a card")

    def inline_json(self) -> dict[str, Any] | None:
        """The answer's `inline` object, or None when the preview has no title."""
        if not (self.title or self.i18n_title):
            return None
        inline: dict[str, Any] = {"title": self.title or next(iter(self.i18n_title.values()))}
        if self.i18n_title:
            inline["i18n_title"] = dict(self.i18n_title)
        if self.image_key:
            inline["image_key"] = self.image_key
        if self.url:
            inline["url"] = dict(self.url)
        return inline

    def to_json(self, card: dict | None = None) -> dict[str, Any]:
        """The callback answer; `card` (default: this preview's card) as `{"type": "raw"|"template", "data"}`."""
        answer: dict[str, Any] = {}
        inline = self.inline_json()
        if inline is not None:
            answer["inline"] = inline
        card = self.card if card is None else card
        if card is not None:
            card = thaw(card)
            answer["card"] = card if is_template(card) else {"type": "raw", "data": card}
        return answer


def parse_preview_request(payload: dict[str, Any]) -> LinkPreviewRequest:
    """The request in a `url.preview.get` body; CallbackRejected(400) without `context.url` and `preview_token`."""
    header = object_field(payload, "header", "")
    event = object_field(payload, "event", "")
    context = object_field(event, "context", "event.")
    operator_fields = event.get("operator")
    operator = None
    if isinstance(operator_fields, dict) and any(operator_fields.get(key) for key in ("open_id", "user_id",
                                                                                      "union_id")):
        operator = operator_of(operator_fields, "event.operator.", text_field(header, "tenant_key", "header."))
    return LinkPreviewRequest(
        url=required_text(context, "url", "event.context."),
        preview_token=required_text(context, "preview_token", "event.context."),
        operator=operator,
        event_id=text_field(header, "event_id", "header.") or None,
        host=text_field(event, "host", "event."),
        message_id=text_field(context, "open_message_id", "event.context.") or None,
        chat_id=text_field(context, "open_chat_id", "event.context.") or None,
        app_id=text_field(header, "app_id", "header."),
        created_at=timestamp_datetime(header.get("create_time")),
    )


