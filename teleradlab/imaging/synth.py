"""Realistic synthetic DICOM studies with ground-truth lesions.

:func:`synthesize_study` builds a valid study of CT, CR, DX, MG, MR or US: correct
SOP classes, the Patient/Study/Series/Equipment/Image modules, spacing, position and
orientation, realistic bit depths, modality-typical pixels (:mod:`.anatomy`) and
optional lesions whose size, contrast and position are returned as ground truth.
The same seed gives byte-identical pixel data — and identical UIDs, which are
derived from the seed, so a generated dataset is reproducible file for file.
"""

from __future__ import annotations

import datetime as _dt
import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import (
    UID,
    ComputedRadiographyImageStorage,
    CTImageStorage,
    DigitalMammographyXRayImageStorageForPresentation,
    DigitalXRayImageStorageForPresentation,
    ExplicitVRLittleEndian,
    MRImageStorage,
    UltrasoundImageStorage,
    UltrasoundMultiFrameImageStorage,
    generate_uid,
)

from teleradlab import __version__
from teleradlab.errors import ParameterError
from teleradlab.imaging import anatomy
from teleradlab.imaging.phantoms import smooth_disk
from teleradlab.imaging.study import Study

#: Per modality: SOP class, default shape (rows, cols), default image count,
#: pixel spacing (mm), bits stored, signed, photometric interpretation.
MODALITIES: dict[str, dict[str, Any]] = {
    "CT": dict(sop=CTImageStorage, shape=(512, 512), n=160, spacing=0.7, slice_mm=2.0, bits=12, signed=True,
               pi="MONOCHROME2", window=(40.0, 400.0)),
    "CR": dict(sop=ComputedRadiographyImageStorage, shape=(2500, 2048), n=1, spacing=0.168, bits=12, signed=False,
               pi="MONOCHROME2", window=None),
    "DX": dict(sop=DigitalXRayImageStorageForPresentation, shape=(2500, 2048), n=1, spacing=0.168, bits=12,
               signed=False, pi="MONOCHROME2", window=None),
    "MG": dict(sop=DigitalMammographyXRayImageStorageForPresentation, shape=(2294, 1914), n=1, spacing=0.1,
               bits=14, signed=False, pi="MONOCHROME2", window=None),
    "MR": dict(sop=MRImageStorage, shape=(256, 256), n=24, spacing=0.9, slice_mm=5.0, bits=12, signed=False,
               pi="MONOCHROME2", window=None),
    "US": dict(sop=UltrasoundImageStorage, shape=(480, 640), n=1, spacing=0.2, bits=8, signed=False,
               pi="MONOCHROME2", window=None),
}

#: Default lesions per modality when ``lesions=None``: (kind, diameter mm, contrast).
DEFAULT_LESIONS: dict[str, list[tuple[str, float, float]]] = {
    "CT": [("nodule", 8.0, 800.0), ("hypodense", 15.0, -40.0)],
    "CR": [("nodule", 12.0, 0.12)],
    "DX": [("nodule", 12.0, 0.12)],
    "MG": [("mass", 10.0, 0.08), ("microcalcifications", 6.0, 0.35)],
    "MR": [("mass", 12.0, 250.0)],
    "US": [("cyst", 10.0, 0.02)],
}


def _uid(seed: int, *parts: object) -> str:
    return generate_uid(entropy_srcs=["teleradlab", str(seed), *map(str, parts)])


def _lesion_specs(modality: str, lesions: Any, rng: np.random.Generator) -> list[dict]:
    if lesions is None:
        return [dict(kind=k, diameter_mm=d, contrast=c) for k, d, c in DEFAULT_LESIONS[modality]]
    if isinstance(lesions, int):
        if lesions < 0:
            raise ParameterError("the number of lesions must be >= 0", where="lesions")
        base = DEFAULT_LESIONS[modality]
        return [dict(kind=base[i % len(base)][0], diameter_mm=base[i % len(base)][1] * rng.uniform(0.6, 1.4),
                     contrast=base[i % len(base)][2]) for i in range(lesions)]
    out = []
    for i, spec in enumerate(lesions):
        if not isinstance(spec, dict) or "kind" not in spec:
            raise ParameterError("each lesion is a dict with at least 'kind'", where=f"lesions[{i}]")
        kinds = {k for k, _, _ in DEFAULT_LESIONS[modality]}
        if spec["kind"] not in kinds:
            raise ParameterError(f"{modality} lesions may be {sorted(kinds)}, not {spec['kind']!r}",
                                 where=f"lesions[{i}].kind")
        default = next(d for d in DEFAULT_LESIONS[modality] if d[0] == spec["kind"])
        out.append(dict(kind=spec["kind"], diameter_mm=float(spec.get("diameter_mm", default[1])),
                        contrast=float(spec.get("contrast", default[2])), position=spec.get("position")))
    return out


