"""The address and allocation rules as plain functions (no database)."""

import ipaddress
import random

import pytest
from django.core.exceptions import ValidationError

from coin.resources.allocation import find_free_block, iter_free_blocks
from coin.resources.ip import address_key, end_key, key_value, parse_network, start_key

net = ipaddress.ip_network


def test_parse_network_normalises_and_accepts_a_bare_address():
    assert str(parse_network(" 2001:DB8:0:0::/32 ")) == "2001:db8::/32"
    assert parse_network("192.0.2.7") == net("192.0.2.7/32")
    assert parse_network("2001:db8::1") == net("2001:db8::1/128")


def test_parse_network_refuses_host_bits_and_says_which_network():
    with pytest.raises(ValidationError) as error:
        parse_network("192.0.2.1/24")
    assert "192.0.2.0/24" in error.value.messages[0]


@pytest.mark.parametrize("value", ["", "192.0.2.0/33", "300.1.2.3", "2001:db8::/129", "banana"])
def test_parse_network_refuses_garbage(value):
    with pytest.raises(ValidationError):
        parse_network(value)


def test_keys_sort_in_address_order_ipv4_before_ipv6():
    networks = [
        net("10.0.0.0/8"),
        net("9.255.255.255/32"),
        net("::/0"),
        net("2001:db8::/32"),
        net("0.0.0.0/0"),
    ]
    by_key = sorted(networks, key=start_key)
    assert by_key == [
        net("0.0.0.0/0"),
        net("9.255.255.255/32"),
        net("10.0.0.0/8"),
        net("::/0"),
        net("2001:db8::/32"),
    ]
    assert len({len(start_key(n)) for n in networks} | {len(end_key(n)) for n in networks}) == 1
    assert key_value(end_key(net("2001:db8::/32")))[1] == int(net("2001:db8::/32").broadcast_address)
    assert (
        start_key(net("192.0.2.0/24"))
        <= address_key(ipaddress.ip_address("192.0.2.255"))
        <= end_key(net("192.0.2.0/24"))
    )


def test_first_block_of_an_empty_range():
    assert find_free_block(0, 255, 4, []).block == 0
    assert find_free_block(0, 255, 4, []).lowest_free == 4


def test_lowest_aligned_block_skips_holes_too_small_or_misaligned():
    # used: 0-3, 8-9 (a /31), 16-31; hole 4-7 fits a /30 but not a /29 (aligned on 8)
    used = [(0, 3), (8, 9), (16, 31)]
    assert find_free_block(0, 255, 4, used).block == 4
    assert find_free_block(0, 255, 8, used).block == 32  # 4-7 too small, 10-15 misaligned
    assert find_free_block(0, 255, 2, used).block == 4
    assert find_free_block(0, 255, 1, used).block == 4


def test_a_hole_left_by_a_deletion_is_reused_first():
    used = [(0, 3), (8, 11), (12, 15)]  # 4-7 freed
    search = find_free_block(0, 255, 4, used)
    assert search.block == 4
    assert search.lowest_free == 8  # everything below 8 is allocated after this allocation


def test_hint_records_the_lowest_free_address_when_the_block_is_higher():
    used = [(0, 0), (2, 3)]  # address 1 free, but a /30 needs 4-7
    search = find_free_block(0, 255, 4, used)
    assert (search.block, search.lowest_free) == (4, 1)


def test_search_from_a_hint_reads_no_range_below_it():
    def ranges():
        yield (0, 99)  # only the range covering the hint may come first
        yield (100, 103)
        yield (200, 203)  # shows that 104-107 is free
        raise AssertionError("read past the gap")

    assert find_free_block(0, 1023, 4, ranges(), start=96).block == 104


def test_full_range_and_blocks_that_would_cross_the_end():
    assert find_free_block(0, 15, 4, [(0, 15)]).block is None
    assert find_free_block(0, 15, 4, [(0, 15)]).lowest_free == 16
    assert find_free_block(0, 15, 8, [(0, 3)]).block == 8
    assert find_free_block(0, 15, 8, [(0, 3), (12, 12)]).block is None
    assert find_free_block(16, 31, 16, []).block == 16


def test_the_walk_stops_at_the_first_fitting_gap():
    consumed = []

    def ranges():
        for start in range(0, 1 << 20, 4):
            consumed.append(start)
            if start == 40:
                continue  # a hole at 40-43
            yield (start, start + 3)

    assert find_free_block(0, (1 << 20) - 1, 4, ranges()).block == 40
    assert len(consumed) < 20


def test_free_blocks_are_listed_in_order():
    used = [(0, 3), (8, 9), (16, 31)]
    blocks = list(iter_free_blocks(0, 63, 4, used))
    assert blocks == [4, 12, 32, 36, 40, 44, 48, 52, 56, 60]
    assert list(iter_free_blocks(0, 15, 4, [(0, 15)])) == []


def _brute_force(first: int, last: int, size: int, used: list[tuple[int, int]]) -> int | None:
    taken = {address for start, end in used for address in range(start, end + 1)}
    for block in range(first, last + 1, size):
        if block + size - 1 <= last and not taken & set(range(block, block + size)):
            return block
    return None


def test_find_free_block_agrees_with_brute_force_on_random_pools():
    """Random pools of aligned blocks of mixed sizes, random valid hints: the
    search finds the lowest free aligned block, and its hint only skips space that
    is allocated."""
    rng = random.Random(20250101)
    for _case in range(400):
        first, last = 0, 127
        used, cursor = [], 0
        while cursor <= last:
            size = 1 << rng.randrange(0, 4)
            cursor = -(-cursor // size) * size
            if cursor + size - 1 > last:
                break
            if rng.random() < 0.6:
                used.append((cursor, cursor + size - 1))
            cursor += size + (rng.randrange(0, 3) if rng.random() < 0.2 else 0)
        taken = {address for start, end in used for address in range(start, end + 1)}
        lowest_free = next((a for a in range(first, last + 1) if a not in taken), last + 1)
        hint = rng.randrange(first, lowest_free + 1)  # any address up to the lowest free one
        size = 1 << rng.randrange(0, 5)
        search = find_free_block(first, last, size, iter(used), hint)
        assert search.block == _brute_force(first, last, size, used), (used, hint, size)
        after = taken | (set(range(search.block, search.block + size)) if search.block is not None else set())
        assert all(address in after for address in range(hint, min(search.lowest_free, last + 1)))
        assert list(iter_free_blocks(first, last, size, iter(used)))[:1] == (
            [] if search.block is None else [search.block]
        )
