"""TERASERVER_BCRYPT_ROUNDS: the cost factor of the passwords the package's models hash, set for the process."""

from collections.abc import Iterator

import bcrypt
import pytest
from opentera.db.models.TeraParticipant import TeraParticipant
from opentera.db.models.TeraUser import TeraUser

from teraserver import throttle


@pytest.fixture(autouse=True)
def default_cost_after() -> Iterator[None]:
    yield
    throttle.set_hash_cost(throttle.BCRYPT_DEFAULT_ROUNDS)


def cost(hashed: str | bytes) -> int:
    text = hashed.decode() if isinstance(hashed, bytes) else hashed
    return int(text.split("$")[2])


def test_the_models_hash_at_the_cost_set_and_checks_read_it_from_the_hash() -> None:
    default = TeraUser.encrypt_password("old secret")
    assert cost(default) == 12
    throttle.set_hash_cost(4)
    user, participant = TeraUser.encrypt_password("secret"), TeraParticipant.encrypt_password("secret")
    assert (cost(user), cost(participant)) == (4, 4)
    assert bcrypt.checkpw(b"secret", user.encode()) and not bcrypt.checkpw(b"other", user.encode())
    # A password hashed before at another cost still checks.
    assert bcrypt.checkpw(b"old secret", default.encode())


def test_the_unknown_name_decoy_costs_what_a_real_check_costs() -> None:
    throttle.set_hash_cost(4)
    throttle.spend_a_password_check("whatever")
    assert cost(throttle._decoy_hash()) == 4
    throttle.set_hash_cost(12)
    assert cost(throttle._decoy_hash()) == 12
    assert cost(bcrypt.gensalt()) == 12
