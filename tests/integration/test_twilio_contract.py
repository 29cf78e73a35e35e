"""The fake Twilio server answers in Twilio's own shapes: every response it produces is
validated against Twilio's OpenAPI description (tests/fixtures/contracts/twilio_api_v2010.json,
its MIT licence beside it).

The OpenAPI schemas list properties without `required` and allow extra ones; here every
listed property is required and no other is allowed, so the fake cannot drop, add or
mistype a field. Twilio's error body is not in the file: its documented shape is below.
"""

import copy
import email.utils
import json
import re
from collections.abc import Iterator
from functools import cache
from typing import Any

import httpx
import jsonschema
import pytest

from tests.fakes.twilio_server import FakeTwilioServer

from ..conftest import FIXTURES

CONTRACT = FIXTURES / "contracts" / "twilio_api_v2010.json"
MESSAGES = "/2010-04-01/Accounts/{AccountSid}/Messages.json"
MESSAGE = "/2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json"
TO = "+15551230001"

# Twilio's REST error body (https://www.twilio.com/docs/usage/twilios-response).
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "code": {"type": "integer"},
        "message": {"type": "string", "minLength": 1},
        "more_info": {"type": "string", "pattern": r"^https://www\.twilio\.com/docs/errors/\d+$"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
    },
    "required": ["code", "message", "more_info", "status"],
    "additionalProperties": False,
}
# RFC 9457 problem details, as twilio-python 9 reads them (TwilioServiceException).
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string", "minLength": 1},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "code": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
    },
    "required": ["type", "title", "status", "code"],
    "additionalProperties": False,
}


@cache
def contract() -> dict[str, Any]:
    with CONTRACT.open(encoding="utf-8") as handle:
        document: dict[str, Any] = json.load(handle)
    return document


