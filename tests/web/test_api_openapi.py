"""The served OpenAPI document is valid OpenAPI 3.1, checked by a real validator, not only by our own checks."""

from __future__ import annotations

import copy
from collections.abc import Callable

import pytest
from openapi_spec_validator import OpenAPIV31SpecValidator, validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from course.api.openapi import DOCUMENT, openapi_document

API = "/api/v1"

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # reads no database


@pytest.fixture
def served(client) -> dict:
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.get_json()


def test_the_served_document_is_the_yaml_file_inside_the_package(served) -> None:
    assert DOCUMENT.parent.name == "api" and DOCUMENT.is_file()
    assert served == openapi_document()


def test_the_served_document_validates_against_the_openapi_3_1_meta_schema(served) -> None:
    validate(served, cls=OpenAPIV31SpecValidator)


def _parameter_in_body(document: dict) -> None:  # an OpenAPI 2.0 habit
    document["components"]["parameters"]["AttemptId"]["in"] = "body"


def _response_without_description(document: dict) -> None:
    del document["components"]["responses"]["NotJson"]["description"]


def _path_without_slash(document: dict) -> None:
    document["paths"]["session"] = document["paths"].pop("/session")


def _unknown_schema_type(document: dict) -> None:
    document["components"]["schemas"]["Plan"]["type"] = "objekt"


def _path_parameter_undeclared(document: dict) -> None:
    del document["paths"]["/attempts/{attempt_id}"]["parameters"]


@pytest.mark.parametrize(
    "breaking",
    [
        _parameter_in_body,
        _response_without_description,
        _path_without_slash,
        _unknown_schema_type,
        _path_parameter_undeclared,
    ],
)
def test_the_validator_rejects_a_broken_copy(served, breaking: Callable[[dict], None]) -> None:
    broken = copy.deepcopy(served)
    breaking(broken)
    with pytest.raises(OpenAPIValidationError):
        validate(broken, cls=OpenAPIV31SpecValidator)
