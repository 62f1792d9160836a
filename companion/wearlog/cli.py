"""The `wearlog` command: a thin layer over the Python API.

Each area registers its commands in its own module under wearlog.commands;
COMMAND_MODULES lists them so `wearlog --help` stays quick (imports are lazy).
"""

from __future__ import annotations

import importlib

import click

# module name under wearlog.commands -> command names it defines
COMMAND_MODULES: dict[str, tuple[str, ...]] = {
    "ble": ("scan", "pair", "sync", "unpair", "device"),
    "demo": ("demo",),
    "app": ("app",),
    "users": ("user", "token"),
    "serve": ("serve",),
    "data": ("report", "import", "export", "backup", "restore"),
    "pipeline": ("refresh", "enrol"),
    "db": ("db",),
}


class LazyGroup(click.Group):
    """Imports a command's module only when that command is used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        names = set(super().list_commands(ctx))
        for cmds in COMMAND_MODULES.values():
            names.update(cmds)
        return sorted(names)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        cmd = super().get_command(ctx, cmd_name)
        if cmd is not None:
            return cmd
        for module, cmds in COMMAND_MODULES.items():
            if cmd_name in cmds:
                mod = importlib.import_module(f"wearlog.commands.{module}")
                found = getattr(mod, cmd_name.replace("-", "_"))
                assert isinstance(found, click.Command)
                return found
        return None

    def invoke(self, ctx: click.Context) -> object:
        """Our own refusals (bad id, unknown patient, busy database…) are messages for
        the person at the keyboard: one line, no traceback, whichever command raised them."""
        try:
            return super().invoke(ctx)
        except Exception as e:
            if _is_user_error(e):
                raise click.ClickException(str(e)) from e
            raise


def _is_user_error(e: Exception) -> bool:
    """The package error roots whose messages say what to do (imported only when needed)."""
    from wearlog.accounts.errors import AccountError
    from wearlog.store.errors import StoreError

    return isinstance(e, StoreError | AccountError)


@click.group(cls=LazyGroup)
@click.version_option(package_name="wearlog")
def main() -> None:
    """Wearlog: sleep, activity and symptom evidence from a wrist-worn logger.

    Educational and informational only: Wearlog does not diagnose or treat.
    Talk with your clinician about what you see.
    """


if __name__ == "__main__":
    main()
