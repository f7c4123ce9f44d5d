"""The `Action` value: who clicked which component on which card, whatever format Lark used."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, Literal

from .frozen import FrozenDict

LEGACY: Final = "legacy"
"""`Action.format` of a callback to the message-card request URL (`card.action.trigger_v1`, flat body)."""
TRIGGER: Final = "card.action.trigger"
"""`Action.format` of a schema 2.0 `card.action.trigger` callback."""

URL_PREVIEW: Final = "url_preview"
"""`Action.delivery_type` of a click on a link-preview card: it is stored under `preview:<preview_token>`."""
PREVIEW_CARD_PREFIX: Final = "preview:"

CallbackFormat = Literal["legacy", "card.action.trigger"]
OperatorIdType = Literal["open_id", "user_id", "union_id"]


@dataclass(frozen=True, slots=True)
class Operator:
    """The person who clicked, known by at least one of open_id, user_id and union_id.

        action.operator.id          # "ou_…": key people by this (votes, history, dedupe)
        action.operator.id_type     # "open_id", or "user_id" / "union_id" when Lark sent no open_id

    Lark usually sends an open_id, but some callbacks carry only a user_id or a union_id, so any
    single id may be None. ValueError when all three are missing.
    """

    open_id: str | None = None
    user_id: str | None = None
    union_id: str | None = None
    tenant_key: str | None = None

    def __post_init__(self) -> None:
        if not (self.open_id or self.user_id or self.union_id):
            raise ValueError("an Operator needs an open_id, a user_id or a union_id")

    @property
    def id_type(self) -> OperatorIdType:
        """Which id `id` is: the first of open_id, user_id, union_id that is set."""
        return "open_id" if self.open_id else "user_id" if self.user_id else "union_id"

    @property
    def id(self) -> str:
        """The person's stable id: the open_id, else the user_id, else the union_id."""
        return self.open_id or self.user_id or self.union_id  # type: ignore[return-value]  # one is set


@dataclass(frozen=True, slots=True)
class Action:
    """One interaction with a card component (button, overflow, select, picker, input, checker, form
    submit, …), parsed from either callback format.

        action.operator.id          # "ou_…", who clicked (see Operator)
        action.card_id              # which stored card: the message id, or "preview:<token>" (link previews)
        action.value["button_type"] # the developer value of the clicked component (an object value)
        action.button_type          # what routes the click: value["button_type"], or a string value itself
        action.name                 # the component's `name` (forms, inputs, pickers): routes too
        action.form_value["reason"] # a form submit's fields, by component name

    Every field is read-only; `value` and `form_value` are read-only dicts (see `cardbot.thaw`).
    """

    format: CallbackFormat
    operator: Operator
    card_id: str
    """The key of the card in the store: `message_id`, or for a link-preview card `preview:<preview_token>`."""
    delivery_id: str
    """Identifies this delivery: `header.event_id` (card.action.trigger) or a digest of the legacy body's
    update token, message, operator id and action (signed fields only). A redelivery carries the same id."""
    message_id: str | None = None
    """The message holding the card (`om_…`). For a link-preview card it is the message holding the link,
    when Lark says (it is None while a link is only typed)."""
    chat_id: str | None = None
    tag: str | None = None
    """The component's tag: `button`, `overflow`, `select_static`, `multi_select_static`, `select_person`,
    `multi_select_person`, `date_picker` (`datepicker` in legacy callbacks), `picker_time`, `picker_datetime`,
    `input`, `checker`, `interactive_container`, …"""
    name: str | None = None
    """The component's `name`: set on form fields, form submit buttons and named components."""
    value: FrozenDict = field(default_factory=FrozenDict)
    """The component's callback value when it is a JSON object (empty when absent or a string)."""
    value_text: str | None = None
    """The component's callback value when it is a string (Lark allows both); None otherwise."""
    option: str | None = None
    """The choice of an overflow, select_static, select_person or picker ("2024-04-01 +0800", "00:00 +0800")."""
    options: tuple[str, ...] = ()
    """The choices of a multi_select_static or multi_select_person."""
    form_value: FrozenDict = field(default_factory=FrozenDict)
    """A form submit's fields: component name → value (a string, or a tuple for multi-selects)."""
    input_value: str | None = None
    checked: bool | None = None
    timezone: str | None = None
    update_token: str | None = None
    """The card-update token (`c-…`): valid 30 minutes, usable twice, for a delayed update."""
    host: str | None = None
    """Where the card is shown: `im_message`, `im_top_notice` (a pinned notice), …; None when not sent."""
    delivery_type: str | None = None
    """`url_preview` for a card shown as a link preview; None for a card sent as a message."""
    url: str | None = None
    """A link-preview card's URL (`context.url`)."""
    preview_token: str | None = None
    """A link-preview card's token (`context.preview_token`), the key to refresh it with."""
    app_id: str | None = None
    """`header.app_id` (card.action.trigger only)."""
    created_at: datetime | None = None
    """When Lark made the callback (`header.create_time`, card.action.trigger only), an aware UTC datetime."""

    @property
    def button_type(self) -> str | None:
        """What routes the click by type: the `button_type` in an object value, or a string value itself."""
        button_type = self.value.get("button_type") if self.value_text is None else self.value_text
        return button_type if isinstance(button_type, str) and button_type else None

    @property
    def button_id(self) -> str | None:
        """The `button_id` in the component's value, when it has one."""
        button_id = self.value.get("button_id")
        return button_id if isinstance(button_id, str) and button_id else None

    @property
    def raw_value(self) -> FrozenDict | str:
        """The callback value as sent: the string, or the (possibly empty) object."""
        return self.value if self.value_text is None else self.value_text

    @property
    def is_link_preview(self) -> bool:
        """True for a click on a link-preview card (`delivery_type` "url_preview")."""
        return self.delivery_type == URL_PREVIEW

    def to_json(self) -> dict[str, Any]:
        """A plain JSON-ready dict of every field (for logs, history and tests)."""
        return {
            "format": self.format,
            "operator": {
                "id": self.operator.id,
                "id_type": self.operator.id_type,
                "open_id": self.operator.open_id,
                "user_id": self.operator.user_id,
                "union_id": self.operator.union_id,
                "tenant_key": self.operator.tenant_key,
            },
            "card_id": self.card_id,
            "message_id": self.message_id,
            "delivery_id": self.delivery_id,
            "chat_id": self.chat_id,
            "tag": self.tag,
            "name": self.name,
            "value": self.value,
            "value_text": self.value_text,
            "option": self.option,
            "options": list(self.options),
            "form_value": self.form_value,
            "input_value": self.input_value,
            "checked": self.checked,
            "timezone": self.timezone,
            "update_token": self.update_token,
            "host": self.host,
            "delivery_type": self.delivery_type,
            "url": self.url,
            "preview_token": self.preview_token,
            "app_id": self.app_id,
            "created_at": None if self.created_at is None else self.created_at.isoformat(),
        }
