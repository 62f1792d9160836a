"""Simulated wearers for tests, the bench and the demo: never used by the product itself.

One vocabulary (wearlog.testing.days) says what a simulated wearer's days are made of:
per 30-s epoch the truth WAKE / SLEEP / NAP / NONWEAR, the intensity while awake and the
steps; the events (symptom presses, bed and up marks). Each generator draws the days from
a seed, keeps the truth beside its output, and renders them in the form its user needs:

=====================================  ===========================================  ============
form                                   call                                         used by
=====================================  ===========================================  ============
raw wrist acceleration for the          ``samples.Wearer(days, seed, ...)``          firmware
firmware (25 Hz, with button edges)     ``.read(start, n)``, ``.truth``              tests, bench,
                                        (virtual.hostport.run_wearer runs the        the demo
                                        unchanged firmware over it)
epoch and event records, as a synced    ``epochs.make_wearer(days, tz, ...)``        analysis
device delivers them                    ``.records``, ``.truth``                     tests, bench
a sample database: records stored as    ``database.make_patient(store, pid, dev,     web, export,
syncs, and the nights, days and         days, ...)``; any records:                   store tests,
profiles from the truth                 ``database.store_records(store, dev, recs)`` bench
=====================================  ===========================================  ============

The same seed gives the same output. Only the demo entry points (wearlog.demo, the
`wearlog demo` and `wearlog device virtual` commands) and the virtual wearable
(wearlog.virtual) may import this package; tests/companion/test_testing_imports.py
keeps the production packages free of it. It ships in the wheel for the demo.
"""
