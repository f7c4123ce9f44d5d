"""Routes clicks with a Router and also implements cardbot_action itself: start-up must refuse it."""

from cardbot import Router, hookimpl

router = Router()


@router.click("clash")
def routed(action):
    return None


@hookimpl
def cardbot_action(action):
    return None
