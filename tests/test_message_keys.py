"""Every text in both languages (issue 19, item 7): each test lists the keys missing in either
language, so a failure names them. Server texts are domain/messages.py; the front end's are the
technician app's dictionaries and the console panels' addTexts() (read by tests/i18n_keys.mjs).

Pure tests: no database.
"""

from __future__ import annotations

import json
import pathlib
import re
import string
import subprocess

import pytest

from domain import messages
from domain.lifecycle import Action
from domain.vocabulary import ClosureCategory, Kind, Method, Outcome, Role, State
from services.reference.service import technician_spec

ROOT = pathlib.Path(__file__).resolve().parent.parent
SRC = ROOT / "static" / "pwa" / "src"
CJK = re.compile(r"[\u4e00-\u9fff]")


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_server_message_is_written_in_both_languages():
    missing = [
        key
        for key, (zh, en) in messages.MESSAGES.items()
        if not zh.strip() or not en.strip() or not CJK.search(zh) or CJK.search(en)
    ]
    assert missing == []


def test_both_languages_of_a_message_take_the_same_parameters():
    differing = [
        key for key, (zh, en) in messages.MESSAGES.items() if _placeholders(zh) != _placeholders(en)
    ]
    assert differing == []


@pytest.mark.parametrize(
    "table, values",
    [
        (messages.STATE_NAMES, State),
        (messages.ACTION_NAMES, Action),
        (messages.KIND_NAMES, Kind),
        (messages.ROLE_NAMES, Role),
        (messages.CLOSURE_CATEGORY_NAMES, ClosureCategory),
    ],
)
def test_every_value_of_the_vocabulary_has_a_name_in_both_languages(table, values):
    missing = [v.value for v in values if v.value not in table or not all(table[v.value])]
    assert missing == []


_RAISED = re.compile(
    r"\b(?:NotFound|Forbidden|Conflict|Invalid|RateLimited|Unauthorized|BadRequest|DomainError|"
    r'Issue|render)\(\s*"([a-z_]+\.[a-z_.]+)"'
)


def test_every_message_key_the_code_raises_has_texts():
    missing = sorted(
        {
            (m.group(1), str(path.relative_to(ROOT)))
            for folder in ("api", "domain", "sync", "push", "events", "ops")
            for path in (ROOT / folder).rglob("*.py")
            for m in _RAISED.finditer(path.read_text(encoding="utf-8"))
            if m.group(1) not in messages.MESSAGES
        }
    )
    assert missing == []


def test_english_articles_follow_the_filled_in_name():
    text = messages.render(
        "routing.wrong_team",
        "en",
        {"kind": "install", "allowed": ["install"], "team_function": "repair"},
    )
    assert text == "An install order goes to an install team; the assignee is in the repair team."
    assert messages.render("routing.no_team", "en", {"kind": "repair"}).endswith(
        "take a repair order."
    )


# ---- the front end --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def front_end_keys() -> dict[str, dict[str, list[str]]]:
    out = subprocess.run(
        ["node", str(ROOT / "tests" / "i18n_keys.mjs"), str(SRC)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return json.loads(out.stdout)


def _languages(keys: dict[str, dict[str, list[str]]], console: bool) -> dict[str, set[str]]:
    """What t() can find: the app's dictionaries, plus every panel's texts in the console."""
    out = {lang: set(keys["i18n.js"][lang]) for lang in ("zh-CN", "en")}
    if console:
        for file, langs in keys.items():
            if file.startswith("console/"):
                for lang in out:
                    out[lang] |= set(langs.get(lang, []))
    return out


def test_every_front_end_file_has_each_key_in_both_languages(front_end_keys):
    missing = sorted(
        (file, lang, key)
        for file, langs in front_end_keys.items()
        for lang, other in (("zh-CN", "en"), ("en", "zh-CN"))
        for key in set(langs.get(other, [])) - set(langs.get(lang, []))
    )
    assert missing == []


def test_no_two_console_panels_define_the_same_key(front_end_keys):
    """The console's panels add their texts to one dictionary: a key two panels define is shown
    with whichever loaded last (the reports' "{m} 分钟" once read the notices panel's)."""
    owners: dict[str, list[str]] = {}
    for file, langs in front_end_keys.items():
        if file.startswith("console/"):
            for key in set(langs.get("zh-CN", [])) | set(langs.get("en", [])):
                owners.setdefault(key, []).append(file)
    assert {key: files for key, files in owners.items() if len(files) > 1} == {}


_USED = re.compile(r'\bt\(\s*"([A-Za-z0-9_]+)"\s*[,)]')


@pytest.mark.parametrize("console", [False, True], ids=["app", "console"])
def test_every_key_the_front_end_asks_for_exists_in_both_languages(front_end_keys, console):
    files = SRC.glob("console/*.js") if console else SRC.glob("*.js")
    have = _languages(front_end_keys, console)
    missing = sorted(
        {
            (lang, m.group(1))
            for path in files
            for m in _USED.finditer(path.read_text(encoding="utf-8"))
            for lang in have
            if m.group(1) not in have[lang]
        }
    )
    assert missing == []


@pytest.mark.parametrize(
    "prefix, values",
    [
        ("s_", State),
        ("k_", Kind),
        ("a_", Action),
        ("out_", Outcome),
        ("m_", Method),
        ("cat_", ClosureCategory),
    ],
)
def test_the_front_end_names_every_value_the_server_sends(front_end_keys, prefix, values):
    have = _languages(front_end_keys, console=False)
    if (
        prefix == "a_"
    ):  # the technician's steps are labelled by the step spec the phone receives (i18n.js t())
        for step in technician_spec().steps:
            for lang in have:
                have[lang] = {*have[lang], "a_" + step.mutation}
    missing = sorted(
        (lang, prefix + v.value)
        for v in values
        for lang in have
        if prefix + v.value not in have[lang]
    )
    assert missing == []


def test_a_routing_refusal_reads_well_in_both_languages(api, world):
    """Item 7 as a dispatcher meets it: a 422 titled as a rule refusal, "an install order"."""
    order = api.create(kind="install")
    answers = {
        lang: api.post(
            "dispatcher",
            f"/api/work-orders/{order['id']}/dispatch",
            {"assignee_id": world.uid("tech2")},
            lang=lang,
        )
        for lang in ("zh-CN", "en")
    }
    assert {r.status_code for r in answers.values()} == {422}
    zh, en = answers["zh-CN"].json(), answers["en"].json()
    assert zh["title"] == "内容不符合规则" and en["title"] == "Unprocessable content"
    text = en["detail"] + " ".join(str(e) for e in en.get("errors", []))
    assert "An install order goes to an install team" in text and "a install" not in text.lower()
