"""Where a bench's or a sweep's work runs: `local` (this process) or `ray` (a local or remote Ray cluster,
`RAY_ADDRESS`). One place checks the name and starts Ray, for the runner and the sweep alike."""

from __future__ import annotations

import os

from ttsbench.core.errors import UserError

EXECUTORS = ("local", "ray")


def check_executor(executor: str) -> None:
    if executor not in EXECUTORS:
        raise UserError(f"executor {executor!r}: use {' or '.join(EXECUTORS)}")


def start_ray():
    """The `ray` module, connected (to `RAY_ADDRESS`, else a local cluster started now); one line when Ray
    is not installed."""
    try:
        import ray
    except ImportError:
        raise UserError("executor ray: Ray is not installed; pip install 'ttsbench[ray]'") from None
    ray.init(
        address=os.environ.get("RAY_ADDRESS"), ignore_reinit_error=True, include_dashboard=False, log_to_driver=False
    )
    return ray
