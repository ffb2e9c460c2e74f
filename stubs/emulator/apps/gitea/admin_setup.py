"""The chart's configure-gitea step: make sure the site admin exists, sync its password.

Mirrors the Helm chart's init script: the admin is created when `gitea admin user list
--admin` does not show it; otherwise, with passwordMode keepUpdated (the default), the
password is re-synced on every start, and with the initialOnly* modes it is left alone.
Log lines carry names, never the password.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from .db import GiteaDB

PASSWORD_MODES = ("keepUpdated", "initialOnlyNoReset", "initialOnlyRequireReset")
DEFAULT_EMAIL_DOMAIN = "local.domain"


def configure_admin(db: GiteaDB, env: Mapping[str, str], log: Callable[[str], None]) -> None:
    username = env.get("GITEA_ADMIN_USERNAME", "")
    password = env.get("GITEA_ADMIN_PASSWORD", "")
    mode = env.get("GITEA_ADMIN_PASSWORD_MODE") or "keepUpdated"
    if not username or not password:
        log("no admin credentials in the environment; skipping admin setup")
        return
    if mode not in PASSWORD_MODES:
        # The chart refuses to render such a value; a hand-made pod gets no password sync.
        log(f"unknown admin password mode '{mode}'; password sync skipped")
    existing = db.user(username)
    if existing is None or not existing.is_admin:
        if db.account(username) is not None:
            log(f"Command error: user already exists [name: {username}]")
            return
        log(f"No admin user '{username}' found. Creating now...")
        db.create_user(username, env.get("GITEA_ADMIN_EMAIL") or
                       f"{username}@{DEFAULT_EMAIL_DOMAIN}", password, is_admin=True,
                       must_change_password=mode == "initialOnlyRequireReset")
        log(f"New user '{username}' has been successfully created!")
        return
    if mode == "keepUpdated":
        log(f"Admin account '{username}' already exist. Running update to sync password...")
        existing.set_password(password)
        existing.must_change_password = False
        log("...password sync done.")
    else:
        log(f"Admin account '{username}' already exist, but update mode is set to "
            f"'{mode}'. Skipping.")
