"""How errors go out and into the log: echoed input cut short, floods counted, one line per request."""

from __future__ import annotations

import logging

import pytest
from graphql import GraphQLError

from domain.errors import NotFoundError
from resolvers.errors import format_errors, log_failed_request, shortened


def test_long_quoted_input_and_long_messages_are_cut_short() -> None:
    message = f"no customer with id '{'x' * 10_000}'"

    short = shortened(message)

    assert short.startswith("no customer with id 'xxx") and short.endswith("…'")
    assert len(short) < 100
    assert len(shortened("y" * 10_000)) <= 501
    assert shortened("no customer with id 'C000001'") == "no customer with id 'C000001'"


def test_an_error_echoing_input_echoes_it_cut_short_in_message_and_extensions() -> None:
    cause = NotFoundError(f"no customer with id '{'z' * 5000}'", id="z" * 5000)
    error = GraphQLError(cause.message, path=["customer"], original_error=cause, extensions=cause.extensions)

    (formatted,) = format_errors([error])

    assert len(formatted["message"]) < 100
    assert formatted["extensions"]["code"] == "NOT_FOUND"
    assert len(formatted["extensions"]["id"]) < 100


def test_errors_left_out_are_counted_in_one_error() -> None:
    errors = [GraphQLError("bad", path=[f"a{i}"], extensions={"code": "BAD_USER_INPUT"}) for i in range(3)]

    formatted = format_errors(errors, omitted=997)

    assert len(formatted) == 4
    assert formatted[-1]["extensions"] == {"code": "TOO_MANY_ERRORS", "omitted": 997}


def test_a_failed_request_is_one_log_line_with_the_first_unexpected_traceback_only(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def failing(depth: int) -> None:
        if depth == 0:
            raise RuntimeError("a bug " + "w" * 50_000)
        failing(depth - 1)

    errors = []
    for index in range(100):
        try:
            failing(30)
        except RuntimeError as bug:
            errors.append(GraphQLError("bug", path=[f"a{index}"], original_error=bug))
    errors.append(GraphQLError("bad", path=["b"], extensions={"code": "BAD_USER_INPUT"}))
    formatted = format_errors(errors, omitted=5)

    with caplog.at_level(logging.INFO, logger="customer_graph.errors"):
        log_failed_request(errors, formatted, omitted=5)

    (record,) = caplog.records
    text = record.getMessage()
    assert record.levelno == logging.ERROR
    assert "INTERNAL_SERVER_ERROR 100, BAD_USER_INPUT 1" in text and "5 more left out" in text
    assert text.count("Traceback") == 1
    assert len(text) < 9_000


def test_a_request_with_expected_errors_only_logs_one_line_without_traceback(caplog: pytest.LogCaptureFixture) -> None:
    errors = [GraphQLError("bad", path=[f"a{i}"], extensions={"code": "BAD_USER_INPUT"}) for i in range(40)]

    with caplog.at_level(logging.INFO, logger="customer_graph.errors"):
        log_failed_request(errors, format_errors(errors))

    (record,) = caplog.records
    assert record.levelno == logging.INFO
    assert "Traceback" not in record.getMessage()
