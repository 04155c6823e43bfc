import subprocess, sys, itertools, json
code = r'''
import sys, json, numpy as np, htj2k
sys.path.insert(0, "tests")
from helpers.images import make_image
shape, prog, tp, levels, tiles, plt, enc = json.loads(sys.argv[1])
img = make_image(tuple(shape), "u1", 8, "random", 1)
d = htj2k.encode(img, levels=levels, progression=prog, tileparts=tp, tile_size=tuple(tiles) if tiles else None, plt=plt, encoder=enc, tlm=True)
out = htj2k.decode(d, decoder="openjph")
print("ok" if (out == img).all() else "WRONG")
'''
for shape, (prog, tp), levels, tiles, plt, enc in itertools.product(
        [(33, 45, 3), (16, 16), (7, 3, 4)], [("LRCP", "C"), ("CPRL", "C"), ("RLCP", "RC"), ("RPCL", "R"), ("LRCP", "R")],
        [0, 1, 2], [None, (8, 8)], [False, True], ["htj2k", "openjph"]):
    arg = json.dumps([shape, prog, tp, levels, tiles, plt, enc])
    p = subprocess.run([sys.executable, "-c", code, arg], capture_output=True, text=True)
    res = p.stdout.strip() or f"rc={p.returncode} {p.stderr.strip().splitlines()[-1] if p.stderr.strip() else ''}"
    if res != "ok":
        print(arg, res, flush=True)
print("done")
