"""Catch pytest choosing its rootdir from one of this plugin's option values.

pytest picks its rootdir and ini file before it loads plugins from entry points, so at that
moment `--report-dir /srv/reports` is an unknown option and `/srv/reports` looks like a test
path. When that path exists outside the project, pytest makes it the rootdir, never finds
the project's ini file, ignores its `testpaths` and collects everything under the current
directory: `pytest -k journey --report-dir /srv/reports` would run the harness's own tests
too. Written `--report-dir=/srv/reports`, the value stays attached to its option.

After the full parse the real test paths are known; if pytest's own rule
(`determine_setup`) gives another rootdir for them, the run stops with one line naming
the option and the fix. `determine_setup` is pytest-internal: if its shape changes, the
guard stands down rather than break a run.
"""

from __future__ import annotations

from pathlib import Path

import pytest

# The options of this plugin (and pytest-kind's) that take a path.
PATH_OPTIONS = ("--report-dir", "--kubeconfig", "--overlay", "--bootstrap-kit",
                "--platform-repo")


def _rootdir_for_real_args(config: pytest.Config) -> Path | None:
    try:
        from _pytest.config.findpaths import determine_setup
    except ImportError:
        return None
    opt = config.option
    try:
        rootpath, *_ = determine_setup(
            inifile=getattr(opt, "inifilename", None),
            override_ini=getattr(opt, "override_ini", None),
            args=list(getattr(opt, "file_or_dir", None) or []),
            rootdir_cmd_arg=getattr(opt, "rootdir", None) or None,
            invocation_dir=config.invocation_params.dir)
    except TypeError:
        return None
    return Path(rootpath)


def misread_option(config: pytest.Config) -> str | None:
    """The line to stop with when a path option's value decided the rootdir, else None."""
    args = [str(a) for a in config.invocation_params.args]
    separate = [(args[i], args[i + 1]) for i in range(len(args) - 1)
                if args[i] in PATH_OPTIONS]
    if not separate:
        return None
    expected = _rootdir_for_real_args(config)
    if expected is None or expected == config.rootpath:
        return None
    for option, value in separate:
        path = (config.invocation_params.dir / value).resolve()
        if path == config.rootpath or config.rootpath in path.parents:
            return (f"sovereign-e2e: pytest took {value} (the value of {option}) for a test "
                    f"path and chose it as its rootdir, so this project's pytest settings "
                    f"were not read: write {option}={value}")
    return None