#: Most pixels (images x rows x columns) :func:`synthesize_study` generates unless told otherwise: a
#: guard against a typo (``--n-images 100000000`` once ran without end), above the largest
#: default study (CT: 512 x 512 x its slices) and below what float64 work arrays of it exhaust.
MAX_SYNTH_PIXELS = 2**28


def synthesize_study(modality: str, *, seed: int, shape: Sequence[int] | None = None,
                     n_images: int | None = None, lesions: int | list[dict] | None = None,
                     max_pixels: int = MAX_SYNTH_PIXELS) -> Study:
    """Synthesize a realistic DICOM study with known truth.

    Parameters
    ----------
    modality : {"CT", "CR", "DX", "MG", "MR", "US"}
        The modality; the SOP class, bit depth and anatomy follow from it (CT chest
        to abdomen in 12-bit signed HU; CR/DX PA chest, 12-bit; MG cranio-caudal,
        14-bit; MR T1 brain, 12-bit; US abdominal B-mode, 8-bit).
    seed : int
        Everything random follows from it: the same seed gives byte-identical
        pixel data and the same UIDs.
    shape : (rows, cols), optional
        Image size; full size by default (CT 512x512, CR/DX 2500x2048, MG 2294x1914,
        MR 256x256, US 480x640). Shrink it for CI.
    n_images : int, optional
        Slices (CT, MR) or frames (US, stored as one multi-frame instance).
    lesions : None, int or list of dict
        ``None`` inserts the modality's default lesions, ``0`` none, an integer that
        many, or a list of dicts with ``kind`` (CT: ``nodule``/``hypodense``;
        CR/DX: ``nodule``; MG: ``mass``/``microcalcifications``; MR: ``mass``;
        US: ``cyst``) and optionally ``diameter_mm``, ``contrast`` and ``position``
        ((slice,) row, col in pixels).
    max_pixels : int
        Refuse a study of more pixels than this (:data:`MAX_SYNTH_PIXELS`) before
        generating anything.

    Returns
    -------
    Study
        Its ``truth`` holds every lesion's kind, centre (pixels and mm), diameter
        and contrast, plus the generator's parameters; :func:`save_study` writes it
        as ``truth.json`` beside the images.

    Examples
    --------
    >>> s = synthesize_study("CT", seed=1, shape=(64, 64), n_images=4, lesions=0)
    >>> len(s), s.datasets[0].BitsStored, s.pixels().shape
    (4, 12, (4, 64, 64))
    """
    mod = str(modality).upper()
    if mod not in MODALITIES:
        raise ParameterError(f"unknown modality {modality!r}; use one of {', '.join(MODALITIES)}", where="modality")
    spec = MODALITIES[mod]
    shape_t = tuple(int(v) for v in (shape or spec["shape"]))
    if len(shape_t) != 2 or min(shape_t) < 16:
        raise ParameterError(f"shape must be (rows, cols) of at least 16 pixels, got {shape}", where="shape")
    n = int(n_images if n_images is not None else spec["n"])
    if n < 1:
        raise ParameterError("n_images must be >= 1", where="n_images")
    if n * shape_t[0] * shape_t[1] > max_pixels:
        raise ParameterError(f"{n:,} images of {shape_t[0]} x {shape_t[1]} are {n * shape_t[0] * shape_t[1]:,} pixels, "
                             f"above the limit of {max_pixels:,}; use fewer or smaller images, or raise the limit "
                             "explicitly (max_pixels=...)", where="n_images")
    if mod in ("CR", "DX", "MG") and n != 1:
        raise ParameterError(f"{mod} studies are single images (n_images=1)", where="n_images")
    ss = np.random.SeedSequence([int(seed), sum(map(ord, mod))])
    lesion_rng, *slice_seeds = [np.random.default_rng(s) for s in ss.spawn(n + 1)]
    # Full-size spacing is kept for shrunken images' field of view: spacing scales with size.
    spacing = spec["spacing"] * spec["shape"][1] / shape_t[1]
    specs = _lesion_specs(mod, lesions, lesion_rng)
    builder = _BUILDERS[mod]
    frames, truth_lesions = builder(shape_t, n, slice_seeds, lesion_rng, specs, spacing, spec)
    study = _to_study(mod, frames, seed=int(seed), spacing=spacing, spec=spec)
    slice_mm = spec.get("slice_mm", spacing)
    for les in truth_lesions:
        c = les.center
        les_mm = [float(v) * spacing for v in c[-2:]]
        if len(c) == 3:
            les_mm = [float(c[0]) * slice_mm, *les_mm]
        les.extra.setdefault("center_mm", les_mm)
    study.truth = {
        "generator": f"teleradlab {__version__}", "modality": mod, "seed": int(seed),
        "shape": list(shape_t), "n_images": n, "pixel_spacing_mm": spacing,
        "lesions": [dict(kind=les.kind, center_px=[float(v) for v in les.center],
                         diameter_mm=les.diameter_px * spacing, contrast=les.contrast, **les.extra)
                    for les in truth_lesions],
    }
    return study


