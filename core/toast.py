"""`Toast`: the short message Lark shows the clicker after a callback is answered."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

ToastType = Literal["info", "success", "error", "warning"]
TOAST_TYPES: tuple[str, ...] = ("info", "success", "error", "warning")


@dataclass(frozen=True, slots=True)
class Toast:
    """A toast: `Toast("success", "已完成", {"en_us": "Done"})`. `i18n` maps Lark locale keys to text."""

    type: ToastType
    content: str
    i18n: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.type not in TOAST_TYPES:
            raise ValueError(f"toast type must be one of {', '.join(TOAST_TYPES)}, not {self.type!r}")
        if not isinstance(self.content, str):
            raise TypeError(f"toast content must be a string, not {type(self.content).__name__}")
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in self.i18n.items()):
            raise TypeError("toast i18n must map locale strings to strings")

    def to_json(self) -> dict[str, Any]:
        """The toast as Lark expects it in a callback answer."""
        body: dict[str, Any] = {"type": self.type, "content": self.content}
        if self.i18n:
            body["i18n"] = dict(self.i18n)
        return body

    @classmethod
    def from_json(cls, data: Any) -> Toast:
        """Rebuild a toast from `to_json()` output; raises ValueError/TypeError on anything else."""
        if not isinstance(data, dict):
            raise TypeError(f"a toast is a JSON object, not {type(data).__name__}")
        return cls(data.get("type", ""), data.get("content", ""), dict(data.get("i18n") or {}))
