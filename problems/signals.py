"""Events for notifications. Sent inside the service's transaction, so a receiver that writes
(an outbox row) commits or rolls back with the step itself.

problem_event kwargs:
- problem: the Problem, as it stands after the step;
- kind: "assigned", "overdue", "escalated", "answered", "reopened", "confirmed", "commented",
  "transferred";
- actor: the User who acted, or None for the overdue sweep;
- recipients: list of User (the handler, else the desk's members, for assigned, overdue,
  escalated, reopened, confirmed, transferred and the enterprise's comments; the enterprise's
  reporters for answered and the desk's comments); the actor is never among them;
- title, text: short Chinese text for a robot or an e-mail: the problem's number, category,
  enterprise, county and deadline, never a person's name or phone number;
- url: the path of the problem's page.
"""

from django.dispatch import Signal

problem_event = Signal()
