"""What the register tells other apps: `enterprises_changed(ids=[…])` is sent inside the writing
transaction after enterprises were created or changed (dispatch keeps reporting duties by it)."""

from django.dispatch import Signal

enterprises_changed = Signal()
