"""Where a model's files are: a local folder or file, or a Hub id in the Hugging Face cache; and pushing a
finished folder to the Hub.

Nothing here downloads or loads a model: it answers "is it here, and what is it labelled" in
milliseconds, so a run can refuse a missing model before any work. A model ttsbench built (a tiny
or random stand-in) carries `ttsbench.json` with its label beside its files (for a single file,
`<file>.ttsbench.json`); every number made with it shows that label.
"""

from __future__ import annotations

import json
from pathlib import Path

MARKER = "ttsbench.json"


def is_local(name: str) -> bool:
    """A path (it exists, or is written as one) rather than a Hub id such as sesame/csm-1b."""
    return Path(name).exists() or name.startswith((".", "/", "~")) or name.count("/") != 1


def hub_file(repo: str, filename: str) -> Path | None:
    """The cached file of a Hub repository (its `refs/main` snapshot), or None."""
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return None
    found = try_to_load_from_cache(repo, filename)
    return Path(found) if isinstance(found, str) else None


def model_file(name: str, filename: str) -> Path | None:
    """`filename` of a model given as a folder or a Hub id, or None when it is not here."""
    if is_local(name):
        path = Path(name).expanduser() / filename
        return path if path.is_file() else None
    return hub_file(name, filename)


def label_of(name: str | Path) -> str:
    """The label of a model ttsbench built ("" for real weights): folder, single file or cached Hub id."""
    name = str(name)
    candidates = [Path(name) / MARKER, Path(name + "." + MARKER)] if is_local(name) else [hub_file(name, MARKER)]
    for path in candidates:
        if path is not None and path.is_file():
            return json.loads(path.read_text()).get("label", "")
    return ""


def push_folder(folder: Path, repo: str, public: bool, flag: str = "--push-to-hub", skip: tuple = ()) -> str:
    """Upload what `folder` holds (less `skip` patterns, locks and temporary files) to the Hub repository `repo`,
    made private unless `public`; the token comes from HF_TOKEN or the login. What was saved is never touched:
    a failure (no network, no token, a bad id) is one UserError saying the folder is kept and how to push again.
    Returns the commit's URL."""
    import os

    try:
        from huggingface_hub import HfApi

        api = HfApi(token=os.environ.get("HF_TOKEN"))
        api.create_repo(repo, private=not public, exist_ok=True)
        info = api.upload_folder(
            repo_id=repo, folder_path=str(folder), ignore_patterns=[*skip, ".lock", "*.tmp", ".staging/*"]
        )
    except Exception as e:  # the Hub client's errors are many (offline, HTTP, auth, id): all end here, in one line
        raise push_failed(e, folder, repo, flag) from None
    return str(getattr(info, "commit_url", "") or repo)


def push_failed(e: Exception, folder: Path, repo: str, flag: str = "--push-to-hub") -> Exception:
    """The one-line UserError of a push that failed: why, that `folder` is kept, and how to push again."""
    from .errors import UserError, redact

    text = str(e).strip()
    reason = redact(text.splitlines()[0] if text else type(e).__name__)[:200]
    return UserError(
        f"{flag} {repo}: not pushed ({type(e).__name__}: {reason}); what was made is kept in {folder}: "
        "run the same command again to push it (nothing is redone)"
    )