#: Distance along z over which CT anatomical texture stays correlated (mm).
CT_TEXTURE_MM = 6.0


def _pick_site(sites: list, spec: dict, rng: np.random.Generator, used: set) -> tuple:
    if spec.get("position") is not None:
        return tuple(float(v) for v in spec["position"])
    free = [i for i in range(len(sites)) if i not in used] or list(range(len(sites)))
    i = int(rng.choice(free))
    used.add(i)
    return sites[i]


def _build_ct(shape, n, seeds, rng, specs, spacing, spec):
    slice_mm = spec["slice_mm"]
    sites = anatomy.ct_lesion_sites(shape, n)
    used: set = set()
    placed = []
    for s in specs:
        kind_sites = sites["nodule" if s["kind"] == "nodule" else "hypodense"]
        centre = _pick_site(kind_sites, s, rng, used)
        if len(centre) == 2:
            centre = (n / 2, *centre)
        placed.append(anatomy.Lesion(s["kind"], centre, s["diameter_mm"] / spacing, s["contrast"]))
    frames = []
    ratio = slice_mm / spacing
    # anatomical texture continuous over ~6 mm along z; noise independent per slice
    step = max(1, round(CT_TEXTURE_MM / slice_mm))
    textures = anatomy.ct_textures(shape, n, step, rng)
    for z in range(n):
        t = 1.0 - z / max(n - 1, 1)  # slice 0 is the most inferior (kidneys), the last the lung apices
        hu = anatomy.ct_slice(shape, t, seeds[z], texture=next(textures))
        for les in placed:
            r = anatomy._sphere_slices(les, z, ratio)
            if r > 0:
                disk = smooth_disk(shape, les.center[1:], r, edge=0.8)
                if les.kind == "nodule":  # a solid nodule: soft-tissue density inside aerated lung
                    disk = disk * (hu < -300)
                hu = hu + disk * les.contrast
        frames.append(np.clip(np.round(hu), -1024, 2047).astype(np.int16))
    return frames, placed


def _build_projection(shape, n, seeds, rng, specs, spacing, spec, mammo=False):
    r0 = seeds[0]
    if mammo:
        img, mask = anatomy.mammogram(shape, r0)
        sites = anatomy.mammo_lesion_sites(shape)
    else:
        img = anatomy.chest_radiograph(shape, r0)
        sites = anatomy.chest_lesion_sites(shape)
    used: set = set()
    placed = []
    for s in specs:
        centre = _pick_site(sites, s, rng, used)
        les = anatomy.Lesion(s["kind"], centre, s["diameter_mm"] / spacing, s["contrast"])
        if s["kind"] == "microcalcifications":
            speck = max(0.2 / spacing, 0.7)
            cluster, specks = anatomy.microcalcification_cluster(
                shape, centre, rng, n=int(rng.integers(6, 12)), spread_px=les.diameter_px / 2, speck_px=speck)
            img = img + les.contrast * cluster
            les.extra["specks_px"] = [list(p) for p in specks]
        else:
            img = img + les.contrast * smooth_disk(shape, centre, les.diameter_px / 2, edge=1.5)
        placed.append(les)
    top = 2 ** spec["bits"] - 1
    lo, hi = (0.0, float(np.percentile(img, 99.9)) * 1.08) if mammo else (0.0, 4.5)
    scaled = np.clip((img - lo) / (hi - lo), 0, 1) * top
    return [np.round(scaled).astype(np.uint16)], placed


