"""Find a component on a stored card the way a person finds it to click: by its id.

    component = find_component(card, "approve")   # by element_id, the value's button_id, or the name
    component.value, component.tag, component.name

Used by the test harness and `bot.py click` to build the click Lark would send for that component.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..patches.elements import iter_elements

CALLBACK = "callback"


@dataclass(frozen=True)
class Component:
    """A clickable component of a card: its tag, the callback value its click carries (an object, a string or
    None), its `name`, and the element itself."""

    tag: str
    value: Any
    name: str | None
    element: dict


class NoSuchComponent(LookupError):
    """No component of the card has the id asked for; the message lists the ids it has."""


def find_component(card: dict, component_id: str) -> Component:
    """The component whose `element_id`, value `button_id` or `name` is `component_id` (in that order of
    preference); NoSuchComponent listing the ids the card has."""
    components = list(clickable_components(card))
    for identify in (_element_id, _button_id, _name):
        match = next((c for c in components if identify(c) == component_id), None)
        if match is not None:
            return match
    known = sorted({i for c in components for i in (_element_id(c), _button_id(c), _name(c)) if i})
    raise NoSuchComponent(f"no component with id {component_id!r} on this card; its ids: "
                          f"{', '.join(known) if known else '(none: it has no clickable component)'}")


def clickable_components(card: dict) -> list[Component]:
    """Every component of `card` that a click can come from: one with a callback value or a name."""
    found = []
    for _, element, _, _ in iter_elements(card):
        value = callback_value(element)
        name = element.get("name") if isinstance(element.get("name"), str) else None
        if value is not None or name is not None:
            found.append(Component(str(element.get("tag")), value, name, element))
    return found


def click_fields(component: Component, *, option: str | None = None, options: Sequence[str] | None = None,
                 form: Mapping[str, Any] | None = None, input: str | None = None, checked: bool | None = None,
                 value: Any = None) -> dict[str, Any]:
    """The keyword arguments of `LarkCallbacks.card_action_trigger` for a click on `component`: its tag, value
    (`value` overrides it) and name, and what the person chose (`option`, `options`, `form` values, `input`
    text, `checked`)."""
    fields: dict[str, Any] = {"tag": component.tag, "value": component.value if value is None else value}
    for key, given in (("name", component.name), ("option", option), ("input_value", input), ("checked", checked)):
        if given is not None:
            fields[key] = given
    if options is not None:
        fields["options"] = list(options)
    if form is not None:
        fields["form_value"] = dict(form)
    return fields


def callback_value(element: dict) -> Any:
    """The value a click on `element` carries: JSON 2.0 `behaviors[{type: callback, value}]`, else the JSON 1.0
    `value`; None when it has neither."""
    for behavior in element.get("behaviors") or ():
        if isinstance(behavior, dict) and behavior.get("type") == CALLBACK:
            return behavior.get("value")
    return element.get("value")


def _element_id(component: Component) -> str | None:
    return component.element.get("element_id")


def _button_id(component: Component) -> str | None:
    value = component.value
    return value.get("button_id") if isinstance(value, dict) else None


def _name(component: Component) -> str | None:
    return component.name
