"""What the register tells other apps: `enterprises_changed(ids=[…])` is sent inside the writing
transaction after enterprises were created or changed (dispatch keeps reporting duties by it).

A park's deletion changes its enterprises too (Enterprise.park is SET_NULL: one UPDATE that
sends no signal of its own), so it is announced here wherever it happens: the admin, a shell,
a script.
"""

from django.db.models.signals import post_delete, pre_delete
from django.dispatch import Signal, receiver

from .models import Enterprise, EnterpriseChange, Park

enterprises_changed = Signal()

_LEFT = "_enterprises_left"  # set on the park being deleted, between pre_ and post_delete


@receiver(pre_delete, sender=Park)
def park_closing(sender, instance: Park, **kwargs) -> None:
    setattr(instance, _LEFT, list(instance.enterprises.values_list("pk", flat=True)))


@receiver(post_delete, sender=Park)
def park_closed(sender, instance: Park, **kwargs) -> None:
    # Runs inside the deletion's transaction, after the enterprises lost their park: their
    # history says so, and their duties (and the rollups) move out of the park.
    ids: list[int] = getattr(instance, _LEFT, [])
    if not ids:
        return
    EnterpriseChange.objects.bulk_create(
        [
            EnterpriseChange(
                enterprise_id=pk,
                actor=None,
                source="park_deleted",
                changes={"park_id": [instance.pk, None]},
            )
            for pk in ids
        ]
    )
    enterprises_changed.send(sender=Enterprise, ids=ids)
