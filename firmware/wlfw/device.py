# The device's radio side, assembled once: the pairing secret on flash, the sync
# engine and the BLE peripheral with its radio window. main.py calls this on a
# board; wearlog.virtual.ble_wearable calls it on the host port's bumble radio.
# Nothing here touches the radio until called (the caller brings bluetooth.BLE()).
from drivers.ble_peripheral import BlePeripheral

from wlfw.auth import SecretStore
from wlfw.sync_server import SyncServer


def assemble_radio(app, ble, state_dir, fs, rng, window=None, secure=True, model="Wearlog",
                   on_radio=None, adv_interval_us=None):
    """The BlePeripheral serving `app`'s log (the caller plugs it in as app.link).

    state_dir holds pairing.key and ble_bonds.json ("" = the filesystem root);
    window: a wlfw.radio_window.RadioWindow, or None to advertise all the time.
    """
    server = SyncServer(app, SecretStore(state_dir, fs), rng)
    if adv_interval_us is None:
        return BlePeripheral(ble, server, app, state_dir + "/ble_bonds.json", secure=secure,
                             model=model, window=window, on_radio=on_radio)
    return BlePeripheral(ble, server, app, state_dir + "/ble_bonds.json", secure=secure,
                         model=model, window=window, on_radio=on_radio,
                         adv_interval_us=adv_interval_us)
