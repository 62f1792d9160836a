# The BLE radio: MicroPython's `bluetooth` API around the pure sync engine.
# The board profile creates bluetooth.BLE() and passes it in: nothing here
# touches the radio at import time. Registers the Wearlog service and the
# standard Device Information, Battery and Current Time services, advertises
# "WL-XXXX", sends the engine's segments paced to what the stack can queue,
# and persists bonding keys through _IRQ_GET_SECRET/_IRQ_SET_SECRET.
import binascii
import json
import os

import bluetooth
from micropython import const

from wlfw import cts
from wlfw.fsio import open_private
from wlfw.sync_server import CONTROL
from wlproto import advert
from wlproto.const import (
    BATTERY_LEVEL_CHAR,
    BATTERY_SERVICE,
    CONTROL_UUID,
    CURRENT_TIME_CHAR,
    CURRENT_TIME_SERVICE,
    DATA_UUID,
    DEVICE_INFO_SERVICE,
    FIRMWARE_REV_CHAR,
    MANUFACTURER_CHAR,
    MODEL_CHAR,
    SERIAL_CHAR,
    SERVICE_UUID,
    STATUS_UUID,
)

_IRQ_CENTRAL_CONNECT = const(1)
_IRQ_CENTRAL_DISCONNECT = const(2)
_IRQ_GATTS_WRITE = const(3)
_IRQ_MTU_EXCHANGED = const(21)
_IRQ_ENCRYPTION_UPDATE = const(28)
_IRQ_GET_SECRET = const(29)
_IRQ_SET_SECRET = const(30)

_F_READ = const(0x0002)
_F_WRITE = const(0x0008)
_F_NOTIFY = const(0x0010)
_F_READ_ENC = const(0x0200)
_F_WRITE_ENC = const(0x1000)

_IO_NO_INPUT_OUTPUT = const(3)
_ADV_INTERVAL_US = const(1000000)  # slow advertising: 1 s (power)
_BURST = const(6)  # notifications per service() call: below NimBLE's buffer count
_MAX_CONNS = const(2)
_CONNECTED_WAKE_MS = const(5)
_REFRESH_MS = const(1000)  # Current Time / Battery Level kept this fresh while connected
_BUF = const(256)


