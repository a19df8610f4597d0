"""Compression benchmarks (issue: compression and quality), side by side in one run.

1. Overhead of teleradlab (compress + decompress + metrics) against the bare codec calls a
   user would otherwise write (imagecodecs / pydicom encoder with the same parameter, the
   library's decoder, scikit-image's PSNR/SSIM), on 512x512 CT slices and a 2048x2500 CR
   image. Target: at most 15% overhead. The two are timed alternately, best of several
   runs each, so that drifts in machine load hit both. The rate search (ratio=) is
   reported separately: it is a feature, several encodes by design.
2. A 300-slice CT through JPEG 2000 at 10:1 on 1 and 2 processes: the speed-up.
3. Encode and decode throughput (MB/s of uncompressed data) for every codec.

Run: ``.venv/bin/python benchmarks/bench_compression.py [--slices 300]``.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import time

os.environ.setdefault("TELERADLAB_NO_PROGRESS", "1")

import numpy as np  # noqa: E402
from skimage import metrics as skm  # noqa: E402

from teleradlab.compression import codecs, compress, compress_study  # noqa: E402
from teleradlab.compression.compress import frame_info  # noqa: E402
from teleradlab.imaging import synthesize_study  # noqa: E402
from teleradlab.imaging.decode import decode_pixels, modality_pixels  # noqa: E402
from teleradlab.quality import psnr, ssim  # noqa: E402


def best_of(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def fresh(ds):
    """A shallow copy without pydicom's cached pixel array, so each decode really decodes."""
    from pydicom.dataset import Dataset

    new = Dataset(ds)
    new.file_meta = ds.file_meta
    return new


def bare_decode(codec_name: str, stream: bytes, info) -> np.ndarray:
    import imagecodecs

    if codec_name.startswith("jpeg2000"):
        import openjpeg

        return openjpeg.decode(stream)
    if codec_name.startswith("jpegls"):
        import jpeg_ls

        return jpeg_ls.decode(np.frombuffer(stream, np.uint8))
    if codec_name.startswith("htj2k"):
        return imagecodecs.htj2k_decode(stream)
    if codec_name.startswith("jpegxl"):
        return imagecodecs.jpegxl_decode(stream)
    return imagecodecs.jpeg8_decode(stream)


def interleaved(first, second, repeat: int) -> tuple[float, float]:
    """Best-of-``repeat`` times of two functions run alternately, so that drifts in machine load hit both."""
    a, b = [], []
    for _ in range(repeat):
        for fn, times in ((first, a), (second, b)):
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
    return min(a), min(b)


def overhead(ds, label: str, repeat: int) -> None:
    info = frame_info(ds)
    arr = ds.pixel_array
    reference = modality_pixels(ds)
    rng = float(2 ** info.bits_stored - 1)
    print(f"\n{label}: overhead of teleradlab vs bare codec calls (same parameter), target <= 15%")
    for c in codecs():
        if not c.lossy or c.accepts(info):
            continue
        param = compress(ds, c.name, ratio=10).param
        # what a user must do by hand for a codec of unsigned samples: level-shift signed data
        shift = 1 << (info.bits_stored - 1) if info.signed and not c.signed else 0
        data = (arr.astype(np.int32) + shift).astype(np.uint16) if shift else arr
        data_info = dataclasses.replace(info, signed=False) if shift else info

        def ours(c=c, param=param):
            res = compress(ds, c.name, quality=param)  # the codec's own parameter (JPEG-LS: NEAR)
            dec = modality_pixels(fresh(res.dataset))
            psnr(reference, dec, data_range=rng)
            ssim(reference, dec, data_range=rng)

        def bare(c=c, param=param, data=data, data_info=data_info, shift=shift):
            stream = c.encode(data, data_info, param)
            dec = np.asarray(bare_decode(c.name, stream, data_info)).astype(float) - shift
            skm.peak_signal_noise_ratio(reference, dec, data_range=rng)
            skm.structural_similarity(reference, dec, data_range=rng)

        t_ours, t_bare = interleaved(ours, bare, repeat)
        if c.name == "jpeg2000":  # an A/A run: the same bare calls against themselves show the machine's noise
            a1, a2 = interleaved(bare, bare, repeat)
            print(f"  (noise floor: bare jpeg2000 against itself {a1 / a2 - 1:+6.1%})")
        t_search = best_of(lambda c=c: compress(ds, c.name, ratio=10), 1)
        over = t_ours / t_bare - 1
        print(f"  {c.name:14} teleradlab {t_ours * 1000:7.1f} ms  bare {t_bare * 1000:7.1f} ms  overhead "
              f"{over:+6.1%} ({'met' if over <= 0.15 else 'NOT met'}); ratio=10 search {t_search * 1000:7.1f} ms")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--slices", type=int, default=300)
    args = ap.parse_args()
    ct = synthesize_study("CT", seed=1, n_images=1, lesions=0).datasets[0]
    cr = synthesize_study("CR", seed=1, lesions=0).datasets[0]
    overhead(ct, "CT 512x512", repeat=9)
    overhead(cr, "CR 2500x2048", repeat=3)

    print(f"\n{args.slices}-slice CT through JPEG 2000 at 10:1")
    study = synthesize_study("CT", seed=2, n_images=args.slices, lesions=0)
    t1 = best_of(lambda: compress_study(study, "jpeg2000", ratio=10, workers=1), 1)
    t2 = best_of(lambda: compress_study(study, "jpeg2000", ratio=10, workers=2), 1)
    print(f"  1 process {t1:6.1f} s, 2 processes {t2:6.1f} s: speed-up {t1 / t2:.2f}x on {os.cpu_count()} cores")

    print("\nthroughput, MB/s of uncompressed data (CT 512x512, 12-bit; lossy at 10:1)")
    print(f"  {'codec':18} {'encode':>8} {'decode':>8} {'ratio':>7}")
    mb = ct.Rows * ct.Columns * 2 / 1e6
    for c in codecs():
        if c.accepts(frame_info(ct)):
            continue
        res = compress(ct, c.name, ratio=10 if c.lossy else None)
        enc = best_of(lambda c=c, res=res: compress(ct, c.name, quality=res.param))  # None when lossless
        dec = best_of(lambda res=res: decode_pixels(fresh(res.dataset)))
        print(f"  {c.name:18} {mb / enc:8.1f} {mb / dec:8.1f} {res.ratio:7.2f}")


if __name__ == "__main__":
    main()
