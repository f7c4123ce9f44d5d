"""cardbot.Router: routes declared with decorators, the claims they make, the values they build, and the
mistakes refused when the plugin is imported."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from cardbot import Claims, Router
from cardbot.routing.router import find_router


@dataclass(frozen=True)
class Pick:
    item: str


def make_router() -> tuple[Router, dict]:
    router = Router()
    handlers = {}

    @router.click("shop", button_id="buy", value=Pick)
    def buy(action, value, state):
        return None

    @router.click("shop")
    def other(action):
        return None

    @router.click(name="order_form")
    def order(action, config):
        return None

    @router.command("shop")
    def shop(command, outbox):
        return "ok"

    @router.timer("restock:*")
    def restock(timer):
        return None

    handlers.update(buy=buy, other=other, order=order, shop=shop, restock=restock)
    return router, handlers


def test_the_routes_make_the_claims():
    router, _ = make_router()
    assert router.claims() == Claims(button_types=("shop",), names=("order_form",), commands=("shop",))
    assert sorted(router.hooks()) == ["cardbot_action", "cardbot_command", "cardbot_timer"]


def test_a_value_built_for_a_route_carries_its_button_type_fields_and_data():
    router, handlers = make_router()
    assert router.value(Pick("tea")) == {"button_type": "shop", "button_id": "buy", "item": "tea"}
    assert router.value(route=handlers["other"]) == {"button_type": "shop"}
    button = router.button("Buy tea", Pick("tea"), element_id="buy_tea", type="primary", size="small")
    assert button == {"tag": "button", "text": {"tag": "plain_text", "content": "Buy tea"}, "type": "primary",
                      "element_id": "buy_tea", "size": "small",
                      "behaviors": [{"type": "callback",
                                     "value": {"button_type": "shop", "button_id": "buy", "item": "tea"}}]}


def test_building_a_value_the_route_cannot_take_is_refused():
    router, handlers = make_router()
    with pytest.raises(TypeError, match="routes by component name"):
        router.value(route=handlers["order"])
    with pytest.raises(TypeError, match="takes a Pick value"):
        router.value(route=handlers["buy"])
    with pytest.raises(TypeError, match="declares no value type"):
        router.value(Pick("x"), route=handlers["other"])
    with pytest.raises(TypeError, match="no route takes a str value"):
        router.value("x")
    with pytest.raises(ValueError, match="is not a click route of this router"):
        router.value(route=lambda action: None)


def test_a_handler_taking_an_argument_its_hook_does_not_give_is_refused_at_import():
    router = Router()
    with pytest.raises(TypeError, match=r"takes 'message', which cardbot_action handlers are not given; they may "
                                        r"take: action, card, config, state, bot, outbox, timers"):
        @router.click("x")
        def wrong(action, message):
            return None
    with pytest.raises(TypeError, match=r"takes 'value'.*a route with value=YourDataclass gives `value`"):
        @router.click("x")
        def untyped(value):
            return None


def test_route_declarations_that_cannot_work_are_refused():
    router = Router()
    with pytest.raises(TypeError, match="by a button_type or by a component name"):
        router.click()
    with pytest.raises(TypeError, match="by a button_type or by a component name"):
        router.click("x", name="y")
    with pytest.raises(TypeError, match="cannot also match value fields"):
        router.click(name="y", button_id="z")
    with pytest.raises(TypeError, match="names one command"):
        router.command("re*")

    @router.click("x", button_id="a")
    def first(action):
        return None

    with pytest.raises(ValueError, match="both route clicks with button_type 'x', button_id='a'"):
        @router.click("x", button_id="a")
        def second(action):
            return None


def test_a_plugin_has_one_router():
    class Module:
        pass

    plugin = Module()
    plugin.a = Router()  # type: ignore[attr-defined]
    assert find_router(plugin) is plugin.a  # type: ignore[attr-defined]
    plugin.b = Router()  # type: ignore[attr-defined]
    with pytest.raises(TypeError, match="more than one cardbot.Router"):
        find_router(plugin)
