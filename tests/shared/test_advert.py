"""Advertising payloads fit 31 bytes and parse back."""

from hypothesis import given
from hypothesis import strategies as st

from wlproto import advert
from wlproto.const import PROTOCOL_VERSION


def _ads(payload: bytes) -> dict[int, bytes]:
    out, i = {}, 0
    while i < len(payload):
        n = payload[i]
        out[payload[i + 1]] = payload[i + 2:i + 1 + n]
        i += n + 1
    assert i == len(payload)
    return out


@given(st.integers(0, 0xFFFFFFFF), st.integers(0, 100), st.integers(0, 10**6))
def test_advertising_round_trip(device_id: int, battery: int, unsynced: int) -> None:
    data = advert.advertising_data(device_id, battery, unsynced)
    assert len(data) <= 31 and len(advert.scan_response()) <= 31
    ads = _ads(data)
    name = ads[advert.AD_NAME_COMPLETE].decode()
    assert advert.is_wearlog_name(name) and name == advert.device_name(device_id)
    assert advert.parse_manufacturer(ads[advert.AD_MANUFACTURER]) == (
        PROTOCOL_VERSION, battery, min(unsynced, 0xFFFF))


def test_scan_response_carries_service_uuid_least_significant_first() -> None:
    ads = _ads(advert.scan_response())
    assert ads[advert.AD_UUID128_COMPLETE].hex() == "011b6d8e0c2f579a6e4f3b5c01001a7e"


def test_names() -> None:
    assert advert.device_name(0x123F2A) == "WL-3F2A"
    assert not advert.is_wearlog_name("WL-3f2a") and not advert.is_wearlog_name("XL-3F2A")