def resolve(node: Any, document: dict[str, Any]) -> Any:
    """`node` with every `$ref` inlined and OpenAPI 3.0 `nullable` made JSON Schema."""
    if isinstance(node, list):
        return [resolve(item, document) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/"), f"only local references are expected: {ref}"
        target: Any = document
        for part in ref[2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        merged = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
        return resolve(merged, document)
    out = {k: resolve(v, document) for k, v in node.items() if k not in ("example", "examples")}
    if out.pop("nullable", False):
        if "type" in out:
            out["type"] = [out["type"], "null"]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
    return out


def strict(schema: dict[str, Any]) -> dict[str, Any]:
    """Every declared property required, no other allowed (one level: objects of objects)."""
    schema = copy.deepcopy(schema)
    properties = schema.get("properties")
    if isinstance(properties, dict) and properties:
        schema["required"] = sorted(properties)
        schema["additionalProperties"] = False
        for name, sub in properties.items():
            if isinstance(sub, dict) and sub.get("type") == "array":
                properties[name]["items"] = strict(sub["items"])
    return schema


def response_schema(path: str, method: str, status: int) -> dict[str, Any]:
    """The strict schema the contract declares for this answer (KeyError: undeclared)."""
    document = contract()
    operation = document["paths"][path][method.lower()]
    content = operation["responses"][str(status)]["content"]["application/json"]
    return strict(resolve(content["schema"], document))


FORMATS = jsonschema.FormatChecker(formats=())


@FORMATS.checks("date-time-rfc-2822", raises=(TypeError, ValueError))
def _rfc2822(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parsed = email.utils.parsedate_to_datetime(value)
    # Twilio writes GMT with a numeric zone: `Thu, 24 Aug 2023 05:01:45 +0000`.
    return parsed.utcoffset() is not None and value.endswith("+0000")


@FORMATS.checks("phone-number")
def _phone(value: object) -> bool:
    return not isinstance(value, str) or re.fullmatch(r"\+[1-9]\d{6,14}", value) is not None


@FORMATS.checks("currency")
def _currency(value: object) -> bool:
    return not isinstance(value, str) or re.fullmatch(r"[A-Za-z]{3}", value) is not None


@FORMATS.checks("uri-map")
def _uri_map(value: object) -> bool:
    return not isinstance(value, dict) or all(
        isinstance(v, str) and v.startswith("/2010-04-01/") for v in value.values()
    )


@FORMATS.checks("uri")
def _uri(value: object) -> bool:
    # Twilio's list URIs are relative to https://api.twilio.com.
    return not isinstance(value, str) or value.startswith(("/", "https://"))


def check(instance: Any, schema: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator(schema, format_checker=FORMATS).validate(instance)


def errors_of(instance: Any, schema: dict[str, Any]) -> list[str]:
    validator = jsonschema.Draft202012Validator(schema, format_checker=FORMATS)
    return [error.message for error in validator.iter_errors(instance)]


@pytest.fixture
def api(twilio_server: FakeTwilioServer) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=twilio_server.base_url,
        auth=(twilio_server.account_sid, twilio_server.auth_token),
        timeout=5.0,
    ) as client:
        yield client


def create(api: httpx.Client, server: FakeTwilioServer, **form: str) -> httpx.Response:
    return api.post(server.messages_path, data={"To": TO, "Body": "Hello", **form})


def message_path(server: FakeTwilioServer, sid: str) -> str:
    return f"/2010-04-01/Accounts/{server.account_sid}/Messages/{sid}.json"


def test_it_accepts_twilios_own_examples_under_the_strict_schema() -> None:
    """The strict reading of the contract is right: Twilio's examples pass it."""
    document = contract()
    seen = 0
    for path, method, status in ((MESSAGES, "post", 201), (MESSAGE, "get", 200)):
        media = document["paths"][path][method]["responses"][str(status)]["content"]
        for example in media["application/json"]["examples"].values():
            check(example["value"], response_schema(path, method, status))
            seen += 1
    assert seen >= 2


def test_it_answers_a_create_with_a_from_number_in_the_message_shape(
    twilio_server: FakeTwilioServer, api: httpx.Client
) -> None:
    answer = create(
        api,
        twilio_server,
        From=twilio_server.from_number,
        StatusCallback="https://example.org/webhooks/twilio/status",
    )

    assert answer.status_code == 201
    assert answer.headers["content-type"].startswith("application/json")
    body = answer.json()
    check(body, response_schema(MESSAGES, "POST", 201))
    assert body["status"] == "queued"
    assert body["from"] == twilio_server.from_number
    assert body["num_segments"] == "1"
    assert body["date_sent"] is None


def test_it_answers_a_create_with_a_messaging_service_in_the_message_shape(
    twilio_server: FakeTwilioServer, api: httpx.Client
) -> None:
    answer = create(api, twilio_server, MessagingServiceSid=twilio_server.messaging_service_sid)

    assert answer.status_code == 201
    body = answer.json()
    check(body, response_schema(MESSAGES, "POST", 201))
    assert body["status"] == "accepted"
    assert body["from"] is None
    assert body["messaging_service_sid"] == twilio_server.messaging_service_sid


def test_it_answers_a_create_with_both_senders_in_the_message_shape(
    twilio_server: FakeTwilioServer, api: httpx.Client
) -> None:
    answer = create(
        api,
        twilio_server,
        From=twilio_server.from_number,
        MessagingServiceSid=twilio_server.messaging_service_sid,
        Body="Ünïcode ✓ " * 10,
    )

    assert answer.status_code == 201
    check(answer.json(), response_schema(MESSAGES, "POST", 201))
    assert answer.json()["num_segments"] == "2"


def test_it_answers_lists_in_the_list_shape(
    twilio_server: FakeTwilioServer, api: httpx.Client
) -> None:
    for n in range(3):
        create(api, twilio_server, From=twilio_server.from_number, Body=f"Message {n}")
    sid = create(api, twilio_server, MessagingServiceSid=twilio_server.messaging_service_sid)
    twilio_server.deliver(sid.json()["sid"], "undelivered", 30003)
    schema = response_schema(MESSAGES, "GET", 200)
    today = twilio_server.clock().date().isoformat()

    first = api.get(
        twilio_server.messages_path, params={"To": TO, "DateSent>": today, "PageSize": 2}
    )
    assert first.status_code == 200
    check(first.json(), schema)
    assert len(first.json()["messages"]) == 2
    assert first.json()["next_page_uri"] is not None

    second = api.get(first.json()["next_page_uri"])
    assert second.status_code == 200
    check(second.json(), schema)
    assert second.json()["previous_page_uri"] is not None
    assert second.json()["next_page_uri"] is None

    empty = api.get(twilio_server.messages_path, params={"To": "+15559990000"})
    check(empty.json(), schema)
    assert empty.json()["messages"] == []

    undelivered = [
        m for m in first.json()["messages"] + second.json()["messages"] if m["error_code"]
    ]
    assert [m["status"] for m in undelivered] == ["undelivered"]


def test_it_answers_a_fetch_in_the_message_shape(
    twilio_server: FakeTwilioServer, api: httpx.Client
) -> None:
    sid = create(api, twilio_server, From=twilio_server.from_number).json()["sid"]
    twilio_server.deliver(sid, "failed", 30007)

    answer = api.get(message_path(twilio_server, sid))

    assert answer.status_code == 200
    check(answer.json(), response_schema(MESSAGE, "GET", 200))
    assert answer.json()["error_code"] == 30007


@pytest.mark.parametrize(
    ("setup", "status", "code"),
    [
        ("invalid", 400, 21211),
        ("not_mobile", 400, 21614),
        ("opted_out", 400, 21610),
        ("bad_from", 400, 21606),
        ("missing_body", 400, 21602),
        ("rate", 429, 20429),
        ("server", 500, 20500),
        ("unknown_message", 404, 20404),
        ("bad_auth", 401, 20003),
    ],
)
def test_it_answers_errors_in_twilios_error_shape(
    twilio_server: FakeTwilioServer, api: httpx.Client, setup: str, status: int, code: int
) -> None:
    form = {"From": twilio_server.from_number}
    if setup == "invalid":
        twilio_server.invalid_number(TO)
    elif setup == "not_mobile":
        twilio_server.not_mobile(TO)
    elif setup == "opted_out":
        twilio_server.opt_out(TO)
    elif setup == "bad_from":
        form["From"] = "+15557770000"
    elif setup == "missing_body":
        form["Body"] = ""
    elif setup == "rate":
        twilio_server.fail_next(429)
    elif setup == "server":
        twilio_server.fail_next(500)

    if setup == "unknown_message":
        answer = api.get(message_path(twilio_server, "SM" + "0" * 32))
    elif setup == "bad_auth":
        answer = api.post(twilio_server.messages_path, data=form, auth=("AC" + "0" * 32, "nope"))
    else:
        answer = create(api, twilio_server, **form)

    assert answer.status_code == status
    check(answer.json(), ERROR_SCHEMA)
    assert answer.json()["code"] == code
    assert answer.json()["status"] == status


def test_it_answers_a_problem_body_in_the_rfc_9457_shape(
    twilio_server: FakeTwilioServer, api: httpx.Client
) -> None:
    twilio_server.fail_next(503, problem=True)

    answer = create(api, twilio_server, From=twilio_server.from_number)

    assert answer.status_code == 503
    assert answer.headers["content-type"] == "application/problem+json"
    check(answer.json(), PROBLEM_SCHEMA)


def test_it_rejects_a_message_that_drops_or_mistypes_a_property(
    twilio_server: FakeTwilioServer, api: httpx.Client
) -> None:
    """The strict contract catches a fake that drifts."""
    body = create(api, twilio_server, From=twilio_server.from_number).json()
    schema = response_schema(MESSAGES, "POST", 201)
    dropped = {k: v for k, v in body.items() if k != "num_media"}
    mistyped = {**body, "num_segments": 1}
    extra = {**body, "segments": "1"}
    bad_status = {**body, "status": "pending"}
    bad_date = {**body, "date_created": "2026-11-29T17:00:00Z"}
    bad_sid = {**body, "sid": "SM123"}

    for broken in (dropped, mistyped, extra, bad_status, bad_date, bad_sid):
        assert errors_of(broken, schema), broken
    assert errors_of({**body, "error_code": "30003"}, schema)
    assert not errors_of(body, schema)


def test_it_rejects_a_list_that_drops_a_paging_field(
    twilio_server: FakeTwilioServer, api: httpx.Client
) -> None:
    create(api, twilio_server, From=twilio_server.from_number)
    body = api.get(twilio_server.messages_path).json()
    schema = response_schema(MESSAGES, "GET", 200)

    assert not errors_of(body, schema)
    assert errors_of({k: v for k, v in body.items() if k != "next_page_uri"}, schema)
    broken_message = {k: v for k, v in body["messages"][0].items() if k != "uri"}
    assert errors_of({**body, "messages": [broken_message]}, schema)
