"""Text helpers shared by the catalog, the quizzes and the studio: YAML with line numbers, slugs, sanitised
Markdown and validation findings. It imports no other core package, so each of them can use it."""