def _build_mr(shape, n, seeds, rng, specs, spacing, spec):
    placed = []
    for s in specs:
        pos = s.get("position") or (n * rng.uniform(0.35, 0.65), shape[0] * rng.uniform(0.4, 0.6),
                                    shape[1] * rng.uniform(0.38, 0.62))
        placed.append(anatomy.Lesion(s["kind"], tuple(float(v) for v in pos), s["diameter_mm"] / spacing, s["contrast"]))
    frames = []
    ratio = spec["slice_mm"] / spacing
    for z in range(n):
        img = anatomy.mr_brain_slice(shape, z / max(n - 1, 1), seeds[z])
        for les in placed:
            r = anatomy._sphere_slices(les, z, ratio)
            if r > 0:
                img = img + les.contrast * smooth_disk(shape, les.center[1:], r, edge=1.0)
        frames.append(np.clip(np.round(img), 0, 4095).astype(np.uint16))
    return frames, placed


def _build_us(shape, n, seeds, rng, specs, spacing, spec):
    placed = []
    structures = []
    for s in specs:
        pos = s.get("position") or (shape[0] * rng.uniform(0.45, 0.7), shape[1] * rng.uniform(0.4, 0.6))
        les = anatomy.Lesion(s["kind"], tuple(float(v) for v in pos), s["diameter_mm"] / spacing, s["contrast"])
        placed.append(les)
        structures.append((les.center, les.diameter_px / 2, les.contrast))
    frames = [np.round(anatomy.ultrasound_frame(shape, seeds[k], structures=structures)[0]).astype(np.uint8)
              for k in range(n)]
    return frames, placed


#: Per modality: (shape, n, seeds, rng, specs, spacing, spec) -> (frames, placed lesions).
_BUILDERS: dict[str, Callable[..., tuple[list, list]]] = {
    "CT": _build_ct,
    "CR": _build_projection,
    "DX": _build_projection,
    "MG": functools.partial(_build_projection, mammo=True),
    "MR": _build_mr,
    "US": _build_us,
}


def _base_dataset(mod: str, seed: int, sop_class: str, sop_uid: str, study_uid: str, series_uid: str) -> Dataset:
    rng = np.random.default_rng([seed, 7])
    day = _dt.date(2026, 3, 2) + _dt.timedelta(days=int(rng.integers(0, 300)))
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = UID(sop_class)  # pydicom stores a UI value as a UID either way
    ds.file_meta.MediaStorageSOPInstanceUID = UID(sop_uid)
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.SOPClassUID, ds.SOPInstanceUID = sop_class, sop_uid
    # Patient
    ds.PatientName = f"SYNTHETIC^{mod}^{seed}"
    ds.PatientID = f"SYN{seed:08d}"[-12:]
    ds.PatientBirthDate = f"{1940 + int(rng.integers(0, 60))}0101"
    ds.PatientSex = "F" if mod == "MG" else str(rng.choice(["F", "M"]))
    # General study
    ds.StudyInstanceUID = study_uid
    ds.StudyDate = ds.SeriesDate = ds.ContentDate = day.strftime("%Y%m%d")
    ds.StudyTime = ds.SeriesTime = ds.ContentTime = f"{int(rng.integers(0, 24)):02d}{int(rng.integers(0, 60)):02d}00"
    ds.ReferringPhysicianName = ""
    ds.StudyID = f"{seed % 100000}"
    ds.AccessionNumber = f"A{seed:07d}"[-16:]
    ds.StudyDescription = {"CT": "CT CHEST ABDOMEN", "CR": "CHEST PA", "DX": "CHEST PA", "MG": "MAMMOGRAPHY CC",
                           "MR": "MR BRAIN T1", "US": "US ABDOMEN"}[mod]
    # General series and equipment
    ds.Modality = mod
    ds.SeriesInstanceUID = series_uid
    ds.SeriesNumber = 1
    ds.SeriesDescription = f"synthetic {ds.StudyDescription.lower()}"
    ds.Manufacturer = "teleradlab"
    ds.ManufacturerModelName = "synthetic phantom"
    ds.SoftwareVersions = __version__
    ds.InstitutionName = "teleradlab synthetic"
    ds.BurnedInAnnotation = "NO"
    return ds


