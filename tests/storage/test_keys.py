"""API keys: shown once, stored hashed, checked in constant time, roles ordered."""

from __future__ import annotations

from orderline.storage.keys import Role, matches, new_key, split_key


def test_a_new_key_is_stored_only_as_a_hash() -> None:
    plain, entry = new_key("burger", Role.CREW, "window tablet")
    parts = split_key(plain)
    assert parts is not None
    key_id, secret = parts
    assert key_id == entry.id and secret not in entry.model_dump_json()
    assert matches(entry, secret)
    assert not matches(entry, secret + "x")


def test_malformed_keys_do_not_split() -> None:
    for bad in ("", "olk", "olk__", "abc_def_ghi", "olk_id_", "Bearer olk"):
        assert split_key(bad) is None


def test_roles_include_the_ones_below() -> None:
    assert Role.MANAGER.allows(Role.CREW) and Role.MANAGER.allows(Role.CLIENT)
    assert Role.CREW.allows(Role.CLIENT) and not Role.CREW.allows(Role.MANAGER)
    assert not Role.CLIENT.allows(Role.CREW)
