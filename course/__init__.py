"""The KAM pay course. The web app is built by course.app.create_app(); importing this package builds nothing."""
