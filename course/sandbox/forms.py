"""The plan editor's form, and the names of forms around designs.

WTForms draws the fields, binds posted values and checks the CSRF token; the plan's rules live in one
place, the core's `validate_plan`, whose problems come back here by field path (`components[2].cap_pct`
→ the cap field of the third filled-in row). Blank component rows are ignored, so the form always offers
`MAX_COMPONENTS` rows and works without JavaScript.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from babel.numbers import format_decimal, get_decimal_symbol, get_group_symbol
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    Form,
    FormField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields import FieldList
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from course.core.errors import CourseError
from course.core.quiz.numbers import parse_number
from course.core.sandbox import MAX_COMPONENTS, FieldProblem
from course.core.sandbox.plan import CREDITS, PERIODS
from course.forms import no_control_characters, strip
from course.i18n import current_language
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


_MONEY_NOISE = re.compile(r"[\s\u00a0\u202f'’€$£]|eur|usd|chf|gbp", re.I)
_MONEY = re.compile(r"-?[0-9][0-9.,]*")
MONEY_EXAMPLE = 60000.5


class MoneyError(ValueError):
    """Typed text that is no amount, or that could mean two amounts; the message says which and how to write it."""


def _grouped(digits: str, separator: str) -> bool:
    head, *groups = digits.split(separator)
    return 1 <= len(head) <= 3 and all(len(group) == 3 for group in groups)


def read_money(text: str, lang: str) -> float:
    """An amount typed with the language's separators: 60.000 / 60.000,50 (de), 60,000 / 60,000.50 (en).

    Unambiguous forms are accepted whatever the language (60000, 60000.5, 60.000,50); a lone separator before
    exactly three digits that is not the language's thousands separator (60,000 in German) could mean sixty or
    sixty thousand, so the learner is asked rather than guessed for."""
    group, decimal = get_group_symbol(lang), get_decimal_symbol(lang)
    cleaned = _MONEY_NOISE.sub("", text).replace("−", "-")
    if not _MONEY.fullmatch(cleaned):
        raise MoneyError(_money_example(lang))
    sign = -1.0 if cleaned.startswith("-") else 1.0
    digits = cleaned.lstrip("-")
    if "." in digits and "," in digits:
        last = max(digits.rfind("."), digits.rfind(","))
        whole, fraction = digits[:last], digits[last + 1 :]
        grouping = "," if digits[last] == "." else "."
        if not (_grouped(whole, grouping) and fraction.isdigit() and len(fraction) <= 2):
            raise MoneyError(_money_example(lang))
        return sign * float(whole.replace(grouping, "") + "." + fraction)
    separator = "." if "." in digits else "," if "," in digits else None
    if separator is None:
        return sign * float(digits)
    parts = digits.split(separator)
    if len(parts) == 2 and 1 <= len(parts[1]) <= 2 and parts[0]:
        return sign * float(parts[0] + "." + parts[1])  # cents: no thousands separator is followed by two digits
    if not _grouped(digits, separator):
        raise MoneyError(_money_example(lang))
    if separator != group and len(parts) == 2:
        whole = int(digits.replace(separator, ""))
        raise MoneyError(
            _(
                "Is that %(amount)s? Group thousands with “%(group)s” and put “%(decimal)s” before cents, as in "
                "%(example)s.",
                amount=format_decimal(whole, locale=lang),
                group=group,
                decimal=decimal,
                example=format_decimal(MONEY_EXAMPLE, format="#,##0.00", locale=lang),
            )
        )
    return sign * float(digits.replace(separator, ""))


def _money_example(lang: str) -> str:
    return _(
        "Enter an amount such as %(example)s: thousands grouped with “%(group)s”, cents after “%(decimal)s”.",
        example=format_decimal(MONEY_EXAMPLE, format="#,##0.00", locale=lang),
        group=get_group_symbol(lang),
        decimal=get_decimal_symbol(lang),
    )


def money_text(value: object, lang: str) -> object:
    """An amount as the editor shows it in `lang` (120.000 / 120,000; cents only where there are some)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return format_decimal(value, format="#,##0.##", locale=lang)
    return value


