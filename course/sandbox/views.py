"""The bonus-plan sandbox in the browser: scenarios, the plan editor, results, versions, compare, comments.

Every evaluation is saved as a new version of the design, so a learner can always go back, compare two
and see what a trainer commented on. Invalid plans are never simulated and never saved: the editor
comes back with every problem at its field.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import current_user, login_required

from course.assignments.operations import visible
from course.auth.access import readers_required, staff_required
from course.core import assignment as assigning
from course.core.errors import NotFound
from course.core.sandbox import (
    CRITERIA,
    PASS_SCORE,
    SCENARIOS,
    Plan,
    default_weights,
    draw_parameters,
    scenario,
    validate_plan,
)
from course.core.sandbox.rubric import FAIL_FACTOR, validate_weights
from course.extensions import db
from course.forms import whole_number
from course.groups import operations as groups
from course.i18n import current_language
from course.models import SandboxDesign, SandboxVersion
from course.publishing.cache import catalog
from course.sandbox import operations, presenting
from course.sandbox.charts import money
from course.sandbox.forms import CommentForm, PlanForm, StartForm, form_data, read_number, weights_form
from course.sandbox.labels import (
    CREDIT_LABELS,
    CRITERION_LABELS,
    METRICS_LABELS,
    PERIOD_LABELS,
    REWARD_LABELS,
    VERDICT_LABELS,
)

bp = Blueprint("sandbox", __name__)

LABELS = {
    "metrics": METRICS_LABELS,
    "periods": PERIOD_LABELS,
    "credits": CREDIT_LABELS,
    "rewards": REWARD_LABELS,
    "criteria": CRITERION_LABELS,
    "verdicts": VERDICT_LABELS,
}


@bp.before_request
def _only_where_declared() -> None:
    """A course's sandbox pages exist only when its course.yml declares the sandbox."""
    if request.view_args and "course_id" in request.view_args:
        catalog().sandbox_course(request.view_args["course_id"])


@bp.context_processor
def sandbox_names() -> dict:
    return {
        "labels": LABELS,
        "pass_score": PASS_SCORE,
        "fail_factor": format_decimal(FAIL_FACTOR),
        "field_attrs": field_attrs,
    }


def field_attrs(field, hint: object = None) -> dict[str, str]:  # noqa: ANN001 - any WTForms field
    """The ARIA attributes of an editor field: its hint and errors as its description, and whether it is wrong."""
    described = " ".join(([f"{field.id}-hint"] if hint else []) + ([f"{field.id}-error"] if field.errors else []))
    attrs = {"aria-describedby": described} if described else {}
    if field.errors:
        attrs["aria-invalid"] = "true"
    return attrs


bp.add_app_template_filter(money, "money")  # whole amounts in the learner's language: 120.000 € / €120,000


@bp.app_template_filter("scenario_title")
def scenario_title(scenario_id: str, lang: str) -> str:
    found = SCENARIOS.get(scenario_id)
    return found.title(lang) if found else scenario_id


@bp.get("/courses/<course_id>/sandbox")
def index(course_id: str):
    course = visible(catalog().course(course_id))
    user = current_user._get_current_object()
    designs = operations.designs_of(user, course.id) if user.is_authenticated else []
    assigned = None
    if user.is_authenticated:
        assigned = operations.assignment_of(user.id, course.id).assignment  # picked and stored on the first visit
        db.session.commit()
    other_kinds = [SCENARIOS[s] for s in assigned.other_scenarios(list(SCENARIOS))] if assigned else []
    lang = current_language()
    return render_template(
        "sandbox/index.html",
        course=course,
        scenarios=SCENARIOS.values(),
        designs=designs,
        lang=lang,
        threshold=course.completion.sandbox,
        standing=user.sandbox.get(course.id) if user.is_authenticated else None,
        assigned=assigned,
        assigned_scenario=SCENARIOS[assigned.scenario_id] if assigned else None,
        assigned_facts=_assigned_facts(assigned),
        other_kinds=other_kinds,
        other_titles=", ".join(s.title(lang) for s in other_kinds),
        staff=user.is_staff,
    )


