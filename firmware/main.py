# Device entry point: pick the board profile, build the app, run forever.
# The profile is chosen from board.txt (one line: a module in boards/) or
# from the firmware's own board name.
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


def profile_name():
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


def main():
    mod = __import__("boards." + profile_name(), None, None, ("make",))
    board = mod.make()
    try:
        os.mkdir(LOG_DIR)
    except OSError:
        pass
    app = App(board, log_dir=LOG_DIR, wake_ms=1000)
    app.boot()
    try:
        while True:
            board.sleep_ms(app.tick())
    finally:
        app.shutdown()  # a crash or Ctrl-C: what is in RAM goes to flash first


main()
