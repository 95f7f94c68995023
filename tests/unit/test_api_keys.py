from ponte.auth import api_keys


def test_generated_keys_are_pex_plus_32_and_unique() -> None:
    keys = {api_keys.generate() for _ in range(200)}
    assert len(keys) == 200
    assert all(api_keys.is_well_formed(k) and len(k) == 36 for k in keys)


def test_well_formedness() -> None:
    assert not api_keys.is_well_formed("pex_" + "a" * 31)
    assert not api_keys.is_well_formed("pex_" + "a" * 33)
    assert not api_keys.is_well_formed("pex_" + "a" * 31 + "-")
    assert not api_keys.is_well_formed("PEX_" + "a" * 32)


def test_hash_is_stable_and_hides_the_key() -> None:
    key = api_keys.generate()
    assert api_keys.hash_key(key) == api_keys.hash_key(key)
    assert key[4:] not in api_keys.hash_key(key)
    assert api_keys.display_prefix(key) == key[:10]
