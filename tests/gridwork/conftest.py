import pytest

from tests.staff_helpers import make_city


@pytest.fixture
def city(two_grids):
    return make_city(two_grids)
