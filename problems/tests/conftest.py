import pytest

from .factories import desks as make_desks


@pytest.fixture
def desks(world):
    return make_desks(world)


@pytest.fixture(autouse=True)
def attachments_in_tmp(settings, tmp_path):
    """Uploaded files go to a directory of the test's own."""
    settings.VAR_DIR = tmp_path
    return tmp_path / "attachments"
