# Advertising and scan-response payloads (at most 31 bytes each).
#   advertising (20 bytes): flags, complete local name "WL-XXXX", manufacturer
#     data <HBBH company 0xFFFF, version, battery %, unsynced records>
#   scan response (18 bytes): the Wearlog 128-bit service UUID
# The status rides in the advertising data so a passive scan sees it.
# 0xFFFF is the Bluetooth SIG's company id reserved for tests and prototypes.
import binascii
import struct

from wlproto.const import ADV_NAME_PREFIX, PROTOCOL_VERSION, SERVICE_UUID
from wlproto.errors import MalformedError, TruncatedError

AD_FLAGS = 0x01
AD_UUID128_COMPLETE = 0x07
AD_NAME_COMPLETE = 0x09
AD_MANUFACTURER = 0xFF
COMPANY_ID = 0xFFFF
MFR_FMT = "<HBBH"


def uuid128_le(uuid):
    """16 bytes of a 128-bit UUID string, least significant first (as on air)."""
    b = binascii.unhexlify(uuid.replace("-", ""))
    return bytes(b[i] for i in range(15, -1, -1))


def device_name(device_id):
    return "%s%04X" % (ADV_NAME_PREFIX, device_id & 0xFFFF)


def _ad(t, value):
    return bytes(bytearray((len(value) + 1, t))) + bytes(value)


def advertising_data(device_id, battery_pct, unsynced):
    if unsynced > 0xFFFF:
        unsynced = 0xFFFF
    return (_ad(AD_FLAGS, b"\x06") + _ad(AD_NAME_COMPLETE, device_name(device_id).encode())
            + _ad(AD_MANUFACTURER,
                  struct.pack(MFR_FMT, COMPANY_ID, PROTOCOL_VERSION, battery_pct, unsynced)))


def scan_response():
    return _ad(AD_UUID128_COMPLETE, uuid128_le(SERVICE_UUID))


def parse_manufacturer(value):
    """(version, battery_pct, unsynced) from our manufacturer data (company id included)."""
    if len(value) < 6:
        raise TruncatedError("manufacturer data is %d bytes, expected 6" % len(value))
    company, version, battery, unsynced = struct.unpack_from(MFR_FMT, value, 0)
    if company != COMPANY_ID:
        raise MalformedError("manufacturer data from company 0x%04x, not Wearlog" % company)
    return version, battery, unsynced


def is_wearlog_name(name):
    if not name or len(name) != len(ADV_NAME_PREFIX) + 4 or not name.startswith(ADV_NAME_PREFIX):
        return False
    for c in name[len(ADV_NAME_PREFIX):]:
        if c not in "0123456789ABCDEF":
            return False
    return True
