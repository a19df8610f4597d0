"""The sample datasets the notebooks use, generated deterministically.

``teleradlab datasets build`` (and ``make run``) writes synthetic studies of every
modality into ``generated/`` of the course's datasets folder with a manifest of SHA-256
checksums. The same code and seed always produce the same bytes, so the manifest
doubles as a check. Real studies imported with :func:`import_study` are de-identified
by default and go to ``imported/`` of the same folder.

"The course's datasets folder" is :func:`teleradlab.datasets.root` — ``datasets/`` of
the checkout, the installed copy, or ``$TELERADLAB_DATASETS`` — never the current
working folder; an explicit ``out``/``root`` (CLI: ``--out``/``--root``) goes
elsewhere. When the datasets folder is read-only (a system-wide install), the error
says so and names both ways out.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from pathlib import Path

from teleradlab.errors import DicomError, EnvironmentProblem, ParameterError
from teleradlab.files import atomic_write_json
from teleradlab.imaging.deid import deidentify
from teleradlab.imaging.study import Study, load_study, save_study
from teleradlab.imaging.synth import synthesize_study
from teleradlab.progress import progress

#: Sub-folders of the datasets folder: generated samples, imported studies.
GENERATED, IMPORTED = "generated", "imported"


def default_folder(kind: str) -> Path:
    """The folder inside the course's datasets folder where ``kind`` is written, created if needed.

    Parameters
    ----------
    kind : str
        :data:`GENERATED` (the sample studies) or :data:`IMPORTED` (imported real studies).

    Returns
    -------
    Path
        ``teleradlab.datasets.root() / kind``, absolute — whatever the current folder.

    Raises
    ------
    ParameterError
        If ``kind`` is neither.
    EnvironmentProblem
        If the folder cannot be created or written (a read-only installation): the
        message names it and says how to write elsewhere.

    Examples
    --------
    >>> from teleradlab import datasets
    >>> default_folder(GENERATED) == datasets.root() / "generated"
    True
    """
    from teleradlab import datasets

    if kind not in (GENERATED, IMPORTED):
        raise ParameterError(f"must be {GENERATED!r} or {IMPORTED!r}, not {kind!r}", where="default_folder(kind)")
    folder = datasets.path(kind, must_exist=False)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise EnvironmentProblem(
            f"cannot create it ({exc.strerror}); pass an output folder (CLI: --out/--root) or point "
            f"${datasets.ENV} at a writable copy of the datasets", where=str(folder)) from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise EnvironmentProblem(
            f"not writable; pass an output folder (CLI: --out/--root) or point ${datasets.ENV} at a "
            "writable copy of the datasets", where=str(folder))
    return folder

#: name → (modality, seed, full-size kwargs, CI-size kwargs). Full sizes follow the
#: modality defaults in teleradlab.imaging.synth (sources in datasets/README.md).
SAMPLES: dict[str, tuple[str, int, dict, dict]] = {
    "ct_chest_abdomen": ("CT", 101, dict(n_images=60), dict(shape=(128, 128), n_images=12)),
    "cr_chest": ("CR", 102, dict(), dict(shape=(500, 410))),
    "mg_cc": ("MG", 103, dict(), dict(shape=(459, 383))),
    "mr_brain": ("MR", 104, dict(n_images=20), dict(shape=(128, 128), n_images=8)),
    "us_abdomen": ("US", 105, dict(n_images=4), dict(shape=(240, 320), n_images=2)),
}


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def build_datasets(out: str | os.PathLike[str] | None = None, *, ci: bool = False) -> Path:
    """Generate every sample study into ``out`` and write ``manifest.json``.

    Parameters
    ----------
    out : path-like, optional
        The folder; by default ``generated/`` of the course's datasets folder
        (:func:`default_folder`), never the current folder. Each sample goes to a
        sub-folder named after it, replaced whole.
    ci : bool
        Smaller images, for CI.

    Returns
    -------
    Path
        The manifest: for each sample, its modality, seed, sizes and, per file, the
        SHA-256 checksum.
    """
    root = Path(out) if out is not None else default_folder(GENERATED)
    manifest: dict = {"ci": ci, "samples": {}}
    start = time.perf_counter()
    for name, (modality, seed, full, small) in progress(SAMPLES.items(), desc="datasets", total=len(SAMPLES)):
        kwargs = small if ci else full
        study = synthesize_study(modality, seed=seed, **kwargs)
        staging = root / f".{name}.partial"
        shutil.rmtree(staging, ignore_errors=True)
        files = save_study(study, staging)
        final = root / name
        shutil.rmtree(final, ignore_errors=True)
        staging.rename(final)
        manifest["samples"][name] = {
            "modality": modality, "seed": seed, **{k: list(v) if isinstance(v, tuple) else v for k, v in kwargs.items()},
            "images": len(study), "bytes": study.nbytes,
            "files": {str((final / f.relative_to(staging)).relative_to(root)): _sha256(final / f.relative_to(staging))
                      for f in files},
        }
    manifest["seconds"] = round(time.perf_counter() - start, 2)
    return atomic_write_json(root / "manifest.json", manifest)


def verify_datasets(out: str | os.PathLike[str] | None = None) -> list[str]:
    """Check every file against the manifest; return the problems (empty when all match).

    ``out`` defaults to ``generated/`` of the course's datasets folder, as for
    :func:`build_datasets`.
    """
    import json

    from teleradlab import datasets

    root = Path(out) if out is not None else datasets.path(GENERATED, must_exist=False)
    manifest_path = root / "manifest.json"
    if not manifest_path.exists():
        return [f"{manifest_path}: missing (run `teleradlab datasets build`)"]
    manifest = json.loads(manifest_path.read_text())
    problems = []
    for sample in manifest["samples"].values():
        for rel, digest in sample["files"].items():
            f = root / rel
            if not f.exists():
                problems.append(f"{f}: missing")
            elif _sha256(f) != digest:
                problems.append(f"{f}: checksum differs from the manifest")
    return problems


def check_import_target(root: str | os.PathLike[str], name: str, *, overwrite: bool = False) -> Path:
    """The folder an import named ``name`` goes to, refused if the name is invalid or taken.

    Parameters
    ----------
    root : path-like
        The imports' folder.
    name : str
        The import's name: one folder name, not hidden, without control characters.
    overwrite : bool
        Allow replacing an earlier import of that name.

    Returns
    -------
    Path

    Raises
    ------
    DicomError
        An invalid name, or an existing import without ``overwrite``.
    """
    if not name or "/" in name or "\\" in name or name.startswith(".") or any(ord(c) < 32 or c == "\x7f" for c in name):
        raise DicomError(f"invalid dataset name {name!r}", where="name")
    target = Path(root) / name
    if target.exists() and not overwrite:
        raise DicomError("an earlier import has this name; choose another, or pass overwrite=True "
                         "(CLI: --overwrite) to replace it", where=str(target))
    return target


def import_study(src: str | os.PathLike[str] | Study, name: str, *,
                 root: str | os.PathLike[str] | None = None,
                 deidentify_study: bool = True, allow_skipped: bool = False,
                 key: str | bytes | None = None, overwrite: bool = False) -> Path:
    """Copy a real study into ``<root>/<name>``, de-identified by default.

    Parameters
    ----------
    src : path-like or Study
        A DICOM file, folder or DICOMDIR, or a study already loaded.
    name : str
        Folder name under ``root``.
    root : path-like, optional
        The imports' folder; by default ``imported/`` of the course's datasets folder
        (:func:`default_folder`), never the current folder.
    deidentify_study : bool
        Apply the PS3.15 Basic profile (default). Turn it off only for data that
        carries no identity.
    allow_skipped : bool
        Import a folder even if some of its files cannot be read (``study.skipped``);
        by default that is an error and nothing is imported.
    key : str or bytes, optional
        The de-identification key (see :class:`~teleradlab.imaging.deid.Deidentifier`):
        the same key maps the UIDs of further imports of the same study alike.
    overwrite : bool
        Replace an earlier import of the same name; by default that is an error.

    Raises
    ------
    DicomError
        A bad name, an earlier import of that name (without ``overwrite``), an
        unreadable source, or files skipped without ``allow_skipped`` (naming how many
        and the first with its reason).

    Returns
    -------
    Path
        The folder written.
    """
    root = Path(root) if root is not None else default_folder(IMPORTED)
    check_import_target(root, name, overwrite=overwrite)
    study = src if isinstance(src, Study) else load_study(src)
    if study.skipped and not allow_skipped:
        path, reason = study.skipped[0]
        raise DicomError(f"{len(study.skipped)} file(s) cannot be read (first: {path}: {reason}); nothing "
                         "imported — pass allow_skipped=True to import the rest",
                         where="study" if isinstance(src, Study) else str(src))
    if deidentify_study:
        study = deidentify(study, key=key)
    target = root / name
    staging = root / f".{name}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        save_study(study, staging)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)  # a failed import leaves nothing behind
        raise
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    return target
