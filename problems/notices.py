"""Problem steps become notifications: each `problem_event` is published to the notify outbox
inside the step's own transaction, so a message exists exactly when the step committed."""

from notify.services import publish

from .signals import problem_event


def publish_step(sender, *, problem, kind, actor, recipients, title, text, url, **kwargs) -> None:
    publish(
        f"problem.{kind}",
        recipients=recipients,
        title=title,
        text=text,
        url=url,
        ref=f"problem:{problem.pk}",
        region_code=problem.county,
    )


def connect() -> None:
    problem_event.connect(publish_step, dispatch_uid="problems.notices.publish_step")
