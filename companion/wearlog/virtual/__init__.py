"""Virtual wearable: the unchanged firmware on CPython, fed by a virtual wearer.

`wearlog.testing.samples.Wearer` draws a multi-day schedule and synthesises wrist acceleration
with ground truth; `hostport.run_wearer` runs the device application over it
with a simulated clock and returns the device, its log and the truth.
"""
