"""`Patch`: how a plugin says what should change on a card, and which toast to show."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from functools import update_wrapper
from types import MethodType
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar, cast

from ..errors import PatchError
from ..frozen import thaw
from ..jsoncodec import dumps
from ..toast import Toast, ToastType
from .json_values import json_type
from .ops import check_target, frozen_op


P = ParamSpec("P")
R = TypeVar("R")


class _builder(Generic[P, R]):
    """Makes `Patch.x(...)` start a new patch and `patch.x(...)` extend `patch`; typed as the method is, so
    `Patch.toast(...)` and `patch.toast(...)` both type-check with the method's own parameters."""

    def __init__(self, method: Callable[Concatenate[Patch, P], R]) -> None:
        self.method = method
        update_wrapper(cast(Any, self), method)

    def __get__(self, instance: Patch | None, owner: type[Patch]) -> Callable[P, R]:
        return MethodType(self.method, owner() if instance is None else instance)


@dataclasses.dataclass(frozen=True)
class Patch:
    """A change to a card plus an optional toast, built by chaining:

        Patch.element("status").merge({"content": "Released"}).toast("success", "已完成")
        Patch.button("1626958617426").replace({"tag": "div", "text": {"tag": "lark_md", "content": "Done"}})
        Patch.elements([...], locale="zh_cn") + Patch.toast("info", "Nothing to do")

    Each builder works on the class (a new patch) and on a patch (a new patch with one more op or the
    toast set); a patch never changes. Ops apply in order (see `apply_patch`); their JSON shapes are
    listed in `cardbot.patches.ops`. Arguments are checked at once: TypeError/ValueError say what is wrong.
    """

    ops: tuple[Mapping[str, Any], ...] = ()
    toast_value: Toast | None = None

    @classmethod
    def empty(cls) -> Patch:
        """A patch that changes nothing and shows no toast (the same as `Patch()`)."""
        return cls()

    @property
    def changes_card(self) -> bool:
        """True when the patch has at least one op."""
        return bool(self.ops)

    @_builder
    def replace(self, card: dict) -> Patch:
        """Replace the whole card with `card`."""
        return self._with({"op": "replace", "card": card})

    @_builder
    def merge(self, merge_patch: dict) -> Patch:
        """Merge `merge_patch` into the card (RFC 7396: objects merge, `None` removes, the rest replaces)."""
        return self._with({"op": "merge", "patch": merge_patch})

    @_builder
    def json_patch(self, operations: list[dict]) -> Patch:
        """Apply RFC 6902 operations: `[{"op": "replace", "path": "/header/template", "value": "green"}]`."""
        return self._with({"op": "json_patch", "operations": operations})

    @_builder
    def elements(self, elements: list[dict], locale: str | None = None) -> Patch:
        """Replace a whole element list: the card's (`elements` in 1.0, `body.elements` in 2.0), or with
        `locale` that of `i18n_elements[locale]` (1.0 cards only)."""
        return self._with({"op": "elements", "locale": locale, "elements": elements})

    @_builder
    def element(self, element_id: str) -> ElementTarget:
        """Target every element with this `element_id`: `.replace(e)`, `.merge(d)`, `.remove()`,
        `.insert_before(*es)`, `.insert_after(*es)`."""
        return ElementTarget(self, {"element_id": element_id})

    @_builder
    def button(self, button_id: str) -> ElementTarget:
        """Target every component whose value (1.0) or `behaviors[].value` (2.0) has this `button_id`."""
        return ElementTarget(self, {"button_id": button_id})

    @_builder
    def named(self, name: str) -> ElementTarget:
        """Target every component with this `name` (form fields, form submit buttons, inputs, pickers)."""
        return ElementTarget(self, {"name": name})

    @_builder
    def variables(self, variables: dict) -> Patch:
        """Change a template card's variables: merged into `data.template_variable` (None removes one)."""
        return self._with({"op": "variables", "variables": variables})

    @_builder
    def toast(self, type: ToastType, content: str, i18n: dict[str, str] | None = None) -> Patch:
        """Show a toast (`info`, `success`, `error` or `warning`); a later toast replaces an earlier one."""
        if i18n is not None and not isinstance(i18n, dict):
            raise TypeError(f"toast i18n must be a dict of locale -> text, not {json_type(i18n)}")
        return self.__class__(self.ops, Toast(type, content, dict(i18n or {})))

    def __add__(self, other: Patch) -> Patch:
        """`a + b`: a's ops then b's; b's toast when it has one, else a's."""
        if not isinstance(other, Patch):
            return NotImplemented
        toast = self.toast_value if other.toast_value is None else other.toast_value
        return Patch(self.ops + other.ops, toast)

    def to_json(self) -> dict[str, Any]:
        """`{"ops": [...], "toast": {...} | None}`, plain JSON; `Patch.from_json` reads it back."""
        return {"ops": thaw(self.ops), "toast": None if self.toast_value is None else self.toast_value.to_json()}

    def to_json_text(self) -> str:
        """`to_json()` as compact JSON text, written straight from the frozen ops (no plain copy first)."""
        return dumps({"ops": self.ops, "toast": None if self.toast_value is None else self.toast_value.to_json()})

    @classmethod
    def from_json(cls, data: Any) -> Patch:
        """The patch `to_json()` described; raises PatchError saying what is wrong with anything else."""
        if not isinstance(data, dict) or "ops" not in data or data.keys() - {"ops", "toast"}:
            raise PatchError('a patch is a JSON object {"ops": [...], "toast": {...} | null}')
        if not isinstance(data["ops"], list):
            raise PatchError("a patch's 'ops' must be an array")
        ops = []
        for index, op in enumerate(data["ops"]):
            try:
                ops.append(frozen_op(op))
            except (TypeError, ValueError) as err:
                raise PatchError(f"patch op {index}: {err}") from None
        try:
            toast = None if data.get("toast") is None else Toast.from_json(data["toast"])
        except (TypeError, ValueError) as err:
            raise PatchError(f"patch toast: {err}") from None
        return cls(tuple(ops), toast)

    def _with(self, op: dict[str, Any]) -> Patch:
        return self.__class__((*self.ops, frozen_op(op)), self.toast_value)


@dataclasses.dataclass(frozen=True)
class ElementTarget:
    """The elements an element op changes; made by `Patch.element(id)` or `Patch.button(id)`.

    Every method returns the patch with one more op; the op changes every matching element on the
    card (in every `i18n_elements` locale) and fails when there is none.
    """

    patch: Patch
    target: dict[str, str]

    def __post_init__(self) -> None:
        check_target(self.target)

    def replace(self, element: dict) -> Patch:
        """Put `element` in place of each match."""
        return self._with("replace", element=element)

    def merge(self, partial: dict) -> Patch:
        """Merge `partial` into each match (RFC 7396: `None` removes a key)."""
        return self._with("merge", patch=partial)

    def remove(self) -> Patch:
        """Remove each match."""
        return self._with("remove")

    def insert_before(self, *elements: dict) -> Patch:
        """Insert `elements` just before each match, in the same list."""
        return self._with("insert_before", elements=list(elements))

    def insert_after(self, *elements: dict) -> Patch:
        """Insert `elements` just after each match, in the same list."""
        return self._with("insert_after", elements=list(elements))

    def _with(self, action: str, **payload: Any) -> Patch:
        return self.patch._with({"op": "element", "target": self.target, "action": action, **payload})
