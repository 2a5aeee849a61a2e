"""Settings used by manage.py, the WSGI server and the worker.

Defaults come from coin.settings_base; an optional, git-ignored
``coin/settings_local.py`` holds the ISP's own values (for example
``echo 'DEBUG = True' >> coin/settings_local.py``); ``COIN_*`` environment
variables override both.
"""

from coin.settings_base import *  # noqa: F403

try:
    from coin.settings_local import *  # noqa: F403
except ModuleNotFoundError as error:
    if error.name != "coin.settings_local":
        raise

from coin.settings_support import finalize

finalize(globals())
