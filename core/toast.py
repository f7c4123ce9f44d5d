"""`Toast`: the short message Lark shows the clicker after a callback is answered."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

ToastType = Literal["info", "success", "error", "warning"]
TOAST_TYPES: tuple[str, ...] = ("info", "success", "error", "warning")
LARK_LOCALES: tuple[str, ...] = ("zh_cn", "en_us", "ja_jp", "zh_hk", "zh_tw", "id_id", "vi_vn", "th_th", "pt_br",
                                 "es_es", "ko_kr", "de_de", "fr_fr", "it_it", "ru_ru", "ms_my")
"""The locale keys Lark's clients read in a toast's (and a card's) `i18n`."""


def check_i18n(i18n: object, what: str = "toast i18n") -> dict[str, str]:
    """A copy of `i18n` once it maps Lark locale keys (LARK_LOCALES) to strings; TypeError naming `what` else."""
    if not isinstance(i18n, dict):
        raise TypeError(f"{what} must be a dict of locale -> text, not {type(i18n).__name__}")
    for key, text in i18n.items():
        if key not in LARK_LOCALES:
            raise TypeError(f"{what}: {key!r} is not a Lark locale; use one of {', '.join(LARK_LOCALES)}")
        if not isinstance(text, str):
            raise TypeError(f"{what} must map locale strings to strings; {key!r} maps to {type(text).__name__}")
    return dict(i18n)


@dataclass(frozen=True, slots=True)
class Toast:
    """A toast: `Toast("success", "已完成", {"en_us": "Done"})`. `i18n` maps Lark locale keys (LARK_LOCALES)
    to text; anything else is a TypeError."""

    type: ToastType
    content: str
    i18n: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.type not in TOAST_TYPES:
            raise ValueError(f"toast type must be one of {', '.join(TOAST_TYPES)}, not {self.type!r}")
        if not isinstance(self.content, str):
            raise TypeError(f"toast content must be a string, not {type(self.content).__name__}")
        check_i18n(self.i18n)

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
