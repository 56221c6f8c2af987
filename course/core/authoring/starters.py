"""What a new lesson or quiz file starts as: valid front matter and a skeleton the trainer fills in."""

from __future__ import annotations

_LESSON = {
    "de": {
        "title": "Neue Lektion",
        "objective": "Sie können … erklären.",
        "summary": "Worum es in dieser Lektion geht, in zwei Sätzen.",
        "heading": "Erster Abschnitt",
        "body": "Schreiben Sie hier den Text der Lektion in Markdown.",
    },
    "en": {
        "title": "New lesson",
        "objective": "You can explain …",
        "summary": "What this lesson is about, in two sentences.",
        "heading": "First section",
        "body": "Write the lesson's text here in Markdown.",
    },
}


def new_lesson(lesson_id: str, lang: str) -> str:
    """A lesson file that passes the checks once the course lists it (and its translation exists)."""
    words = _LESSON.get(lang, _LESSON["en"])
    return (
        "---\n"
        f"id: {lesson_id}\n"
        f"lang: {lang}\n"
        f'title: "{words["title"]}"\n'
        "minutes: 5\n"
        "objectives:\n"
        f'  - "{words["objective"]}"\n'
        f'summary: "{words["summary"]}"\n'
        "---\n"
        "\n"
        f"## {words['heading']}\n"
        "\n"
        f"{words['body']}\n"
    )


def new_quiz(quiz_id: str, lesson_id: str) -> str:
    """A quiz file with one single-choice question in German and English on `lesson_id`, ready to be edited."""
    return f"""id: {quiz_id}
title:
  de: "Neues Quiz"
  en: "New quiz"
pass_percent: 70
questions:
  - id: first-question
    type: single
    lesson: {lesson_id}
    text:
      de: "Wie lautet die Frage?"
      en: "What is the question?"
    explanation:
      de: "Warum die richtige Antwort richtig ist."
      en: "Why the right answer is right."
    options:
      - id: right
        correct: true
        text: {{de: "Die richtige Antwort", en: "The right answer"}}
      - id: wrong
        text: {{de: "Eine falsche Antwort", en: "A wrong answer"}}
        feedback: {{de: "Warum diese Antwort nicht passt.", en: "Why this answer does not fit."}}
"""
