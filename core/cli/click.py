"""`bot.py click MESSAGE_ID BUTTON_ID --as OPEN_ID …`: click a stored card's component on a running server, as
Lark would, and print the answer (the `serve --dev` loop).

The component is found on the card as stored (by its `element_id`, its value's `button_id`, else its `name`);
the callback carries its tag, callback value and name, plus what the flags say was picked, typed or ticked.
It is built by `cardbot.testing.LarkCallbacks`, encrypted and signed with the secrets in the environment when
they are set (plain otherwise, which a `--dev` server accepts from loopback).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

import requests

from ..action import PREVIEW_CARD_PREFIX
from ..config import BotSettings, LarkSecrets, load_config
from ..patches import is_template
from ..store.schema import DatabaseMissing
from ..testing.callbacks import LarkCallbacks, Request
from .cards import read_shown
from ..testing.components import ClickNotPossible, Component, NoSuchComponent, click_action, find_component

TIMEOUT = 10.0
"""Seconds to wait for the answer (a click is answered within `[bot] deadline`, under 3 s)."""


class ClickFailed(Exception):
    """The click could not be sent or was refused; the message says why (exit status 1)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("message_id", metavar="MESSAGE_ID", help="the stored card to click on")
    parser.add_argument("button_id", metavar="BUTTON_ID",
                        help="the component: its element_id, its value's button_id, or its name")
    parser.add_argument("--as", dest="operator", metavar="OPEN_ID", required=True, help="who clicks (ou_…)")
    parser.add_argument("--option", dest="options", action="append", default=[], metavar="VALUE",
                        help="the chosen option (select, overflow, picker); repeat for a multi-select")
    parser.add_argument("--form", dest="form", action="append", default=[], type=_form_pair, metavar="KEY=VALUE",
                        help="a form field sent with a submit button (repeat; a multi-select's key once per choice)")
    parser.add_argument("--input", dest="input_value", metavar="TEXT", help="the text entered in an input")
    checked = parser.add_mutually_exclusive_group()
    checked.add_argument("--checked", dest="checked", action="store_const", const=True, default=None,
                         help="a checker ticked (default for a checker: the opposite of its state on the card)")
    checked.add_argument("--unchecked", dest="checked", action="store_const", const=False, help="a checker unticked")
    parser.add_argument("--timezone", metavar="TZ", help="the clicker's timezone, as pickers send (Asia/Shanghai)")
    parser.add_argument("--legacy", action="store_true", help="send a legacy card callback, not card.action.trigger")
    parser.add_argument("--url", metavar="URL", help="where to POST (default: http://127.0.0.1:PORT/lark/callback, "
                                                     "PORT from [bot] port)")
    parser.add_argument("--json", action="store_true", help="print the answer as it came, as JSON")
    parser.set_defaults(run=click)


def _form_pair(text: str) -> tuple[str, str]:
    key, equals, value = text.partition("=")
    if not equals or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, not {text!r}")
    return key, value


def click(args: argparse.Namespace) -> int:
    """Send the click and print the answer; exit 1 when it cannot be sent, is refused, or gets an error toast."""
    config = load_config(args.config)
    try:
        card = _stored_card(config.bot, args.message_id)
        component = _component(card, args.button_id)
        action = action_fields(component, args)
        body, headers = build_request(LarkSecrets.from_env(), args.message_id, args.operator, action,
                                      legacy=args.legacy)
        url = args.url or f"http://127.0.0.1:{config.bot.port}/lark/callback"
        answer = post(url, body, headers)
    except ClickFailed as failure:
        print(f"error: {failure}", file=sys.stderr)
        return 1
    print(json.dumps(answer, ensure_ascii=False, indent=2) if args.json else render(answer, legacy=args.legacy))
    toast = answer.get("toast")
    return 1 if isinstance(toast, dict) and toast.get("type") == "error" else 0


