import pytest

from .factories import desks as make_desks


@pytest.fixture
def desks(world):
    return make_desks(world)
