import itertools, sys
sys.path.insert(0, "tests")
import numpy as np, htj2k
from helpers.images import make_image
from helpers.isolation import IsolatedRunner
r = IsolatedRunner()
n = bad = 0
DIV = [("LRCP", "C"), ("LRCP", "RC"), ("RLCP", "C"), ("CPRL", "C"), ("RPCL", "R"), ("LRCP", "R"), ("RLCP", "R")]
for (h, w), nc, bits, (prog, tp), tiles, prec, tlm in itertools.product(
        [(1, 1), (1, 3), (2, 1), (7, 1), (1, 16), (2, 2), (7, 16), (33, 3), (3, 45), (33, 65), (64, 16)], [1, 3, 4], [1, 8],
        DIV, [None, (1, 1), (2, 3), (5, 2), (22, 21)], [None, [(8, 8)]], [False, True]):
    img = make_image((h, w, nc) if nc > 1 else (h, w), "u1", bits, "random", h + w)
    cap = htj2k._core.max_levels_for_size(w, h)
    for levels in range(0, min(cap, 3) + 1):
        kw = dict(bit_depth=bits, levels=levels, progression=prog, tileparts=tp, tile_size=tiles, precincts=prec, tlm=tlm, plt=tlm)
        for dec in ("openjpeg",):
            n += 1
            res = r.call("htj2k.encode", img, **kw)
            if res.kind != "ok":
                if res.kind == "died" or not isinstance(res.exception, (ValueError, htj2k.UnsupportedCodestreamError)):
                    bad += 1; print("ENCODE", res.describe(), img.shape, kw, flush=True)
                continue
            d = res.value
            res = r.call("htj2k.decode", d, decoder=dec)
            if res.kind == "raised" and isinstance(res.exception, htj2k.UnsupportedCodestreamError) and "OpenJPH" in str(res.exception):
                continue
            if res.kind != "ok" or not np.array_equal(np.asarray(res.value), img):
                bad += 1; print(dec, res.describe()[:300], img.shape, kw, flush=True)
print("done", n, "bad", bad)
r.close()
