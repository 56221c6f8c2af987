"""Validate xAPI statements with Ralph's own models; run by .venv-ralph's interpreter (tests/ralph_lrs.py).

Reads a JSON list of statements on stdin and prints, as JSON, one entry per statement: the Ralph models it was
checked against and the errors they found (none: valid). Every statement is checked against Ralph's strict base
model (BaseXapiStatement: xAPI 1.0.3's rules, no empty values, no unknown properties), and a verb Ralph knows as a
concept (answered, completed, …) against the concept's model. Ralph's profile models (video, virtual classroom,
LMS) are not applied: they are chosen by verb and activity type alone (every "answered" cmi.interaction looks like
a virtual classroom's poll answer to the selector), and these statements follow none of those profiles.
"""

import importlib
import json
import pkgutil
import sys

from pydantic import TypeAdapter, ValidationError
from ralph.models.xapi.base.statements import BaseXapiStatement
from ralph.models.xapi.concepts import verbs

CONCEPT_VERBS = {
    model.model_fields["id"].default: model
    for info in pkgutil.iter_modules(verbs.__path__, verbs.__name__ + ".")
    for model in vars(importlib.import_module(info.name)).values()
    if isinstance(model, type) and "id" in getattr(model, "model_fields", {}) and model.__name__.endswith("Verb")
}


def check(statement: dict) -> dict:
    models, errors = ["BaseXapiStatement"], []
    try:
        BaseXapiStatement.model_validate(statement)
    except ValidationError as error:
        errors.append(str(error))
    verb = CONCEPT_VERBS.get(statement.get("verb", {}).get("id"))
    if verb is not None:
        models.append(verb.__name__)
        try:
            TypeAdapter(verb).validate_python(statement["verb"])
        except ValidationError as error:
            errors.append(str(error))
    return {"id": statement.get("id"), "models": models, "errors": errors}


def main() -> None:
    print(json.dumps([check(statement) for statement in json.load(sys.stdin)]))


if __name__ == "__main__":
    main()