def _money_field(form: Form, field: StringField) -> None:
    if field.data:
        try:
            read_money(field.data, current_language())
        except MoneyError as error:
            raise ValidationError(str(error)) from None


def _choices(labels: Mapping[str, object], order: Sequence[str] | None = None) -> list[SelectChoice]:
    return [SelectChoice(key, labels[key]) for key in (order or labels)]


def _number(label: str, description: str = "") -> StringField:
    return StringField(label, description=description, validators=[Length(max=NUMBER_LENGTH)], filters=[strip])


def _money(label: str) -> StringField:
    return StringField(label, validators=[Length(max=NUMBER_LENGTH), _money_field], filters=[strip])


OBJECTIVES = "mandate_objectives"  # the one metric whose objectives answer the mandate questions
GATE_CHOICES = ("none", "all", "some")


class ComponentForm(Form):
    """One component: metric, weight and period up front; the rest (`ADVANCED`) behind "More settings"."""

    ADVANCED = ("credit", "team_share_pct", "threshold_pct", "target_pct", "cap_pct")

    metric = SelectField(
        _l("Metric"),
        choices=[SelectChoice("", _l("(not used)"))] + _choices(METRICS_LABELS),
        validate_choice=False,
        description=_l("What it pays on. Example: customer retention"),
    )
    weight_pct = _number(_l("Weight (%)"), _l("Its share of the variable pay. Example: 40"))
    period = SelectField(
        _l("Paid per"),
        choices=_choices(PERIOD_LABELS, PERIODS),
        validate_choice=False,
        description=_l("How often it is measured and paid. Example: year"),
    )
    credit = SelectField(
        _l("Credit"),
        choices=_choices(CREDIT_LABELS, CREDITS),
        validate_choice=False,
        description=_l("Whose result counts. Example: team, where a team serves the account"),
    )
    team_share_pct = _number(
        _l("Team share (%)"), _l("For split credit, the part paid on the team's result. Example: 50")
    )
    threshold_pct = _number(_l("Threshold (%)"), _l("Below this attainment it pays nothing. Example: 80"))
    target_pct = _number(_l("Target (%)"), _l("The attainment that pays the full amount. Example: 100"))
    cap_pct = _number(_l("Cap (%)"), _l("The most it pays, in percent of its amount on target. Example: 150"))
    mandate_questions = Checkboxes(_l("Mandate questions these objectives cover"), choices=_choices(MANDATE_LABELS))
    gated = BooleanField(_l("Under the year-end gate"))

    def more_open(self) -> bool:
        """Whether "More settings" starts open: it holds an error or anything but the defaults."""
        defaults = {"credit": ("", "individual", None), "target_pct": ("", "100", None)}
        for name in self.ADVANCED:
            field = self[name]
            if field.errors or field.data not in defaults.get(name, ("", None)):
                return True
        return False