def _to_study(mod: str, frames: list[np.ndarray], *, seed: int, spacing: float, spec: dict) -> Study:
    study_uid = _uid(seed, mod, "study")
    series_uid = _uid(seed, mod, "series")
    multiframe = mod == "US" and len(frames) > 1
    groups = [np.stack(frames)] if multiframe else frames
    datasets = []
    for i, px in enumerate(groups, start=1):
        sop_class = UltrasoundMultiFrameImageStorage if multiframe else spec["sop"]
        ds = _base_dataset(mod, seed, sop_class, _uid(seed, mod, "instance", i), study_uid, series_uid)
        ds.InstanceNumber = i
        ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"] if mod in ("CT", "MR") else ["ORIGINAL", "PRIMARY"]
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = spec["pi"]
        ds.Rows, ds.Columns = px.shape[-2:]
        ds.BitsAllocated = 8 if spec["bits"] == 8 else 16
        ds.BitsStored = spec["bits"]
        ds.HighBit = spec["bits"] - 1
        ds.PixelRepresentation = 1 if spec["signed"] else 0
        ds.PixelSpacing = [round(spacing, 6), round(spacing, 6)]
        if mod in ("CR", "DX", "MG"):
            ds.ImagerPixelSpacing = ds.PixelSpacing
            ds.PresentationIntentType = "FOR PRESENTATION"
            ds.ViewPosition = "CC" if mod == "MG" else "PA"
            ds.BodyPartExamined = "BREAST" if mod == "MG" else "CHEST"
            ds.PatientOrientation = ["A", "R"] if mod == "MG" else ["L", "F"]
            if mod == "MG":
                ds.ImageLaterality = "L"
        if mod in ("CT", "MR"):
            ds.SliceThickness = spec["slice_mm"]
            ds.SpacingBetweenSlices = spec["slice_mm"]
            ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
            # Slices run from inferior to superior, so sorting by position keeps generation order.
            ds.ImagePositionPatient = [round(-spacing * ds.Columns / 2, 3), round(-spacing * ds.Rows / 2, 3),
                                       round((i - 1) * spec["slice_mm"], 3)]
            ds.SliceLocation = ds.ImagePositionPatient[2]
            ds.FrameOfReferenceUID = _uid(seed, mod, "frame-of-reference")
            ds.PositionReferenceIndicator = ""
        if mod == "CT":
            ds.RescaleIntercept, ds.RescaleSlope, ds.RescaleType = 0, 1, "HU"
            ds.KVP = 120
            ds.ConvolutionKernel = "STANDARD"
        if mod == "MR":
            ds.ScanningSequence, ds.SequenceVariant, ds.MRAcquisitionType = "SE", "NONE", "2D"
            ds.RepetitionTime, ds.EchoTime, ds.MagneticFieldStrength = 500, 15, 1.5
        if mod == "US":
            if multiframe:
                ds.NumberOfFrames = len(frames)
                ds.FrameTime = 40.0
                ds.FrameIncrementPointer = 0x00181063
        if spec["window"] is not None:
            ds.WindowCenter, ds.WindowWidth = spec["window"]
        else:
            lo, hi = (float(v) for v in np.percentile(px, [1, 99.5]))
            ds.WindowCenter, ds.WindowWidth = round((lo + hi) / 2, 1), round(max(hi - lo, 1.0), 1)
        dtype = np.int16 if spec["signed"] else (np.uint8 if ds.BitsAllocated == 8 else np.uint16)
        ds.PixelData = np.ascontiguousarray(px.astype(dtype)).tobytes()
        datasets.append(ds)
    return Study.from_datasets(datasets)
