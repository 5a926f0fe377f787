"""Keeps reporting duties in step with the register: the registry announces which enterprises
changed, and their duties (and rollup rows) follow in the same transaction."""

from django.db.models.signals import pre_delete
from django.dispatch import receiver

from registry.models import Enterprise
from registry.signals import enterprises_changed

from . import duties


@receiver(enterprises_changed)
def follow_register(sender, ids, **kwargs) -> None:
    duties.sync(ids)


@receiver(pre_delete, sender=Enterprise)
def enterprise_leaves(sender, instance, **kwargs) -> None:
    duties.forget([instance.pk])
