"""The ``compression`` section: the transfer syntax and ratio each modality crosses the links in."""

from __future__ import annotations

from typing import Any

from teleradlab.network import defaults as D
from teleradlab.network.scenario.values import check_keys, fail, nonempty_str, number


def syntax(name: str, where: str) -> tuple[str, bool]:
    """A compression syntax checked against the codec registry.

    Parameters
    ----------
    name : str
        A codec name or transfer syntax UID (:func:`teleradlab.compression.registry.get_codec`),
        or ``none``.
    where : str
        Its key path.

    Returns
    -------
    tuple of (str, bool)
        The codec's short name and whether it is lossless.
    """
    if name == "none":
        return name, True
    from teleradlab.compression.registry import codecs, get_codec
    from teleradlab.errors import CodecError

    try:
        codec = get_codec(name)
    except CodecError:
        known = ", ".join(["none", *(c.name for c in codecs(available_only=False))])
        fail(f"unknown compression syntax {name!r}; known: {known}", where)
    return codec.name, not codec.lossy


def parse_compression(raw: Any, modalities: set[str]) -> dict[str, tuple[str, float]]:
    """The scenario's ``compression``: ``{MOD: {syntax, ratio}}`` for modalities the sites acquire.

    Parameters
    ----------
    raw : Any
        The section's raw value (``None`` or absent: nothing compressed).
    modalities : set of str
        The modalities the sites acquire.

    Returns
    -------
    dict
        Modality -> (syntax, ratio). A lossy syntax needs its ratio; a lossless one
        refuses it (the ratio follows from the images: ``defaults.LOSSLESS_RATIO``);
        ``none`` has ratio 1.
    """
    comp_raw = {} if raw is None else raw  # null: an empty section; any other non-mapping is refused
    check_keys(comp_raw, modalities, "compression")
    compression = {}
    for m, v in comp_raw.items():
        w = f"compression.{m}"
        check_keys(v, {"syntax", "ratio"}, w, ("syntax",))
        name, lossless = syntax(nonempty_str(v["syntax"], f"{w}.syntax"), f"{w}.syntax")
        if "ratio" in v and name == "none" and v["ratio"] != 1:
            fail(f"syntax none sends the images uncompressed: its ratio is 1, not {v['ratio']!r}", f"{w}.ratio")
        if "ratio" in v and lossless and name != "none":
            fail(f"{name} is lossless: its ratio follows from the images (default {D.LOSSLESS_RATIO}); "
                 "remove 'ratio', or choose a lossy syntax", f"{w}.ratio")
        if "ratio" in v:
            ratio = number(v["ratio"], f"{w}.ratio", positive=True)
            if ratio < 1:
                fail(f"a compression ratio must be at least 1, got {ratio}", f"{w}.ratio")
        elif lossless:
            ratio = 1.0 if name == "none" else D.LOSSLESS_RATIO
        else:
            fail(f"lossy syntax {name!r} needs a 'ratio'", w)
        compression[m] = (name, ratio)
    return compression
