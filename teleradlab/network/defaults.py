"""Documented defaults for teleradiology scenarios, each with its source.

The same numbers, with sources, are in ``datasets/reference/operations_defaults.csv``
(a test keeps the two in step).
"""

from __future__ import annotations

#: Hour-of-day arrival profiles (relative weights for local hours 0..23).
PROFILES: dict[str, list[float]] = {
    # Emergency department: bimodal, peaks 10:00-13:00 and 19:00-20:00, trough before dawn
    # (NHAMCS 2006 ED census 19,000 at 06:00 to 58,000 at 19:00; operations reference).
    "ed": [0.45, 0.38, 0.33, 0.30, 0.30, 0.33, 0.45, 0.65, 0.85, 1.00, 1.12, 1.18,
           1.18, 1.10, 1.05, 1.00, 1.00, 1.05, 1.12, 1.18, 1.12, 0.95, 0.75, 0.58],
    # Outpatient imaging: scheduled 08:00-17:00, little at night.
    "outpatient": [0.02, 0.02, 0.02, 0.02, 0.02, 0.02, 0.05, 0.30, 1.00, 1.00, 1.00, 1.00,
                   0.80, 1.00, 1.00, 1.00, 0.90, 0.50, 0.15, 0.05, 0.03, 0.02, 0.02, 0.02],
    "flat": [1.0] * 24,
}

#: Day-of-week multipliers, Monday first (normalised to mean 1 when used).
WEEKDAY_PROFILES: dict[str, list[float]] = {
    "ed": [1.0] * 7,
    "outpatient": [1.0, 1.0, 1.0, 1.0, 1.0, 0.3, 0.15],
    "flat": [1.0] * 7,
}

#: Study sizes per modality: images per study, bytes per image (uncompressed).
STUDY_SIZES: dict[str, tuple[int, int]] = {
    "CT": (400, 524_288),  # 512x512x16-bit = 0.5 MB per image; hundreds of images per study
    "CR": (2, 10_485_760),  # 2048x2500x12-bit in 16-bit words = 10 MB; typical study 2 images
    "DX": (2, 10_485_760),
    "MG": (4, 41_943_040),  # 4 views, about 160 MB
    "MR": (300, 131_072),  # 256x256x16-bit; whole-body MRA about 3,000 slices / 400 MB
    "US": (30, 307_200),  # 640x480x8-bit frames
    "NM": (100, 32_768),
}

#: Reading time per study in minutes: lognormal (mean, sd).
READING_MINUTES: dict[str, tuple[float, float]] = {
    "CT": (16.6, 10.0),  # 106k CT reports, mean 16.6 min; right-skewed
    "MR": (15.0, 9.0),  # brain MR: attending 11, resident 16, fellow 18 min
    "CR": (3.0, 2.0),  # radiographs; outlier cut-off 10 min
    "DX": (3.0, 2.0),
    "MG": (4.0, 2.5),
    "US": (10.0, 6.0),  # outlier cut-off 30 min
    "NM": (12.0, 7.0),
}

#: Report-turnaround targets per priority, minutes.
SLA_MINUTES: dict[str, float] = {"stat": 60.0, "urgent": 240.0, "routine": 1440.0}
PRIORITIES: tuple[str, ...] = ("stat", "urgent", "routine")

# How a link moves DICOM (the scenario's link options; the model is teleradlab.network.transfer,
# whose calibrated constants carry their own provenance).
#: C-STORE (DICOM PS3.4 Annex B, Storage Service Class): what modalities and PACS send with
#: unless configured otherwise (dcmtk storescu, pynetdicom, Orthanc's DICOM modalities).
PROTOCOL = "cstore"
#: A stock TCP stack: Nagle's algorithm on (RFC 896; RFC 1122 section 4.2.3.4) with delayed
#: acknowledgements (RFC 1122 section 4.2.3.2); the stall it adds per instance is measured.
NODELAY = False
#: One association: what a C-STORE SCU opens unless told otherwise (storescu, pynetdicom send_c_store).
ASSOCIATIONS = 1
#: One outstanding operation: the asynchronous operations window is not negotiated by default
#: (PS3.7 Annex D.3.3.3: absent, the maximum is 1).
ASYNC_OPS = 1
#: No TCP window cap: Linux autotunes the receive window (net.ipv4.tcp_rmem, up to 6 MB by default).
WINDOW_KB: float | None = None
#: STOW-RS: every instance of a study in one multipart request (PS3.18 section 10.5).
BATCH: int | None = None
#: Typical ratio of lossless compression (RCR: lossless reaches about 3:1).
LOSSLESS_RATIO = 3.0

# The reading workstation (teleradlab.network.workstation).
#: No ``workstation:`` key: the workstation is not modelled (a study is on screen when opened), so the
#: queueing checks against Erlang C and M/G/1 stay exact and earlier results unchanged. A modelling choice.
WORKSTATION_POLICY = "none"
#: ``streamed``: reading starts when the first image is on screen (the definition of "time to first
#: image"); how many a radiologist wants before scrolling is not published: an assumption.
STREAM_FIRST_IMAGES = 1
#: ``streamed`` retrieves with DICOMweb WADO-RS: one Retrieve Study request, the instances streamed back
#: as one multipart response (DICOM PS3.18 section 10.4), so a viewer can show each as it arrives.
STREAM_PROTOCOL = "wado-rs"
#: ``on_demand`` retrieves with C-GET (DICOM PS3.4 Annex C.4.3: the archive's C-STORE sub-operations on
#: the viewer's association), the DIMSE retrieve a PACS workstation uses without DICOMweb.
ON_DEMAND_PROTOCOL = "cget"
#: ``progressive: true``: the first pass is two resolution levels down; each wavelet level halves rows
#: and columns (ISO/IEC 15444-1 Annex F), leaving 1/16 of the pixels. Its bytes and decode time are
#: taken as 1/16 of the full image's: an assumption (low levels compress less well than the average).
PROGRESSIVE_FRACTION = 1.0 / 16.0