def _assigned_facts(assigned: assigning.Assignment | None) -> list[tuple[str, str]]:
    if assigned is None:
        return []
    chosen = scenario(assigned.scenario_id)
    return presenting.scenario_facts(chosen, draw_parameters(chosen, assigned.seed))


@bp.get("/courses/<course_id>/sandbox/scenarios/<scenario_id>")
def brief(course_id: str, scenario_id: str):
    course = visible(catalog().course(course_id))
    chosen = scenario(scenario_id)
    user = current_user._get_current_object()
    assigned = None
    if user.is_authenticated:
        assigned = operations.assignment_of(user.id, course.id).assignment
        db.session.commit()
    return render_template(
        "sandbox/brief.html",
        course=course,
        scenario=chosen,
        example=presenting.example_name(request.args.get("example")),
        lang=current_language(),
        form=StartForm(),
        assigned=assigned,
        role=assigned.role(chosen.id) if assigned else None,
    )


@bp.post("/courses/<course_id>/sandbox/designs")
@login_required
def start(course_id: str):
    course = visible(catalog().course(course_id))
    chosen = scenario(request.form.get("scenario", ""))
    form = StartForm()
    if not form.validate():
        abort(400)
    example = presenting.example_name(form.example.data)
    design = operations.start_design(current_user, course, chosen.id, None, current_language())
    db.session.commit()
    return redirect(url_for("sandbox.edit", design_id=design.id, example=example))


def _editor(design: SandboxDesign, form: PlanForm, status: int = 200, plan: Plan | None = None):
    chosen = scenario(design.scenario_id)
    params = draw_parameters(chosen, design.seed)
    return (
        render_template(
            "sandbox/editor.html",
            design=design,
            course=catalog().course(design.course_id),
            scenario=chosen,
            facts=presenting.scenario_facts(chosen, params),
            form=form,
            preview=presenting.pay_preview_rows(plan) if plan else None,
            lang=current_language(),
        ),
        status,
    )


def _checked(form: PlanForm) -> Plan | None:
    """The plan the form describes, with every problem placed at its field; None if there is any problem."""
    form_ok = form.validate()
    gate_ok = form.check_gate()
    plan, problems = validate_plan(form.plan_data(current_language()))
    for problem in problems:
        form.place(problem, presenting.message(problem))
    return plan if form_ok and gate_ok else None


@bp.get("/sandbox/designs/<int:design_id>")
@login_required
def edit(design_id: int):
    design = operations.own_design(design_id, current_user)
    if design.versions:
        plan = design.versions[-1].plan
    else:
        chosen = scenario(design.scenario_id)
        plan = presenting.example_plan(request.args.get("example", "blank"), draw_parameters(chosen, design.seed))
    valid, _problems = validate_plan(plan)
    return _editor(design, PlanForm(formdata=None, data=form_data(design.name, plan, current_language())), plan=valid)


@bp.post("/sandbox/designs/<int:design_id>")
@login_required
def evaluate(design_id: int):
    """Evaluate and save the plan as a new version, or (the "Preview" button) only show what it would pay."""
    design = operations.own_design(design_id, current_user)
    form = PlanForm()
    plan = _checked(form)
    if request.form.get("action") == "preview":
        db.session.rollback()
        if plan is None:
            flash(_("The preview needs a complete plan: please correct the fields marked below."), "error")
        return _editor(design, form, status=200 if plan else 400, plan=plan)
    if plan is None:
        db.session.rollback()
        flash(_("The plan was not evaluated: please correct the fields marked below."), "error")
        return _editor(design, form, status=400)
    operations.rename(design, form.name.data)
    version, _evaluation = operations.save_version(design, plan)
    number = version.number
    db.session.commit()
    return redirect(url_for("sandbox.result", design_id=design_id, number=number))


