"""The plan editor's form, and the names of forms around designs.

WTForms draws the fields, binds posted values and checks the CSRF token; the plan's rules live in one
place, the core's `validate_plan`, whose problems come back here by field path (`components[2].cap_pct`
→ the cap field of the third filled-in row). Blank component rows are ignored, so the form always offers
`MAX_COMPONENTS` rows and works without JavaScript.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    Form,
    FormField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields import FieldList
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from course.core.errors import CourseError
from course.core.quiz.numbers import parse_number
from course.core.sandbox import MAX_COMPONENTS, FieldProblem
from course.core.sandbox.plan import CREDITS, PERIODS
from course.forms import no_control_characters, strip
from course.sandbox.labels import CREDIT_LABELS, MANDATE_LABELS, METRICS_LABELS, PERIOD_LABELS, REWARD_LABELS
from course.sandbox.operations import MAX_COMMENT, MAX_NAME

NUMBER_LENGTH = 32  # longer text is not a number anyone means; the core reports what is wrong with it


class Checkboxes(SelectMultipleField):
    """Several choices as checkboxes; unknown values are left to the core, which names them."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form: Form) -> None:
        pass


def read_number(text: str | None, lang: str) -> object:
    """Typed text as a number with the learner's separators; text that is none is passed on for the core to
    name (and blank stays blank)."""
    if not text:
        return text
    try:
        return parse_number(text, lang)
    except CourseError:
        return text


def _choices(labels: Mapping[str, object], order: Sequence[str] | None = None) -> list[SelectChoice]:
    return [SelectChoice(key, labels[key]) for key in (order or labels)]


def _number(label: str) -> StringField:
    return StringField(label, validators=[Length(max=NUMBER_LENGTH)], filters=[strip])


class ComponentForm(Form):
    metric = SelectField(
        _l("Metric"),
        choices=[SelectChoice("", _l("(not used)"))] + _choices(METRICS_LABELS),
        validate_choice=False,
    )
    weight_pct = _number(_l("Weight: share of the variable pay, in %"))
    period = SelectField(_l("Paid per"), choices=_choices(PERIOD_LABELS, PERIODS), validate_choice=False)
    credit = SelectField(_l("Credit"), choices=_choices(CREDIT_LABELS, CREDITS), validate_choice=False)
    team_share_pct = _number(_l("Team share (%) for split credit"))
    threshold_pct = _number(_l("Threshold: attainment in %, below which nothing is paid"))
    target_pct = _number(_l("Target: attainment in % that pays the full amount"))
    cap_pct = _number(_l("Cap: the most it pays, as a percentage of its target amount"))
    mandate_questions = Checkboxes(_l("Mandate questions it covers"), choices=_choices(MANDATE_LABELS))
    gated = BooleanField(_l("Paid only if the gate holds"), default=True)


