"""One form per question type: the fields that type needs, read from and written back into the question's YAML.

The forms are built per course, with one text field per course language. Lists (options, items, matching pairs,
numeric answer ranges) grow and shrink with submit buttons that re-render the form, so they work without JavaScript
and nothing typed is lost.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, FieldList, Form, FormField, HiddenField, RadioField, SelectField, StringField
from wtforms import TextAreaField as WTextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from course.authoring.forms import MAX_ID, _base_number, _newlines, _no_control_characters
from course.core.authoring.documents import FORM_TYPES, unused_id
from course.core.quiz.model import AnswerError
from course.core.quiz.numbers import parse_number
from course.core.quiz.types.essay import MAX_CHARS, MIN_CHARS
from course.core.quiz.types.multiple import WEIGHT_SUM_SLACK
from course.core.text.slug import ID_PATTERN
from course.forms import strip
from course.i18n import current_language

MAX_TEXT = 4000  # as the quiz loader allows
MAX_ROWS = 20
LANGUAGE_NAMES = {"de": _l("German"), "en": _l("English")}


def _language(lang: str) -> object:
    return LANGUAGE_NAMES.get(lang, lang)


def _text_field(label: object, lang: str, required: bool) -> WTextAreaField:
    rules = [Length(max=MAX_TEXT), _no_control_characters]
    rules.insert(0, DataRequired(_l("Enter a text in this language.")) if required else Optional())
    return WTextAreaField(
        _l("%(what)s (%(language)s)", what=label, language=_language(lang)),
        validators=rules,
        filters=[strip, _newlines],
        render_kw={"rows": 2, "lang": lang},
    )


def _number(form: Form, field: StringField) -> None:
    if field.data and _parse(field.data) is None:
        raise ValidationError(_l("Enter a number, e.g. 12.5 or 12,5."))


def _parse(text: str) -> float | None:
    """A number as the trainer types it (their language's separators; a lone comma or point is the decimal one)."""
    text = text.strip()
    langs = [current_language(), "de" if "," in text and "." not in text else "en"]
    for lang in langs:
        try:
            value = parse_number(text, lang)
        except (AnswerError, ValueError):
            continue
        if value == value and abs(value) < 1e15:  # noqa: PLR0124 - NaN
            return value
    return None


_WHOLE = re.compile(r"\d+|\d{1,3}(?:([.,\s])\d{3})(?:\1\d{3})*")


def _whole(text: str | None) -> int | None:
    """A whole number as the trainer types it, with or without thousands separators (3000, 3.000, 3,000); a
    decimal (1500,5) is none."""
    text = (text or "").strip()
    return int(re.sub(r"\D", "", text)) if _WHOLE.fullmatch(text) else None


def _answer_length(form: Form, field: StringField) -> None:
    value = _whole(field.data)
    if field.data and (value is None or not MIN_CHARS <= value <= MAX_CHARS):
        raise ValidationError(_l("Enter a whole number from %(low)d to %(high)d.", low=MIN_CHARS, high=MAX_CHARS))


def _whole_or_float(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def _shown(value: object) -> str:
    """A number from the file as the trainer reads and types it: no thousands separator, their decimal mark (so
    `0.125` is not read back as 125 in German)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "" if value is None else str(value)
    text = repr(_whole_or_float(value)) if isinstance(value, float) else str(value)
    return text.replace(".", ",") if current_language() == "de" else text


def _per_language(form: Form, prefix: str, languages: Sequence[str]) -> dict[str, str]:
    return {lang: form[f"{prefix}_{lang}"].data for lang in languages if form[f"{prefix}_{lang}"].data}


OPTIONAL_TEXTS = ("feedback", "feedback_true", "feedback_false", "feedback_wrong", "unit", "rubric")
#: per question type, its lists of rows (the first is the one "add-row" and "remove-3" without a list name mean)
ROW_LISTS = {
    "single": ("options",),
    "multiple": ("options",),
    "ordering": ("items",),
    "matching": ("pairs", "distractors"),
    "numeric": ("answers",),
}


def _all_or_none(form: Form, languages: Sequence[str], prefixes: Sequence[str] = OPTIONAL_TEXTS) -> bool:
    """An optional text is given in every language or in none (learners of each language see the same help)."""
    ok = True
    for prefix in prefixes:
        fields = [form._fields.get(f"{prefix}_{lang}") for lang in languages]
        if None in fields or all(field.data for field in fields) or not any(field.data for field in fields):
            continue
        for field in fields:
            if not field.data:
                field.errors = [*field.errors, _l("Give this text in every language, or leave it empty in all.")]
        ok = False
    return ok


def _option_form(languages: Sequence[str], correct: bool) -> type[Form]:
    class OptionForm(Form):
        choice_id = HiddenField()

    if correct:
        OptionForm.correct = BooleanField(_l("Correct answer"))
        OptionForm.percent = StringField(_l("Credit in percent (optional)"), validators=[_number], filters=[strip])
    for lang in languages:
        setattr(OptionForm, f"text_{lang}", _text_field(_l("Option text"), lang, True))
        if correct:
            setattr(OptionForm, f"feedback_{lang}", _text_field(_l("Feedback when chosen"), lang, False))
    return OptionForm


def _pair_form(languages: Sequence[str]) -> type[Form]:
    """A matching prompt with its right answer, side by side (the file keeps them as prompts and choices)."""

    class PairForm(Form):
        choice_id = HiddenField()  # the prompt's id
        match_id = HiddenField()  # the id of the choice it matches

    for lang in languages:
        setattr(PairForm, f"text_{lang}", _text_field(_l("Prompt"), lang, True))
        setattr(PairForm, f"answer_{lang}", _text_field(_l("Its right answer"), lang, True))
    return PairForm


def _range_form(languages: Sequence[str]) -> type[Form]:
    """One accepted numeric answer: a value with a tolerance or a range, the credit it gives, its feedback."""

    class RangeForm(Form):
        value = StringField(_l("Value"), validators=[_number], filters=[strip])
        tolerance = StringField(_l("Tolerance (±)"), validators=[_number], filters=[strip])
        low = StringField(_l("Or a range from"), validators=[_number], filters=[strip])
        high = StringField(_l("Range up to"), validators=[_number], filters=[strip])
        percent = StringField(_l("Credit in percent"), validators=[_number], filters=[strip])

    for lang in languages:
        setattr(RangeForm, f"feedback_{lang}", _text_field(_l("Feedback for this answer"), lang, False))
    return RangeForm


def _range_errors(entry: Form) -> bool:
    """A numeric answer's fields fit together: a value or a range, not both; from ≤ to; credit 0–100."""
    ok = True
    value, low, high = (_parse(entry[name].data) if entry[name].data else None for name in ("value", "low", "high"))
    if entry.value.data and (entry.low.data or entry.high.data):
        entry.low.errors = [*entry.low.errors, _l("Give a value or a range, not both.")]
        ok = False
    elif not entry.value.data and not (entry.low.data and entry.high.data):
        entry.value.errors = [*entry.value.errors, _l("Enter a value, or both ends of a range.")]
        ok = False
    elif low is not None and high is not None and low > high:
        entry.high.errors = [*entry.high.errors, _l("The end of the range must not be below its start.")]
        ok = False
    tolerance = _parse(entry.tolerance.data) if entry.tolerance.data else None
    if tolerance is not None and tolerance < 0:
        entry.tolerance.errors = [*entry.tolerance.errors, _l("The tolerance cannot be negative.")]
        ok = False
    if entry.tolerance.data and value is None and not entry.value.data:
        entry.tolerance.errors = [*entry.tolerance.errors, _l("A tolerance belongs to a value.")]
        ok = False
    percent = _credit(entry)
    if percent is not None and not 0 <= percent <= 100:
        entry.percent.errors = [*entry.percent.errors, _l("Enter a credit from 0 to 100.")]
        ok = False
    return ok


def _credit_errors(options: FieldList) -> bool:
    """Single choice: the right option earns everything; another may earn 0 to below 100 percent."""
    ok = True
    for entry in options:
        form = entry.form
        if not form.percent.data or _parse(form.percent.data) is None:
            continue
        percent = _parse(form.percent.data)
        if form.correct.data:
            form.percent.errors = [*form.percent.errors, _l("The right answer earns all the points: leave this empty.")]
            ok = False
        elif not 0 <= percent < 100:
            form.percent.errors = [*form.percent.errors, _l("Enter a credit from 0 to below 100.")]
            ok = False
    return ok


def _weight_errors(options: FieldList) -> bool:
    """Multiple choice with weights: every option has one from −100 to 100, none is ticked, the positive ones add
    up to 100 (as Moodle asks)."""
    ok, positive = True, 0.0
    for entry in options:
        form = entry.form
        percent = _parse(form.percent.data) if form.percent.data else None
        if form.correct.data:
            form.correct.errors = [*form.correct.errors, _l("With weights, leave the ticks out: the weights decide.")]
            ok = False
        if not form.percent.data:
            form.percent.errors = [*form.percent.errors, _l("With weights, every option needs one (0 for neutral).")]
            ok = False
        elif percent is not None and not -100 <= percent <= 100:
            form.percent.errors = [*form.percent.errors, _l("Enter a weight from -100 to 100.")]
            ok = False
        elif percent is not None and percent > 0:
            positive += percent
    if ok and abs(positive - 100) > WEIGHT_SUM_SLACK:
        options.errors.append(
            _l("The positive weights add up to %(sum)s percent; they must add up to 100.", sum=f"{positive:g}")
        )
        ok = False
    return ok


def _credit(entry: Form) -> float | None:
    """The answer's credit in percent (empty: full credit); None if it is not a number."""
    return _parse(entry.percent.data) if entry.percent.data else 100.0


class QuestionForm(FlaskForm):
    """The fields every question has; `for_type` adds the type's own."""

    base = HiddenField(validators=[_base_number])
    question_id = StringField(
        _l("Question id"),
        validators=[
            DataRequired(_l("Enter an id.")),
            Length(max=MAX_ID),
            Regexp(ID_PATTERN, message=_l("Use lowercase letters, digits and single hyphens, e.g. customer-visits.")),
        ],
        filters=[strip],
    )
    points = StringField(_l("Points"), validators=[DataRequired(_l("Enter the points.")), _number], filters=[strip])
    always = BooleanField(_l("Ask this question in every attempt (when the quiz draws its questions)"))

    kind: str = ""
    languages: tuple[str, ...] = ()
    taken_ids: frozenset[str] = frozenset()

    def validate_question_id(self, field: StringField) -> None:
        if field.data in self.taken_ids:
            raise ValidationError(_l("Another question of this quiz has this id."))

    def validate_points(self, field: StringField) -> None:
        value = _parse(field.data or "")
        if value is not None and value <= 0:
            raise ValidationError(_l("Points must be above 0."))

    @property
    def row_lists(self) -> tuple[str, ...]:
        """The names of the type's lists of rows (options, items, pairs, answer ranges), if it has any."""
        return ROW_LISTS.get(self.kind, ())

    def extra_errors(self) -> bool:
        """Checks across fields; True if there were errors."""
        ok = True
        if self.kind in ("single", "multiple"):
            ticked = sum(bool(entry.form.correct.data) for entry in self.options)
            weighted = self.kind == "multiple" and any(entry.form.percent.data for entry in self.options)
            if len(self.options) < 2:
                self.options.errors.append(_l("Give at least two options."))
                ok = False
            if ticked == 0 and not weighted:
                self.options.errors.append(_l("Tick at least one option as correct."))
                ok = False
            ok = (_weight_errors(self.options) if weighted else _credit_errors(self.options)) and ok
        if self.kind == "ordering" and len(self.items) < 2:
            self.items.errors.append(_l("Give at least two items."))
            ok = False
        if self.kind == "matching" and not self.pairs.entries:
            self.pairs.errors.append(_l("Give at least one pair."))
            ok = False
        if self.kind == "numeric":
            if not self.answers.entries:
                self.answers.errors.append(_l("Give at least one answer."))
                ok = False
            for entry in self.answers:
                ok = _range_errors(entry.form) and ok
            if self.answers.entries and not any(_credit(entry.form) == 100 for entry in self.answers):
                self.answers.errors.append(_l("At least one answer must give full credit (100 percent)."))
                ok = False
        forms = [self, *(entry.form for key in self.row_lists for entry in self[key])]
        for form in forms:
            ok = _all_or_none(form, self.languages) and ok
        return not ok


def for_type(kind: str, languages: Sequence[str], links: Mapping[str, list[SelectChoice]]) -> type[QuestionForm]:
    """The form class for one question type in a course with these languages and lesson links per language."""

    class Form(QuestionForm):
        pass

    Form.kind, Form.languages = kind, tuple(languages)
    for lang in languages:
        setattr(Form, f"text_{lang}", _text_field(_l("Question"), lang, True))
        setattr(Form, f"explanation_{lang}", _text_field(_l("Explanation after answering"), lang, True))
        setattr(
            Form,
            f"lesson_{lang}",
            SelectField(
                _l("Lesson section it tests (%(language)s)", language=_language(lang)),
                choices=list(links.get(lang, [])),
            ),
        )
    if kind in ("single", "multiple"):
        Form.options = FieldList(FormField(_option_form(languages, True)), min_entries=0, max_entries=MAX_ROWS)
    elif kind == "ordering":
        Form.items = FieldList(FormField(_option_form(languages, False)), min_entries=0, max_entries=MAX_ROWS)
    elif kind == "truefalse":
        Form.answer = RadioField(
            _l("The statement is"),
            choices=[SelectChoice("true", _l("true")), SelectChoice("false", _l("false"))],
            validators=[DataRequired(_l("Choose true or false."))],
        )
        for lang in languages:
            setattr(Form, f"feedback_true_{lang}", _text_field(_l("Feedback for “true”"), lang, False))
            setattr(Form, f"feedback_false_{lang}", _text_field(_l("Feedback for “false”"), lang, False))
    elif kind == "matching":
        Form.pairs = FieldList(FormField(_pair_form(languages)), min_entries=0, max_entries=MAX_ROWS)
        Form.distractors = FieldList(FormField(_option_form(languages, False)), min_entries=0, max_entries=MAX_ROWS)
    elif kind == "numeric":
        Form.answers = FieldList(FormField(_range_form(languages)), min_entries=0, max_entries=MAX_ROWS)
        for lang in languages:
            setattr(Form, f"unit_{lang}", _text_field(_l("Unit"), lang, False))
            setattr(Form, f"feedback_wrong_{lang}", _text_field(_l("Feedback for a wrong answer"), lang, False))
    elif kind == "shorttext":
        for lang in languages:
            setattr(Form, f"accept_{lang}", _text_field(_l("Accepted answers, one per line"), lang, True))
            setattr(Form, f"feedback_wrong_{lang}", _text_field(_l("Feedback for a wrong answer"), lang, False))
    elif kind == "essay":
        Form.max_chars = StringField(
            _l("Longest answer, in characters"), validators=[Optional(), _answer_length], filters=[strip]
        )
        for lang in languages:
            setattr(Form, f"rubric_{lang}", _text_field(_l("Rubric for the trainer who grades"), lang, False))
    return Form


# --- YAML ↔ form data -------------------------------------------------------------------------------------------


def _text(value: object, lang: str) -> str:
    if isinstance(value, dict):
        item = value.get(lang)
        return "" if item is None or isinstance(item, bool) else str(item)
    return ""


def _link(value: object, lang: str) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, dict) and isinstance(value.get(lang), str):
        return value[lang].strip()
    return ""


def form_data(question: Mapping, languages: Sequence[str]) -> dict:
    """A question mapping from the quiz file as the values of its type's form."""
    kind = question.get("type")
    points = question.get("points", 1)
    data: dict = {
        "question_id": str(question.get("id", "")),
        "points": str(_whole_or_float(points)) if isinstance(points, int | float) else str(points),
        "always": question.get("always") is True,
    }
    for lang in languages:
        data[f"text_{lang}"] = _text(question.get("text"), lang)
        data[f"explanation_{lang}"] = _text(question.get("explanation"), lang)
        data[f"lesson_{lang}"] = _link(question.get("lesson"), lang)
    if kind in ("single", "multiple", "ordering"):
        key = "items" if kind == "ordering" else "options"
        rows = []
        for row in question.get(key) or []:
            if not isinstance(row, dict):
                continue
            values = {"choice_id": str(row.get("id", ""))}
            if kind != "ordering":
                values["correct"] = row.get("correct") is True
                values["percent"] = _shown(row.get("percent"))
            for lang in languages:
                values[f"text_{lang}"] = _text(row.get("text"), lang)
                if kind != "ordering":
                    values[f"feedback_{lang}"] = _text(row.get("feedback"), lang)
            rows.append(values)
        data[key] = rows
    elif kind == "truefalse":
        answer = question.get("answer")
        data["answer"] = "true" if answer is True else "false" if answer is False else None
        for lang in languages:
            data[f"feedback_true_{lang}"] = _text(question.get("feedback_true"), lang)
            data[f"feedback_false_{lang}"] = _text(question.get("feedback_false"), lang)
    elif kind == "matching":
        data.update(_matching_data(question, languages))
    elif kind == "numeric":
        data["answers"] = _numeric_rows(question, languages)
        for lang in languages:
            data[f"unit_{lang}"] = _text(question.get("unit"), lang)
            data[f"feedback_wrong_{lang}"] = _text(question.get("feedback_wrong"), lang)
    elif kind == "shorttext":
        accept = question.get("accept") if isinstance(question.get("accept"), dict) else {}
        for lang in languages:
            answers = accept.get(lang)
            data[f"accept_{lang}"] = "\n".join(str(a) for a in answers) if isinstance(answers, list) else ""
            data[f"feedback_wrong_{lang}"] = _text(question.get("feedback_wrong"), lang)
    elif kind == "essay":
        limit = question.get("max_chars")
        data["max_chars"] = "" if limit is None else str(limit)
        for lang in languages:
            data[f"rubric_{lang}"] = _text(question.get("rubric"), lang)
    return data


def _rows_of(question: Mapping, key: str) -> list[dict]:
    rows = question.get(key)
    return [row for row in rows if isinstance(row, dict)] if isinstance(rows, list) else []


def _matching_data(question: Mapping, languages: Sequence[str]) -> dict:
    """Prompts as pairs with the text of the choice each matches; the choices no prompt matches as distractors."""
    choices = {str(choice.get("id")): choice for choice in _rows_of(question, "choices")}
    pairs, matched = [], set()
    for prompt in _rows_of(question, "prompts"):
        match = str(prompt.get("match", ""))
        matched.add(match)
        row = {"choice_id": str(prompt.get("id", "")), "match_id": match}
        for lang in languages:
            row[f"text_{lang}"] = _text(prompt.get("text"), lang)
            row[f"answer_{lang}"] = _text(choices.get(match, {}).get("text"), lang)
        pairs.append(row)
    distractors = [
        {"choice_id": choice_id, **{f"text_{lang}": _text(choice.get("text"), lang) for lang in languages}}
        for choice_id, choice in choices.items()
        if choice_id not in matched
    ]
    return {"pairs": pairs, "distractors": distractors}


def _numeric_rows(question: Mapping, languages: Sequence[str]) -> list[dict]:
    """Every accepted answer as a row; a question with a single `answer` is one row."""
    if "answers" not in question:
        return [{"value": _shown(question.get("answer")), "tolerance": _shown(question.get("tolerance") or None)}]
    rows = []
    for answer in _rows_of(question, "answers"):
        row = {name: _shown(answer.get(key)) for name, key in _RANGE_KEYS.items()}
        rows.append(row | {f"feedback_{lang}": _text(answer.get("feedback"), lang) for lang in languages})
    return rows


_RANGE_KEYS = {"value": "value", "tolerance": "tolerance", "low": "min", "high": "max", "percent": "percent"}


def form_editable(question: Mapping) -> bool:
    """Whether the question has a form: an unknown type, and a short-text question whose answers each carry their
    own credit and feedback (`answers`), are edited as YAML."""
    if question.get("type") == "shorttext" and "answers" in question:
        return False
    return question.get("type") in FORM_TYPES


def _optional_text(question: dict, key: str, texts: dict[str, str]) -> None:
    if texts:
        question[key] = texts
    else:
        question.pop(key, None)


def question_from(form: QuestionForm, original: Mapping) -> dict:
    """The question mapping the form describes; keys the form does not show keep their value and place."""
    languages = form.languages
    question = dict(original)
    question["id"] = form.question_id.data
    question["type"] = form.kind
    points = _whole_or_float(_parse(form.points.data))
    if points == 1 and "points" not in original:
        question.pop("points", None)
    else:
        question["points"] = points
    links = {lang: form[f"lesson_{lang}"].data for lang in languages}
    question["lesson"] = links[languages[0]] if len(set(links.values())) == 1 else links
    question["text"] = _per_language(form, "text", languages)
    question["explanation"] = _per_language(form, "explanation", languages)
    if form.always.data:
        question["always"] = True
    else:
        question.pop("always", None)
    if form.kind == "matching":
        question.update(_matching_from(form, original))
    elif form.kind == "numeric":
        _numeric_from(form, question, original)
    elif form.row_lists:
        key = form.row_lists[0]
        before = {str(row.get("id")): row for row in original.get(key) or [] if isinstance(row, dict)}
        rows = []
        taken = [entry.form.choice_id.data for entry in form[key] if entry.form.choice_id.data]
        for entry in form[key]:
            row_id = entry.form.choice_id.data or _new_id(key, taken)
            taken.append(row_id)
            row = dict(before.get(row_id, {}))
            row["id"] = row_id
            row["text"] = _per_language(entry.form, "text", languages)
            if key == "options":
                if entry.form.correct.data:
                    row["correct"] = True
                else:
                    row.pop("correct", None)
                percent = _number_or_none(entry.form.percent.data)
                if percent is None:
                    row.pop("percent", None)
                else:
                    row["percent"] = percent
                _optional_text(row, "feedback", _per_language(entry.form, "feedback", languages))
            rows.append(row)
        question[key] = rows
    elif form.kind == "truefalse":
        question["answer"] = form.answer.data == "true"
        _optional_text(question, "feedback_true", _per_language(form, "feedback_true", languages))
        _optional_text(question, "feedback_false", _per_language(form, "feedback_false", languages))
    elif form.kind == "shorttext":
        question["accept"] = {
            lang: [line.strip() for line in form[f"accept_{lang}"].data.split("\n") if line.strip()]
            for lang in languages
        }
        _optional_text(question, "feedback_wrong", _per_language(form, "feedback_wrong", languages))
    elif form.kind == "essay":
        limit = _whole(form.max_chars.data)
        if limit is not None:
            question["max_chars"] = limit
        else:
            question.pop("max_chars", None)
        _optional_text(question, "rubric", _per_language(form, "rubric", languages))
    return question


def _new_id(key: str, taken: Sequence[str]) -> str:
    return unused_id("option" if key == "options" else "item", taken)


def _number_or_none(text: str | None) -> int | float | None:
    value = _parse(text) if text else None
    return None if value is None else _whole_or_float(value)


def _numeric_from(form: QuestionForm, question: dict, original: Mapping) -> None:
    """One plain answer is written as `answer` (and `tolerance`); anything more as a list of `answers`."""
    languages = form.languages
    rows = []
    for entry in form.answers:
        row: dict = {}
        for name, key in _RANGE_KEYS.items():
            value = _number_or_none(entry.form[name].data)
            if value is not None:
                row[key] = value
        _optional_text(row, "feedback", _per_language(entry.form, "feedback", languages))
        rows.append(row)
    only = rows[0] if len(rows) == 1 else {}
    if "value" in only and set(only) <= {"value", "tolerance"} and "answers" not in original:
        wanted = {"answer": only["value"], "tolerance": only.get("tolerance") or None, "answers": None}
    else:
        wanted = {"answer": None, "tolerance": None, "answers": rows}
    for key, value in wanted.items():  # set in place, so the keys keep their order in the file
        if value is None:
            question.pop(key, None)
        else:
            question[key] = value
    _optional_text(question, "unit", _per_language(form, "unit", languages))
    _optional_text(question, "feedback_wrong", _per_language(form, "feedback_wrong", languages))


def _matching_from(form: QuestionForm, original: Mapping) -> dict:
    """Prompts and choices from the pairs: pairs whose answers read the same in every language share one choice;
    the choices keep their order in the file (new ones at the end) and any keys the form does not show."""
    languages = form.languages
    old_prompts = {str(row.get("id")): row for row in _rows_of(original, "prompts")}
    old_choices = {str(row.get("id")): row for row in _rows_of(original, "choices")}
    taken = [entry.form.choice_id.data for entry in form.pairs if entry.form.choice_id.data]
    taken += [entry.form.match_id.data for entry in form.pairs if entry.form.match_id.data]
    taken += [entry.form.choice_id.data for entry in form.distractors if entry.form.choice_id.data]
    choices: dict[str, dict] = {}
    by_text: dict[tuple, str] = {}

    def choice(wanted: str | None, texts: dict[str, str]) -> str:
        choice_id = wanted if wanted and wanted not in choices else unused_id("choice", taken)
        taken.append(choice_id)
        choices[choice_id] = {**old_choices.get(choice_id, {}), "id": choice_id, "text": texts}
        return choice_id

    prompts = []
    for entry in form.pairs:
        texts = _per_language(entry.form, "answer", languages)
        key = tuple(sorted(texts.items()))
        if key not in by_text:
            by_text[key] = choice(entry.form.match_id.data, texts)
        prompt_id = entry.form.choice_id.data or unused_id("prompt", taken)
        taken.append(prompt_id)
        prompt = {**old_prompts.get(prompt_id, {}), "id": prompt_id}
        prompt.update(text=_per_language(entry.form, "text", languages), match=by_text[key])
        prompts.append(prompt)
    for entry in form.distractors:
        choice(entry.form.choice_id.data, _per_language(entry.form, "text", languages))
    order = list(old_choices)
    ordered = sorted(choices.values(), key=lambda c: order.index(c["id"]) if c["id"] in order else len(order))
    return {"prompts": prompts, "choices": ordered}