@bp.post("/sandbox/designs/<int:design_id>/preview")
@login_required
def preview(design_id: int):
    """The pay preview for the editor's script, as it types: pay arithmetic only, nothing is saved or graded."""
    operations.own_design(design_id, current_user)
    form = PlanForm()
    plan = _checked(form)
    db.session.rollback()
    return jsonify(
        valid=plan is not None,
        html=render_template("sandbox/preview.html", preview=presenting.pay_preview_rows(plan) if plan else None),
    )


@bp.get("/sandbox/designs/<int:design_id>/versions/<int:number>")
@login_required
def result(design_id: int, number: int):
    design = operations.visible_design(design_id, current_user)
    version = operations.version_of(design, number)
    evaluation = operations.version_evaluation(design, version)
    course = catalog().course(design.course_id)
    lang = current_language()
    staff = current_user.is_staff
    own = design.user_id == current_user.id
    counts = _counts(design) if own else None
    db.session.commit()  # the assignment, if this is the learner's first look since it was introduced
    return render_template(
        "sandbox/result.html",
        copied=operations.copied_from(evaluation),
        counts=counts,
        revealed=operations.benchmark_revealed(current_user, design),
        design=design,
        version=version,
        course=course,
        scenario=evaluation.scenario,
        evaluation=evaluation,
        criteria=presenting.criterion_views(evaluation, course.id, lang),
        outcomes=presenting.outcome_rows(evaluation),
        charts=presenting.charts(evaluation),
        facts=presenting.scenario_facts(evaluation.scenario, evaluation.params, evaluation.plan.currency),
        own=own,
        staff=staff,
        comment_form=CommentForm(formdata=None, data={"version": str(number)}) if staff else None,
        lang=lang,
    )


def _counts(design: SandboxDesign) -> str | None:
    """What the design's versions can count for: "assigned", "other" or None (same kind, or another draw)."""
    return operations.assignment_of(design.user_id, design.course_id).assignment.counts_as(
        design.scenario_id, design.seed
    )


@bp.post("/sandbox/designs/<int:design_id>/duplicate")
@login_required
def duplicate(design_id: int):
    design = operations.own_design(design_id, current_user)
    copy = operations.duplicate(design, current_user, _("Copy of %(name)s", name=design.name)[: operations.MAX_NAME])
    db.session.commit()
    flash(_("The design was duplicated. Change the copy without touching the original."), "info")
    return redirect(url_for("sandbox.edit", design_id=copy.id))


@bp.post("/sandbox/designs/<int:design_id>/feedback")
@login_required
def ask_feedback(design_id: int):
    """The owner asks a trainer for a comment; one open request at a time (a comment answers it)."""
    design = operations.own_design(design_id, current_user)
    back = (
        url_for("sandbox.result", design_id=design.id, number=design.latest_version, _anchor="comments")
        if design.latest_version
        else url_for("sandbox.edit", design_id=design.id)
    )
    try:
        operations.request_feedback(design, current_user)
    except operations.FeedbackAlreadyRequested:
        flash(_("You have already asked for feedback on this design; a trainer's comment answers it."), "info")
        return redirect(back)
    db.session.commit()
    flash(_("Your trainers are asked for feedback; their comment will appear with the design."), "success")
    return redirect(back)


@bp.get("/courses/<course_id>/sandbox/compare")
@login_required
def compare(course_id: str):
    course = visible(catalog().course(course_id))
    own = operations.designs_of(current_user, course.id)
    choices = [(f"{d.id}-{v.number}", d, v) for d in own for v in reversed(d.versions)]
    selected = [request.args.get("a", ""), request.args.get("b", "")]
    first = _pick(choices, selected[0])
    if first and not selected[1] and first[1].number > 1:
        selected[1] = f"{first[0].id}-{first[1].number - 1}"  # the previous version, preselected
    picked = [_pick(choices, key) for key in selected]
    columns = []
    rows = []
    if all(picked):
        # Older version first, so each column's change is from the version before it.
        ordered = sorted(picked, key=lambda pair: (pair[1].created_at, pair[1].id))
        for design, version in ordered:
            columns.append({"design": design, "version": version})
        evaluations = [operations.version_evaluation(design, version) for design, version in ordered]
        rows = presenting.compare_rows(evaluations)
        for column, evaluation in zip(columns, evaluations, strict=True):
            column["evaluation"] = evaluation
    status = 400 if {"a", "b"} <= set(request.args) and not columns else 200
    if status == 400:
        flash(_("Choose two of your saved versions to compare."), "error")
    return (
        render_template(
            "sandbox/compare.html",
            course=course,
            choices=choices,
            selected=selected,
            columns=columns,
            rows=rows,
            lang=current_language(),
        ),
        status,
    )


