import asyncio, sys, time
import test_slack as ts
from test_slack import door  # noqa
def test_debug(door):
    project = ts._plan(door)
    approve, message = door.button("director_approve")
    door.click(approve, message); door.background.wait_idle(60)
    confirm, message = door.button("director_confirm")
    door.click(confirm, message)
    try:
        door.background.wait_idle(40)
    except TimeoutError:
        for t in asyncio.all_tasks(door.background.loop):
            t.print_stack(limit=30, file=sys.stdout)
        raise
