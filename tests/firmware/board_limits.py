"""Each board's limits as the native-port tests use them (docs/firmware.md, "Board limits").

FREE_HEAP: GC heap free when the firmware starts (after boot and BLE activation).
None of these is a measurement on our boards; each is a conservative estimate
(docs/firmware.md gives the reasoning). BLOCK_SIZE: littlefs block = flash
erase sector on both ports (4 KiB).
"""

from __future__ import annotations

FREE_HEAP = {
    # ESP32 without PSRAM in use (ESP32_GENERIC build); the board's 2 MB PSRAM
    # (ESP32_GENERIC-SPIRAM build) would give megabytes.
    "m5stickc_plus2": 128 * 1024,
    # ESP32-S3 internal RAM only; its 8 MB PSRAM (SPIRAM_OCT build) would give megabytes.
    "xiao_esp32s3": 160 * 1024,
    # RP2040: the GC heap is the RAM left after .bss; BTstack and the cyw43
    # driver allocate from it when BLE starts.
    "pico_w": 128 * 1024,
}
BLOCK_SIZE = {"m5stickc_plus2": 4096, "xiao_esp32s3": 4096, "pico_w": 4096}
# Filesystem blocks (MicroPython defaults): ESP32 4 MB layout ~2 MiB, rp2 Pico W 848 KiB.
FS_BLOCKS = {"m5stickc_plus2": 512, "xiao_esp32s3": 512, "pico_w": 212}