def _pick(
    choices: list[tuple[str, SandboxDesign, SandboxVersion]], key: str
) -> tuple[SandboxDesign, SandboxVersion] | None:
    for value, design, version in choices:
        if value == key:
            return design, version
    return None


@bp.post("/sandbox/designs/<int:design_id>/comments")
@staff_required
def comment(design_id: int):
    design = operations.visible_design(design_id, current_user)
    form = CommentForm()
    version = whole_number(form.version.data, 1)
    number = version or design.latest_version
    if not form.validate():
        for error in form.body.errors:
            flash(error, "error")
        return redirect(url_for("sandbox.result", design_id=design.id, number=number, _anchor="comment-form"))
    try:
        operations.add_comment(design, current_user, form.body.data, version)
    except NotFound:
        abort(400)
    db.session.commit()
    flash(_("Your comment is saved; the learner sees it with the design."), "info")
    return redirect(url_for("sandbox.result", design_id=design.id, number=number, _anchor="comments"))


@bp.get("/courses/<course_id>/sandbox/designs")
@readers_required
def designs(course_id: str):
    """The learners' designs, for trainers and managers those of the learners they look after."""
    course = catalog().course(course_id)
    chosen = request.args.get("scenario") or None
    if chosen is not None and chosen not in SCENARIOS:
        chosen = None
    return render_template(
        "sandbox/designs.html",
        course=course,
        rows=operations.course_designs(course.id, chosen, learners=groups.learners_in_view(current_user)),
        no_group=groups.looks_after_no_group(current_user),
        limit=operations.TRAINER_LIST_LIMIT,
        scenarios=SCENARIOS.values(),
        chosen=chosen,
        criteria=list(CRITERIA),
        lang=current_language(),
    )


def _weights_page(course_id: str, form, status: int = 200):  # noqa: ANN001 - the dynamic weights form
    course = catalog().course(course_id)
    current = operations.current_weights(course.id)
    return (
        render_template(
            "sandbox/weights.html",
            course=course,
            form=form,
            current=current,
            criteria=CRITERION_LABELS,
            lang=current_language(),
        ),
        status,
    )


@bp.get("/courses/<course_id>/sandbox/weights")
@staff_required
def weights(course_id: str):
    catalog().course(course_id)
    current = operations.current_weights(course_id)
    return _weights_page(course_id, weights_form(CRITERION_LABELS, current.weights if current else default_weights()))


@bp.post("/courses/<course_id>/sandbox/weights")
@staff_required
def save_weights(course_id: str):
    catalog().course(course_id)
    form = weights_form(CRITERION_LABELS, None, formdata=request.form)
    form_ok = form.validate()
    lang = current_language()
    values = {key: read_number(form[key].data, lang) for key in CRITERION_LABELS if form[key].data not in (None, "")}
    problems = validate_weights(values)
    for problem in problems:
        message = presenting.message(problem)
        if problem.path in CRITERION_LABELS:
            form[problem.path].errors = [*form[problem.path].errors, message]
        else:
            form.form_errors.append(message)
    if not form_ok or problems:
        return _weights_page(course_id, form, status=400)
    row = operations.set_weights(course_id, values, current_user)
    db.session.commit()
    flash(_("Rubric weights saved as version %(n)s. New evaluations use them.", n=row.number), "info")
    return redirect(url_for("sandbox.weights", course_id=course_id))