class PlanForm(FlaskForm):
    name = StringField(
        _l("Name of this design"),
        validators=[DataRequired(_l("Give the design a name.")), Length(max=MAX_NAME), no_control_characters],
        filters=[strip],
    )
    ttc = _money(_l("Target total cash per year"))
    base_salary = _money(_l("Base salary per year"))
    currency = StringField(_l("Currency"), validators=[Length(max=3)], filters=[strip], default="EUR")
    components = FieldList(FormField(ComponentForm), min_entries=MAX_COMPONENTS, max_entries=MAX_COMPONENTS)
    gate = RadioField(
        _l("Year-end gate"),
        description=_l(
            "Variable pay is paid only if the customer is still buying at year end. Example: for all components, "
            "so that the bonus rewards keeping the account."
        ),
        choices=[
            SelectChoice("none", _l("No gate")),
            SelectChoice("all", _l("For all components")),
            SelectChoice("some", _l("Only for the components marked “Under the year-end gate”")),
        ],
        default="none",
        validate_choice=False,
    )
    clawback = BooleanField(_l("Claw back commission if the customer leaves"))
    clawback_window = _number(_l("Within (months)"), _l("Example: 12"))
    clawback_share = _number(_l("Share clawed back (%)"), _l("Example: 50"))
    deferral_pct = _number(_l("Deferred share of variable pay (%)"), _l("Held back and paid later. Example: 20"))
    deferral_years = _number(_l("Deferred for (years)"), _l("Example: 2"))
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

        def amount(text: str | None) -> object:
            try:
                return read_money(text, lang) if text else text
            except MoneyError:
                return text  # the field's own validator has said what is wrong

        components = []
        gated = []
        scope = self.gate.data if self.gate.data in GATE_CHOICES else "none"
        for j, i in enumerate(self.filled_rows()):
            row = self.components.entries[i].form
            objectives = row.metric.data == OBJECTIVES
            item = {
                "metric": row.metric.data,
                "weight_pct": number(row.weight_pct.data),
                "period": row.period.data,
                "credit": row.credit.data,
                "team_share_pct": number(row.team_share_pct.data) if row.credit.data == "split" else None,
                "threshold_pct": number(row.threshold_pct.data),
                "target_pct": number(row.target_pct.data),
                "cap_pct": number(row.cap_pct.data),
                # Without the script every row shows the questions; only objectives answer them.
                "mandate_questions": list(row.mandate_questions.data or []) if objectives else [],
            }
            components.append(item)
            if scope == "all" or (scope == "some" and row.gated.data):
                gated.append(j)
        gates = []
        if gated:
            gates.append(
                {
                    "condition": "customer_active_at_year_end",
                    "applies_to": [] if len(gated) == len(components) else gated,
                }
            )
        return {
            "ttc": amount(self.ttc.data),
            "base_salary": amount(self.base_salary.data),
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

    def check_gate(self) -> bool:
        """A gate "only for the marked components" needs a marked component."""
        if (
            self.gate.data == "some"
            and self.filled_rows()
            and not any(self.components.entries[i].form.gated.data for i in self.filled_rows())
        ):
            self.gate.errors = [
                *self.gate.errors,
                _("Mark the components the gate applies to, or choose another option."),
            ]
            return False
        return True

    def place(self, problem: FieldProblem, message: str) -> None:
        """Show a core problem at the field it names (the form as a whole if no field matches); a field the form
        already found wrong keeps its own, more precise message."""
        field = self._field_for(problem.path)
        if field is not None and field.errors and field is not self.components:
            return
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


def form_data(name: str, plan: dict, lang: str | None = None) -> dict:
    """A saved plan (`plan_data` shape) as the editor's initial values; amounts in `lang`'s format if given.

    Gates with `applies_to` (the core's model) become the plan-wide gate choice: none, all components, or
    only the marked ones."""
    gates = plan.get("gates") or []
    applies = set(gates[0].get("applies_to") or []) if gates else set()
    rows = []
    for j, item in enumerate(plan.get("components") or []):
        row = {key: _text(value, lang) for key, value in item.items()}
        if item.get("credit") != "split":
            row["team_share_pct"] = None
        rows.append({**row, "gated": bool(applies) and j in applies})
    rows += [{"gated": False}] * (MAX_COMPONENTS - len(rows))
    clawback = plan.get("clawback") or {}
    deferral = plan.get("deferral") or {}

    def amount(value: object) -> object:
        return money_text(value, lang) if lang else _text(value)

    return {
        "name": name,
        "ttc": amount(plan.get("ttc")),
        "base_salary": amount(plan.get("base_salary")),
        "currency": plan.get("currency") or "EUR",
        "components": rows,
        "gate": ("some" if applies else "all") if gates else "none",
        "clawback": bool(clawback),
        "clawback_window": _text(clawback.get("window_months")),
        "clawback_share": _text(clawback.get("share_pct"), lang),
        "deferral_pct": _text(deferral.get("pct") or None, lang),
        "deferral_years": _text(deferral.get("years") or None),
        "indirect_rewards": list(plan.get("indirect_rewards") or []),
    }


def _text(value: object, lang: str | None = None) -> object:
    """Numbers as the learner would type them (no trailing .0, the language's decimal sign if given); lists and
    text unchanged."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float) and not isinstance(value, bool):
        return format_decimal(value, format="0.##########", locale=lang) if lang else str(value)
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