def _stored_card(settings: BotSettings, message_id: str) -> dict:
    if message_id.startswith(PREVIEW_CARD_PREFIX):
        raise ClickFailed("a link-preview card cannot be clicked from the command line (its link is not stored)")
    try:
        shown, location = asyncio.run(read_shown(settings, message_id, False))
    except DatabaseMissing as missing:
        raise ClickFailed(str(missing)) from None
    if shown is None:
        raise ClickFailed(f"no card stored for message {message_id} in {location}")
    card = shown["card"]
    if is_template(card):
        raise ClickFailed(f"{message_id} is a template card: its components are Lark's, so none can be found here")
    return card


def _component(card: dict, button_id: str) -> Component:
    try:
        return find_component(card, button_id)
    except NoSuchComponent as missing:
        raise ClickFailed(str(missing)) from None


def action_fields(component: Component, args: argparse.Namespace) -> dict[str, Any]:
    """The callback's `action` for a click on `component` with the flags' choices (see click_action)."""
    try:
        return click_action(component, options=args.options, form=args.form, input=args.input_value,
                            checked=args.checked, timezone=args.timezone, legacy=args.legacy)
    except ClickNotPossible as impossible:
        raise ClickFailed(str(impossible)) from None


def build_request(secrets: LarkSecrets, message_id: str, open_id: str, action: dict[str, Any], *,
                  legacy: bool = False) -> Request:
    """The body and headers Lark would POST for `action`, encrypted and signed with the secrets that are set."""
    kit = LarkCallbacks(secrets.verification_token, secrets.encrypt_key)
    fields = dict(action)
    tag, value = fields.pop("tag"), fields.pop("value", None)
    if legacy:
        return kit.legacy_card_action(message_id=message_id, open_id=open_id, value=value, tag=tag, user_id=None,
                                      **fields)
    return kit.card_action_trigger(message_id=message_id, open_id=open_id, value=value, tag=tag, user_id=None,
                                   union_id=None, **fields)


def post(url: str, body: bytes, headers: dict[str, str]) -> dict[str, Any]:
    """POST the callback; the answer's JSON object, or ClickFailed saying why there is none."""
    try:
        response = requests.post(url, data=body, headers=headers, timeout=TIMEOUT)
    except requests.ConnectionError:
        raise ClickFailed(f"nothing answers at {url}: start the bot with `python bot.py serve --dev` "
                          "(or pass --url)") from None
    except requests.Timeout:
        raise ClickFailed(f"{url} did not answer within {TIMEOUT:g} s") from None
    except requests.RequestException as error:
        raise ClickFailed(f"cannot POST to {url}: {error}") from None
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if response.status_code >= 400:
        message = answer.get("error") if isinstance(answer, dict) else None
        hint = (" (the bot checks signatures: give this command the bot's LARK_VERIFICATION_TOKEN and "
                "LARK_ENCRYPT_KEY, or serve with --dev and no secrets)" if response.status_code in (401, 403) else "")
        raise ClickFailed(f"the bot refused the click with {response.status_code}: "
                          f"{message or response.text.strip() or response.reason}{hint}")
    if not isinstance(answer, dict):
        raise ClickFailed(f"{url} answered {response.status_code} with something that is not a JSON object: "
                          f"{response.text[:200]!r}")
    return answer


def render(answer: dict[str, Any], *, legacy: bool) -> str:
    """The answer for a person: `toast: TYPE "TEXT"` on the first line, then the card it carries as JSON."""
    toast = answer.get("toast")
    if isinstance(toast, dict):
        first = f"toast: {toast.get('type', 'info')} {json.dumps(toast.get('content', ''), ensure_ascii=False)}"
    else:
        first = "toast: none"
    if legacy:
        card = {key: item for key, item in answer.items() if key != "toast"} or None
    else:
        card = answer.get("card")
        if isinstance(card, dict) and card.get("type") == "raw":
            card = card.get("data")
    shown = "card: unchanged" if card is None else json.dumps(card, ensure_ascii=False, indent=2)
    return f"{first}\n{shown}"
