"""The `Action` value: who clicked which component on which card, whatever format Lark used."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final, Literal

from .frozen import FrozenDict

LEGACY: Final = "legacy"
"""`Action.format` of a callback to the message-card request URL (`card.action.trigger_v1`, flat body)."""
TRIGGER: Final = "card.action.trigger"
"""`Action.format` of a schema 2.0 `card.action.trigger` callback."""

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
    """One click (or select, form submit, input) on a card, parsed from either callback format.

        action.operator.id          # "ou_…", who clicked (see Operator)
        action.message_id           # "om_…", which card
        action.value["button_type"] # the developer value of the clicked component
        action.button_type          # the same, or None when the value has none

    Every field is read-only; `value` and `form_value` are read-only dicts (see `cardbot.thaw`).
    """

    format: CallbackFormat
    operator: Operator
    message_id: str
    delivery_id: str
    """Identifies this delivery: `header.event_id` (card.action.trigger) or a digest of the legacy body's
    update token, message, operator id and action (signed fields only). A redelivery carries the same id."""
    chat_id: str | None = None
    tag: str | None = None
    """The component's tag: `button`, `select_static`, `overflow`, `input`, `checker`, …"""
    name: str | None = None
    value: FrozenDict = field(default_factory=FrozenDict)
    option: str | None = None
    options: tuple[str, ...] = ()
    form_value: FrozenDict = field(default_factory=FrozenDict)
    input_value: str | None = None
    checked: bool | None = None
    timezone: str | None = None
    update_token: str | None = None
    """The card-update token (`c-…`): valid 30 minutes, usable twice, for a delayed update."""

    @property
    def button_type(self) -> str | None:
        """The `button_type` in the component's value (what routes the click to a plugin)."""
        button_type = self.value.get("button_type")
        return button_type if isinstance(button_type, str) and button_type else None

    @property
    def button_id(self) -> str | None:
        """The `button_id` in the component's value, when it has one."""
        button_id = self.value.get("button_id")
        return button_id if isinstance(button_id, str) and button_id else None

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
            "message_id": self.message_id,
            "delivery_id": self.delivery_id,
            "chat_id": self.chat_id,
            "tag": self.tag,
            "name": self.name,
            "value": self.value,
            "option": self.option,
            "options": list(self.options),
            "form_value": self.form_value,
            "input_value": self.input_value,
            "checked": self.checked,
            "timezone": self.timezone,
            "update_token": self.update_token,
        }