class PlanForm(FlaskForm):
    name = StringField(
        _l("Name of this design"),
        validators=[DataRequired(_l("Give the design a name.")), Length(max=MAX_NAME), no_control_characters],
        filters=[strip],
    )
    ttc = _number(_l("Target total cash per year"))
    base_salary = _number(_l("Base salary per year"))
    currency = StringField(_l("Currency"), validators=[Length(max=3)], filters=[strip], default="EUR")
    components = FieldList(FormField(ComponentForm), min_entries=MAX_COMPONENTS, max_entries=MAX_COMPONENTS)
    gate = BooleanField(_l("Pay variable pay only if the customer is still buying at year end"))
    clawback = BooleanField(_l("Claw back commission if the customer leaves"))
    clawback_window = _number(_l("Within (months)"))
    clawback_share = _number(_l("Share clawed back (%)"))
    deferral_pct = _number(_l("Deferred share of variable pay (%)"))
    deferral_years = _number(_l("Deferred for (years)"))
    indirect_rewards = Checkboxes(_l("Indirect rewards"), choices=_choices(REWARD_LABELS))

    def filled_rows(self) -> list[int]:
        """Form row numbers of the components the learner filled in, in order."""
        return [i for i, entry in enumerate(self.components.entries) if entry.form.metric.data]

    def plan_data(self, lang: str) -> dict:
        """What the learner typed, in the shape `validate_plan` reads.

        Numbers are read with the learner's separators (150.000 in German, 150,000 in English); text
        that is no number is passed on as it is, so the core names the field."""

        def number(text: str | None) -> object:
            return read_number(text, lang)

        components = []
        gated = []
        for j, i in enumerate(self.filled_rows()):
            row = self.components.entries[i].form
            item = {
                "metric": row.metric.data,
                "weight_pct": number(row.weight_pct.data),
                "period": row.period.data,
                "credit": row.credit.data,
                "team_share_pct": number(row.team_share_pct.data) if row.credit.data == "split" else None,
                "threshold_pct": number(row.threshold_pct.data),
                "target_pct": number(row.target_pct.data),
                "cap_pct": number(row.cap_pct.data),
                "mandate_questions": list(row.mandate_questions.data or []),
            }
            components.append(item)
            if row.gated.data:
                gated.append(j)
        gates = []
        if self.gate.data and gated:
            gates.append(
                {
                    "condition": "customer_active_at_year_end",
                    "applies_to": [] if len(gated) == len(components) else gated,
                }
            )
        return {
            "ttc": number(self.ttc.data),
            "base_salary": number(self.base_salary.data),
            "currency": (self.currency.data or "EUR").upper(),
            "components": components,
            "gates": gates,
            "clawback": (
                {
                    "trigger": "churn",
                    "window_months": number(self.clawback_window.data),
                    "share_pct": number(self.clawback_share.data),
                }
                if self.clawback.data
                else None
            ),
            "deferral": {
                "pct": number(self.deferral_pct.data) or None,
                "years": number(self.deferral_years.data) or None,
            },
            "indirect_rewards": list(self.indirect_rewards.data or []),
        }

    def place(self, problem: FieldProblem, message: str) -> None:
        """Show a core problem at the field it names (the form as a whole if no field matches)."""
        field = self._field_for(problem.path)
        if field is None:
            self.form_errors.append(message)
        else:
            field.errors = [*field.errors, message] if isinstance(field.errors, list) else [message]

    _SIMPLE = {
        "ttc": "ttc",
        "base_salary": "base_salary",
        "currency": "currency",
        "components": "components",
        "gates": "gate",
        "clawback": "clawback",
        "clawback.window_months": "clawback_window",
        "clawback.share_pct": "clawback_share",
        "clawback.trigger": "clawback",
        "deferral": "deferral_pct",
        "deferral.pct": "deferral_pct",
        "deferral.years": "deferral_years",
        "indirect_rewards": "indirect_rewards",
    }
    _COMPONENT = re.compile(r"components\[(\d+)\]\.(\w+)")
    _INDEXED = re.compile(r"(\w+)\[\d+\].*")

    def _field_for(self, path: str):  # noqa: ANN202 - a WTForms field or None
        match = self._COMPONENT.match(path)
        if match:
            rows = self.filled_rows()
            j, name = int(match.group(1)), match.group(2)
            if j < len(rows) and name in self.components.entries[rows[j]].form._fields:
                return self.components.entries[rows[j]].form[name]
            return None
        if path.startswith("gates"):
            return self.gate
        name = self._SIMPLE.get(path)
        if name is None:
            indexed = self._INDEXED.match(path)
            name = self._SIMPLE.get(indexed.group(1)) if indexed else None
        return self[name] if name else None


def form_data(name: str, plan: dict) -> dict:
    """A saved plan (`plan_data` shape) as the editor's initial values."""
    gates = plan.get("gates") or []
    applies = set(gates[0].get("applies_to") or []) if gates else set()
    rows = []
    for j, item in enumerate(plan.get("components") or []):
        row = {key: _text(value) for key, value in item.items()}
        if item.get("credit") != "split":
            row["team_share_pct"] = None
        rows.append({**row, "gated": bool(gates) and (not applies or j in applies)})
    rows += [{"gated": True}] * (MAX_COMPONENTS - len(rows))
    clawback = plan.get("clawback") or {}
    deferral = plan.get("deferral") or {}
    return {
        "name": name,
        "ttc": _text(plan.get("ttc")),
        "base_salary": _text(plan.get("base_salary")),
        "currency": plan.get("currency") or "EUR",
        "components": rows,
        "gate": bool(gates),
        "clawback": bool(clawback),
        "clawback_window": _text(clawback.get("window_months")),
        "clawback_share": _text(clawback.get("share_pct")),
        "deferral_pct": _text(deferral.get("pct") or None),
        "deferral_years": _text(deferral.get("years") or None),
        "indirect_rewards": list(plan.get("indirect_rewards") or []),
    }


def _text(value: object) -> object:
    """Numbers as the learner would type them (no trailing .0); lists and text unchanged."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


class StartForm(FlaskForm):
    """Start a design for a scenario, optionally from an example plan."""

    example = SelectField(validate_choice=False)


class NameForm(FlaskForm):
    name = StringField(
        _l("Name"),
        validators=[DataRequired(_l("Give the design a name.")), Length(max=MAX_NAME), no_control_characters],
        filters=[strip],
    )


class CommentForm(FlaskForm):
    body = TextAreaField(
        _l("Comment"),
        validators=[
            DataRequired(_l("Write a comment first.")),
            Length(max=MAX_COMMENT, message=_l("Keep the comment under %(max)d characters.")),
        ],
        filters=[strip],
    )
    version = StringField(validators=[Length(max=10)])


class WeightsForm(FlaskForm):
    """One number field per rubric criterion; `weights_form` adds them."""


def weights_form(labels: Mapping[str, object], values: Mapping[str, float] | None, formdata=None) -> WeightsForm:  # noqa: ANN001
    """A form with a field per criterion id (labelled from `labels`), filled from `values` or the post."""
    fields = {criterion_id: _number(label) for criterion_id, label in labels.items()}
    form_class = type("CourseWeightsForm", (WeightsForm,), fields)
    data = {key: _text(value) for key, value in (values or {}).items()}
    return form_class(formdata=formdata, data=data) if formdata is not None else form_class(data=data)
