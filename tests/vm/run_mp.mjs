// Runs one MicroPython-side test module inside the official MicroPython
// WebAssembly VM (npm: @micropython/micropython-webassembly-pyscript, pinned
// in package-lock.json). Driven by tests/vm/harness.py; see tests/vm/README.md.
//
// usage: node run_mp.mjs SPEC.json
//   SPEC = {"files": [[vm_path, host_path], ...], "module": "mp_test_x",
//           "heapsize": bytes}
// Output: the module's own prints; mptest lines start with "@@MPTEST ".
import { readFileSync } from "node:fs";
import { loadMicroPython } from "@micropython/micropython-webassembly-pyscript";

const spec = JSON.parse(readFileSync(process.argv[2], "utf8"));
const mp = await loadMicroPython({
  heapsize: spec.heapsize ?? 1024 * 1024,
  stdout: (line) => process.stdout.write(line + "\n"),
  stderr: (line) => process.stderr.write(line + "\n"),
});

function mkdirs(path) {
  let cur = "";
  for (const part of path.split("/").slice(1, -1)) {
    cur += "/" + part;
    try {
      mp.FS.mkdir(cur);
    } catch (e) {
      // already there
    }
  }
}

for (const [vmPath, hostPath] of spec.files) {
  mkdirs(vmPath);
  mp.FS.writeFile(vmPath, readFileSync(hostPath));
}

const py = (code) => mp.runPython(code);
try {
  // sys.path as on a board and in run_unix.py: without this VM's ".frozen" entry, so
  // binascii, os, time and io are the C modules the ESP32 and rp2 ports build in, not
  // the VM's frozen micropython-lib extensions of them (binascii.py's base64 tables
  // alone are 2.6 KB of heap and 45 qstrs a board does not spend).
  py("import sys\nsys.path[:] = ['/t', '/lib']\nimport mptest");
  for (let i = 0; i < 3; i++) py("mptest.base()");
  py("mptest.load(" + JSON.stringify(spec.module) + ")");
  // step() and sample() in separate calls: see mptest.py for why.
  // spec.collect_first: one more collection, in its own call, before each sample: the
  // first collection after a step can still find up to 4 KB of the step's garbage
  // marked from stale words; the sample's own collection then does not. A collection
  // never frees a live object, so the sample still counts everything alive.
  for (;;) {
    py("_more = mptest.step()");
    if (spec.collect_first) py("import gc\ngc.collect()");
    py("mptest.sample()");
    if (!mp.globals.get("_more")) break;
  }
} catch (e) {
  // Only reached if mptest itself could not run.
  process.stdout.write("@@MPTEST " + JSON.stringify({ test: "<vm>", ok: false, error: String(e) }) + "\n");
  process.exitCode = 3;
}
