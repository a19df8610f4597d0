import subprocess
import sys

import pydicom
import pytest

from teleradlab.imaging import save_study, synthesize_study

# each test starts two to four fresh interpreters (~10 s each on 2 busy cores; 30-75 s a test);
# tests/test_cli_errors.py covers the same command in-process in the fast suite
pytestmark = pytest.mark.slow


def cli(*args):
    return subprocess.run([sys.executable, "-m", "teleradlab.cli", *args], capture_output=True, text=True, timeout=300)


def test_compress_folder_and_quality(tmp_path) -> None:
    src = tmp_path / "src"
    save_study(synthesize_study("CT", seed=2, shape=(128, 128), n_images=3), src)
    out = tmp_path / "out"
    r = cli("compress", str(src), str(out), "--syntax", "jpeg2000", "--ratio", "10")
    assert r.returncode == 0, r.stderr
    files = sorted(out.rglob("I*"))
    assert len(files) == 3
    ds = pydicom.dcmread(files[0])
    assert ds.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.4.91" and ds.LossyImageCompression == "01"
    q = cli("quality", str(src), str(out), "--window", "lung")
    assert q.returncode == 0, q.stderr
    assert "psnr_db" in q.stdout and "mean" in q.stdout


def test_bad_input_writes_nothing(tmp_path) -> None:
    src = tmp_path / "src"
    save_study(synthesize_study("CT", seed=2, shape=(64, 64), n_images=2), src)
    for args, needle in [(["--syntax", "jpeg-baseline", "--ratio", "10"], "jpeg-extended"),
                         (["--syntax", "jpeg3000", "--ratio", "10"], "unknown transfer syntax"),
                         (["--syntax", "jpeg2000", "--ratio", "0.5"], "ratio")]:
        out = tmp_path / "out"
        r = cli("compress", str(src), str(out), *args)
        assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
        assert len(r.stderr.strip().splitlines()) == 1 and needle in r.stderr
        assert not out.exists()
    r = cli("codecs")
    assert r.returncode == 0 and "htj2k" in r.stdout


def test_unreachable_ratio_is_refused_or_nearest_on_request(tmp_path) -> None:
    src = tmp_path / "src"
    save_study(synthesize_study("CT", seed=2, shape=(64, 64), n_images=1), src)
    r = cli("compress", str(src), str(tmp_path / "out"), "--syntax", "jpegls-near", "--ratio", "1.5")
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
    assert "cannot reach 1.5:1" in r.stderr and "(NEAR 1)" in r.stderr and not (tmp_path / "out").exists()
    r = cli("compress", str(src), str(tmp_path / "out"), "--syntax", "jpegls-near", "--ratio", "1.5", "--nearest")
    assert r.returncode == 0, r.stderr
    assert "1 at the nearest reachable ratio" in r.stdout and "not 1.5:1" in r.stdout
    ds = pydicom.dcmread(next((tmp_path / "out").rglob("I*")))
    assert float(ds.LossyImageCompressionRatio) > 1.5 * 1.05  # the achieved ratio is what is recorded
