# Wearlog protocol constants: the one table both sides read.
# MicroPython-compatible: const() folds these into bytecode on the device.
try:
    from micropython import const
except ImportError:  # CPython

    def const(x):  # type: ignore[misc]
        return x


# --- GATT -----------------------------------------------------------------
# 128-bit UUIDs share one random base; only the 2nd..3rd bytes differ.
SERVICE_UUID = "7e1a0001-5c3b-4f6e-9a57-2f0c8e6d1b01"
CONTROL_UUID = "7e1a0002-5c3b-4f6e-9a57-2f0c8e6d1b01"  # write w/ response; replies by notify
DATA_UUID = "7e1a0003-5c3b-4f6e-9a57-2f0c8e6d1b01"  # notify: record frames
STATUS_UUID = "7e1a0004-5c3b-4f6e-9a57-2f0c8e6d1b01"  # read: Status struct

# Standard SIG services a generic BLE tool recognises.
DEVICE_INFO_SERVICE = const(0x180A)
BATTERY_SERVICE = const(0x180F)
BATTERY_LEVEL_CHAR = const(0x2A19)
CURRENT_TIME_SERVICE = const(0x1805)
CURRENT_TIME_CHAR = const(0x2A2B)
MANUFACTURER_CHAR = const(0x2A29)
MODEL_CHAR = const(0x2A24)
SERIAL_CHAR = const(0x2A25)
FIRMWARE_REV_CHAR = const(0x2A26)

ADV_NAME_PREFIX = "WL-"  # advertised name: "WL-" + 4 upper-case hex digits of the device id

# --- Records (RECORD_SIZE bytes each, little-endian: wlproto.fields) --------
# Epoch length (s) where nothing says otherwise; a paired device's own is in the store.
EPOCH_S = const(30)

# Flags (both kinds use CLOCK_UNSET; the others describe an epoch).
FLAG_BUTTON = const(0x01)  # button pressed during the epoch
FLAG_CLOCK_UNSET = const(0x02)  # time is seconds since boot, not UTC
FLAG_NONWEAR = const(0x04)  # low variance: possibly not worn
FLAG_SENSOR_FAULT = const(0x08)  # sensor missing, stuck or FIFO overrun
FLAG_PARTIAL = const(0x10)  # fewer samples than the epoch should hold
FLAG_ALL = const(0x1F)

# Event types (Event.etype).
EV_SYMPTOM = const(1)  # value: severity 1..5 (button presses)
EV_BED = const(2)  # long press: in bed / lights out
EV_UP = const(3)  # long press: got up
EV_CLOCK_SET = const(4)  # arg: device time before the change; value: 1 if it was unset
EV_BOOT = const(5)  # arg: boot counter; value: reset cause
EV_SENSOR_FAULT = const(6)  # value: FAULT_* code
EV_LOG_FULL = const(7)  # arg: first sequence kept; aux: records dropped (saturating)
EV_BATTERY = const(8)  # value: percent; aux: millivolts
EV_NOTE = const(9)  # value: NOTE_* code; arg/aux: note-specific
EVENT_TYPES = (
    EV_SYMPTOM,
    EV_BED,
    EV_UP,
    EV_CLOCK_SET,
    EV_BOOT,
    EV_SENSOR_FAULT,
    EV_LOG_FULL,
    EV_BATTERY,
    EV_NOTE,
)

FAULT_MISSING = const(1)
FAULT_STUCK = const(2)
FAULT_OVERRUN = const(3)

SEVERITY_MIN = const(1)
SEVERITY_MAX = const(5)

U8_MAX = const(255)

# --- Frames (device -> central, carried in segments) -----------------------
FT_RECORDS = const(1)  # header + RECORD_SIZE * count + crc32
FT_END = const(2)  # no records: first_seq is the next sequence the device will write
FT_REPLY = const(3)  # reply to a control-point command

FRAME_FLAG_DEFLATE = const(0x01)  # records payload is raw-deflate compressed

FRAME_HEADER_SIZE = const(12)  # <BBBBII version, type, flags, count, first_seq, base_time
REPLY_HEADER_SIZE = const(5)  # <BBBBB version, type, opcode, status, length
CRC_SIZE = const(4)
MAX_RECORDS_PER_FRAME = const(64)
# MAX_MESSAGE_SIZE (header + MAX_RECORDS_PER_FRAME records + CRC): at the end, after RECORD_SIZE

# Segment byte at the start of every notification.
SEG_FIRST = const(0x80)
SEG_LAST = const(0x40)
SEG_COUNTER_MASK = const(0x3F)

ATT_OVERHEAD = const(3)  # notification payload = MTU - 3
MIN_MTU = const(23)

# --- Control point ---------------------------------------------------------
# Command: <BBB version, opcode, reserved(0)> + payload; at most MIN_MTU - 3 bytes.
COMMAND_HEADER_SIZE = const(3)
MAX_COMMAND_SIZE = const(MIN_MTU - ATT_OVERHEAD)

OP_STATUS = const(0x01)  # -> reply payload: Status
OP_AUTH_BEGIN = const(0x02)  # payload: client nonce(16) -> device nonce(16)
OP_AUTH_PROVE = const(0x03)  # payload: proof(16) -> device proof(16)
OP_PAIR = const(0x04)  # payload: secret(16); only in pairing mode
OP_SET_TIME = const(0x05)  # payload: <I utc> -> <IB previous device time, was_unset>
OP_READ = const(0x06)  # payload: <IH from_seq, window> -> frames on DATA
OP_ACK = const(0x07)  # payload: <I seq> all records < seq are stored
OP_STOP = const(0x08)  # stop streaming
OP_FORGET = const(0x09)  # unpair: erase the secret
OPCODES = (
    OP_STATUS,
    OP_AUTH_BEGIN,
    OP_AUTH_PROVE,
    OP_PAIR,
    OP_SET_TIME,
    OP_READ,
    OP_ACK,
    OP_STOP,
    OP_FORGET,
)

ST_OK = const(0)
ST_BAD_REQUEST = const(1)
ST_NOT_AUTHENTICATED = const(2)
ST_AUTH_FAILED = const(3)
ST_BAD_VERSION = const(4)
ST_OUT_OF_RANGE = const(5)
ST_BUSY = const(6)
ST_NOT_PAIRING = const(7)
ST_INTERNAL = const(8)

NONCE_SIZE = const(16)
SECRET_SIZE = const(16)
PROOF_SIZE = const(16)

# Status struct (status characteristic and OP_STATUS reply), 32 bytes.
STATUS_FLAG_CLOCK_SET = const(0x01)
STATUS_FLAG_PAIRED = const(0x02)
STATUS_FLAG_AUTHENTICATED = const(0x04)
STATUS_FLAG_LOG_NEARLY_FULL = const(0x08)
STATUS_FLAG_SENSOR_FAULT = const(0x10)
STATUS_FLAG_PAIRING_MODE = const(0x20)

# Defined with the field tables they follow from (wlproto.fields), read from here:
# the protocol version, the record slot size, the record header's bits and sentinels.
from wlproto.fields import (  # noqa: E402, F401
    FLAGS_MASK,
    KIND_EPOCH,
    KIND_EVENT,
    KIND_SHIFT,
    PROTOCOL_VERSION,
    RECORD_SIZE,
    TEMP_UNKNOWN,
    U16_MAX,
)

MAX_MESSAGE_SIZE = FRAME_HEADER_SIZE + RECORD_SIZE * MAX_RECORDS_PER_FRAME + CRC_SIZE