class BlePeripheral:
    def __init__(self, ble, server, app, bonds_path, secure=True, model="Wearlog",
                 firmware="0.1.0", adv_interval_us=_ADV_INTERVAL_US, window=None,
                 on_radio=None):
        self.ble = ble
        self.server = server
        self.app = app
        self.bonds_path = bonds_path
        self.secure = secure  # link-layer bonding + encryption (NimBLE builds only)
        self.adv_interval_us = adv_interval_us
        self.window = window  # wlfw.radio_window.RadioWindow, or None: always advertising
        self.on_radio = on_radio  # called with True/False when advertising starts/stops
        self.advertising = False
        self.conns = {}  # conn -> encrypted?
        self._bonds = self._load_bonds()
        self._adv_unsynced = -1
        self._refreshed_ms = 0
        ble.active(True)
        if secure:
            ble.config(bond=True, le_secure=True, mitm=False, io=_IO_NO_INPUT_OUTPUT)
        ble.config(gap_name=advert.device_name(app.device_id), mtu=247)
        ble.irq(self._irq)
        enc_r = _F_READ_ENC if secure else 0
        enc_w = _F_WRITE_ENC if secure else 0
        wearlog = (bluetooth.UUID(SERVICE_UUID), (
            (bluetooth.UUID(CONTROL_UUID), _F_WRITE | _F_NOTIFY | enc_w),
            (bluetooth.UUID(DATA_UUID), _F_NOTIFY),
            (bluetooth.UUID(STATUS_UUID), _F_READ | enc_r),
        ))
        info = (bluetooth.UUID(DEVICE_INFO_SERVICE), (
            (bluetooth.UUID(MANUFACTURER_CHAR), _F_READ),
            (bluetooth.UUID(MODEL_CHAR), _F_READ),
            (bluetooth.UUID(SERIAL_CHAR), _F_READ),
            (bluetooth.UUID(FIRMWARE_REV_CHAR), _F_READ),
        ))
        battery = (bluetooth.UUID(BATTERY_SERVICE), (
            (bluetooth.UUID(BATTERY_LEVEL_CHAR), _F_READ | _F_NOTIFY),
        ))
        clock = (bluetooth.UUID(CURRENT_TIME_SERVICE), (
            (bluetooth.UUID(CURRENT_TIME_CHAR), _F_READ | _F_WRITE | enc_w),
        ))
        ((self.h_ctl, self.h_data, self.h_status), (h_mfr, h_model, h_serial, h_fw),
         (self.h_batt,), (self.h_time,)) = ble.gatts_register_services(
            (wearlog, info, battery, clock))
        for h in (self.h_ctl, self.h_data, self.h_status):
            ble.gatts_set_buffer(h, _BUF)
        ble.gatts_write(h_mfr, b"Wearlog project")
        ble.gatts_write(h_model, model.encode())
        ble.gatts_write(h_serial, ("%08X" % app.device_id).encode())
        ble.gatts_write(h_fw, firmware.encode())
        self.refresh()

    # --- bonds ------------------------------------------------------------------
    def _load_bonds(self):
        try:
            with open(self.bonds_path) as f:
                return json.load(f)
        except (OSError, ValueError):
            return {}

    def _save_bonds(self):
        tmp = self.bonds_path + ".tmp"
        f = open_private(tmp)  # link keys: 0600 where files have modes
        try:
            f.write(json.dumps(self._bonds).encode())
        finally:
            f.close()
        os.rename(tmp, self.bonds_path)

    def _get_secret(self, sec_type, index, key):
        prefix = "%d:" % sec_type
        if key is None:
            i = 0
            for k in sorted(self._bonds):
                if k.startswith(prefix):
                    if i == index:
                        return binascii.unhexlify(self._bonds[k])
                    i += 1
            return None
        v = self._bonds.get(prefix + binascii.hexlify(bytes(key)).decode())
        return binascii.unhexlify(v) if v is not None else None

    def _set_secret(self, sec_type, key, value):
        k = "%d:%s" % (sec_type, binascii.hexlify(bytes(key)).decode())
        if value is None:
            self._bonds.pop(k, None)
        else:
            self._bonds[k] = binascii.hexlify(bytes(value)).decode()
        self._save_bonds()
        return True

    # --- events -----------------------------------------------------------------
    def _irq(self, event, data):
        if event == _IRQ_CENTRAL_CONNECT:
            conn = data[0]
            self.conns[conn] = False
            self.server.connected(conn)
            self.refresh()  # what a generic tool reads first: today's time and battery
            if len(self.conns) < _MAX_CONNS:
                self.advertise()
        elif event == _IRQ_CENTRAL_DISCONNECT:
            conn = data[0]
            self.conns.pop(conn, None)
            self.server.disconnected(conn)
            self.advertise()
        elif event == _IRQ_GATTS_WRITE:
            conn, handle = data
            if handle == self.h_ctl:
                self.server.command(conn, self.ble.gatts_read(handle))
            elif handle == self.h_time:
                self._write_time(conn, self.ble.gatts_read(handle))
            self.refresh()  # a clock set, an ACK: the standard values follow at once
        elif event == _IRQ_MTU_EXCHANGED:
            self.server.mtu_changed(data[0], data[1])
        elif event == _IRQ_ENCRYPTION_UPDATE:
            self.conns[data[0]] = bool(data[1])
        elif event == _IRQ_GET_SECRET:
            return self._get_secret(data[0], data[1], data[2])
        elif event == _IRQ_SET_SECRET:
            return self._set_secret(data[0], data[1], data[2])
        return None

    def _write_time(self, conn, value):
        s = self.server.sessions.get(conn)
        if s is None or not s.authed:
            return  # the clock is the companion's to set, after authentication
        try:
            self.app.set_time(cts.decode(value))
        except ValueError:
            pass

    # --- outgoing -----------------------------------------------------------------
    def advertise(self):
        if self.window is not None and not self.conns and not self._in_window():
            return
        self._set_advertising(True)
        self.refresh()  # each radio window starts with fresh values
        self.ble.gap_advertise(
            self.adv_interval_us,
            advert.advertising_data(self.app.device_id, self.app.battery_pct(),
                                    self.server.unsynced()),
            resp_data=advert.scan_response())

    def stop(self):
        self.ble.gap_advertise(None)
        self._set_advertising(False)

    def _set_advertising(self, on):
        if on != self.advertising:
            self.advertising = on
            if self.on_radio is not None:
                self.on_radio(on)

    def _in_window(self):
        return self.window.wanted(self.app.dclock.uptime_ms, bool(self.conns),
                                  getattr(self.app, "button_events", 0))

    def refresh(self):
        """Values generic tools read: battery, time, limited status.

        Called at boot, at each radio window, on connect and after every write
        (so a Current Time read after a sync shows the time the companion set);
        time and battery also once a second while connected (service()).
        """
        self._refresh_clock(self._refreshed_ms)
        self.ble.gatts_write(self.h_status, self.server.status(False))  # statvfs: not per second

    def _refresh_clock(self, now_ms):
        self._refreshed_ms = now_ms
        self.ble.gatts_write(self.h_batt, bytes((self.app.battery_pct(),)))
        self.ble.gatts_write(self.h_time, cts.encode(self.app.device_time()))

    def service(self, now_ms=0):
        """Send what the engine has, a burst per connection; ENOMEM means later.

        Returns how soon (ms) the main loop should call again: soon while a
        central is connected, None (the app's own pace) otherwise.
        """
        for conn in self.conns:
            for _ in range(_BURST):
                nxt = self.server.peek(conn)
                if nxt is None:
                    break
                which, seg = nxt
                try:
                    self.ble.gatts_notify(conn, self.h_ctl if which == CONTROL else self.h_data,
                                          seg)
                except OSError:
                    break  # the stack's buffers are full: pace down, retry next call
                self.server.sent(conn, which)
        if self.window is not None and not self.conns:
            want = self._in_window()
            if want and not self.advertising:
                self.advertise()
            elif not want and self.advertising:
                self.stop()  # the board may light-sleep again
        # ticks wrap at 2^30 on the boards (a multiple of it on 64-bit ports): mask the gap
        if self.conns and (now_ms - self._refreshed_ms) & 0x3FFFFFFF >= _REFRESH_MS:
            self._refresh_clock(now_ms)
        unsynced = self.server.unsynced()
        if unsynced != self._adv_unsynced and not self.conns and self.advertising:
            self._adv_unsynced = unsynced
            self.advertise()
        return _CONNECTED_WAKE_MS if self.conns else None
