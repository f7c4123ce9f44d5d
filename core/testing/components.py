"""Find a component on a stored card the way a person finds it to click, and build the `action` Lark's callback
carries for that click. Used by the test harness, `BotServer.click` and `bot.py click`.

    component = find_component(card, "approve")     # by element_id, else its value's button_id, else its name
    action = click_action(component, options=["a"], form={"reason": "late"})
    # {"tag": "button", "value": {...}, "name": ..., "option": "a", "form_value": {...}, ...}
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..patches import iter_elements

MULTI_TAGS = frozenset({"multi_select_static", "multi_select_person", "select_img"})
"""Components whose choice arrives as `options`, a list, however many were chosen."""
LEGACY_TAGS = {"date_picker": "datepicker"}
"""Tags a legacy callback spells differently from the card."""
PERSON_PICKERS = ("select_person", "multi_select_person")


class NoSuchComponent(LookupError):
    """No clickable component of the card has the id asked for; the message lists those it has."""


class ClickNotPossible(ValueError):
    """The choice asked for cannot be made on this component (an option it does not list, a form field its form
    does not have, form values for something that is not a submit button)."""


@dataclass(frozen=True)
class Component:
    """A clickable component of a card: the element, and for a form's submit button, the form's fields."""

    element: dict
    label: str
    """How a click names it: its element_id, else its value's button_id, else its name."""
    fields: dict[str, dict] | None = None
    """For a form's submit button: the form's named fields, by name."""

    @property
    def tag(self) -> str:
        return str(self.element["tag"])

    @property
    def value(self) -> Any:
        """The callback value its click carries (an object, a string) or None."""
        return callback_value(self.element)

    @property
    def name(self) -> str | None:
        name = self.element.get("name")
        return name if isinstance(name, str) else None


def clickable_components(card: dict) -> list[Component]:
    """Every component of `card` that calls back, in card order: those with a callback value, named ones
    outside forms, and each form's submit buttons (a form's other fields call back only through them)."""
    in_forms: dict[int, dict] = {}
    for slot in iter_elements(card):
        if slot.element["tag"] == "form":
            in_forms.update((id(inner.element), slot.element) for inner in iter_elements(slot.element))
    found = []
    for slot in iter_elements(card):
        element = slot.element
        form = in_forms.get(id(element))
        label = _label(element)
        if label is None or element["tag"] == "form":
            continue
        if form is not None and _is_submit(element):
            fields = {field.element["name"]: field.element for field in iter_elements(form)
                      if isinstance(field.element.get("name"), str) and not _is_submit(field.element)}
            found.append(Component(element, label, fields))
        elif form is None and (callback_value(element) is not None or "name" in element):
            found.append(Component(element, label))
    return found


def find_component(card: dict, component_id: str) -> Component:
    """The component `component_id` names: by element_id first, then by its value's button_id, then by name;
    NoSuchComponent listing the card's clickable components."""
    components = clickable_components(card)
    for matches in (lambda e: e.get("element_id") == component_id, lambda e: _button_id(e) == component_id,
                    lambda e: e.get("name") == component_id):
        for component in components:
            if matches(component.element):
                return component
    labels = ", ".join(component.label for component in components) or "none"
    raise NoSuchComponent(f"no component {component_id!r} on this card; the card's clickable components: {labels}")


def click_action(component: Component, *, options: Sequence[str] = (),
                 form: Mapping[str, Any] | Iterable[tuple[str, Any]] = (), input: str | None = None,
                 checked: bool | None = None, timezone: str | None = None, legacy: bool = False) -> dict[str, Any]:
    """The callback's `action` for a click on `component`: its tag, callback value and name, plus what was
    chosen: `options` (one for a select or overflow; a multi-select's arrive as a list), `form` values (a
    submit button's form; a multi-select field may be given a list, or as repeated pairs), `input` text,
    `checked` (a checker defaults to the opposite of its state on the card), the clicker's `timezone`.
    ClickNotPossible for a choice the component cannot take."""
    element, tag = component.element, component.tag
    action: dict[str, Any] = {"tag": LEGACY_TAGS.get(tag, tag) if legacy else tag}
    if component.value is not None:
        action["value"] = component.value
    if component.name is not None:
        action["name"] = component.name
    if options:
        _check_options(element, list(options))
        if tag in MULTI_TAGS or len(options) > 1:
            action["options"] = list(options)
        else:
            action["option"] = options[0]
    pairs = _pairs(form)
    if component.fields is not None:
        action["form_value"] = _form_value(component, pairs)
    elif pairs:
        raise ClickNotPossible(f"form values are for a form's submit button; {component.label!r} is a {tag}")
    if input is not None:
        action["input_value"] = input
    if checked is None and tag == "checker":
        checked = not element.get("checked", False)
    if checked is not None:
        action["checked"] = checked
    if timezone:
        action["timezone"] = timezone
    return action


def chosen_options(option: str | None, options: Sequence[str] | None) -> list[str]:
    """What a test says was picked: a select's one `option`, or a multi-select's `options` (not both)."""
    if option is not None and options is not None:
        raise TypeError("give option= (a select's one choice) or options= (a multi-select's), not both")
    return [option] if option is not None else list(options or ())


def callback_value(element: dict) -> Any:
    """The value a click on `element` sends: its `behaviors[]` callback value (JSON 2.0) or its `value` (1.0)."""
    behaviors = element.get("behaviors")
    if isinstance(behaviors, list):
        for behavior in behaviors:
            if isinstance(behavior, dict) and behavior.get("type") == "callback" and "value" in behavior:
                return behavior["value"]
    return element.get("value")


def _pairs(form: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> list[tuple[str, Any]]:
    if not isinstance(form, Mapping):
        return list(form)
    return [(key, item) for key, given in form.items()
            for item in (given if isinstance(given, (list, tuple)) else [given])]


def _label(element: dict) -> str | None:
    for label in (element.get("element_id"), _button_id(element), element.get("name")):
        if isinstance(label, str) and label:
            return label
    return None


def _button_id(element: dict) -> str | None:
    value = callback_value(element)
    return value.get("button_id") if isinstance(value, dict) else None


def _is_submit(element: dict) -> bool:
    behaviors = element.get("behaviors")
    return element.get("form_action_type") == "submit" or isinstance(behaviors, list) and any(
        isinstance(b, dict) and b.get("type") == "form_action" and b.get("behavior", "submit") == "submit"
        for b in behaviors)


def _choices(element: dict) -> list[str]:
    options = element.get("options")
    if not isinstance(options, list):
        return []
    return [option["value"] for option in options if isinstance(option, dict) and isinstance(option.get("value"), str)]


def _check_options(element: dict, chosen: list[str]) -> None:
    if element["tag"] in PERSON_PICKERS:
        return  # a person picker may offer everyone in the chat, not only the options it lists
    choices = _choices(element)
    unknown = [option for option in chosen if choices and option not in choices]
    if unknown:
        raise ClickNotPossible(f"{element['tag']} has no option {unknown[0]!r}; its options: {', '.join(choices)}")


def _form_value(component: Component, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    assert component.fields is not None
    form_value: dict[str, Any] = {}
    for key, value in pairs:
        field = component.fields.get(key)
        if field is None:
            names = ", ".join(component.fields) or "none"
            raise ClickNotPossible(f"the form of {component.label!r} has no field {key!r}; its fields: {names}")
        if field["tag"] in MULTI_TAGS:
            form_value.setdefault(key, []).append(value)
        elif key in form_value:
            raise ClickNotPossible(f"{key!r} is given twice, but it is a {field['tag']}, which holds one value")
        else:
            form_value[key] = value
    return form_value
