# Device entry point: pick the board profile, build the app, run forever.
# config.json (written by tools/flash.py: board, epoch_len, device_id) wins;
# else board.txt (one line: a module in boards/), else the firmware's board name.
import json
import os
import sys

from wlfw.app import App
from wlfw.errors import FirmwareError

PROFILES = (
    ("StickC", "m5stickc_plus2"),
    ("XIAO", "xiao_esp32s3"),
    ("ESP32S3", "xiao_esp32s3"),
    ("Pico", "pico_w"),
)
LOG_DIR = "/log"


def load_config():
    try:
        with open("config.json") as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def profile_name(config):
    if config.get("board"):
        return config["board"]
    try:
        with open("board.txt") as f:
            return f.read().strip()
    except OSError:
        pass
    machine_name = getattr(sys.implementation, "_machine", "")
    for key, name in PROFILES:
        if key in machine_name:
            return name
    raise FirmwareError("unknown board %r: write its profile name into board.txt"
                        % machine_name)


def start_radio(mod, board, app):
    """BLE: the sync engine behind the GATT peripheral, plugged in as the app's link.

    Boards whose MicroPython port bonds (NimBLE: ESP32) get link encryption on
    the Wearlog characteristics; the Pico W (BTstack, no bonding in mainline)
    relies on the HMAC challenge-response alone (profile BONDING = False).
    """
    import bluetooth

    from wlfw.device import assemble_radio
    from wlfw.radio_window import RadioWindow

    def radio(on):
        board.radio_on = on  # ESP32: lightsleep would stop BLE, so none while advertising

    app.link = assemble_radio(app, bluetooth.BLE(), "", app.fs, os.urandom,
                              window=RadioWindow(), secure=getattr(mod, "BONDING", True),
                              model=getattr(mod, "NAME", "Wearlog"), on_radio=radio)
    app.link.advertise()


def main():
    config = load_config()
    mod = __import__("boards." + profile_name(config), None, None, ("make",))
    board = mod.make()
    try:
        os.mkdir(LOG_DIR)
    except OSError:
        pass
    # how often to drain the IMU FIFO: config.json, else the profile's WAKE_MS (what its
    # FIFO holds with margin, bench/energy.py for what it saves), else once a second
    wake_ms = config.get("wake_ms", getattr(mod, "WAKE_MS", 1000))
    app = App(board, log_dir=LOG_DIR, wake_ms=wake_ms, epoch_len=config.get("epoch_len", 30))
    if "device_id" in config:
        app.device_id = config["device_id"]  # what flash.py recorded for the companion
    app.boot()
    start_radio(mod, board, app)
    try:
        while True:
            board.sleep_ms(app.tick())
    finally:
        app.shutdown()  # a crash or Ctrl-C: what is in RAM goes to flash first


main()
