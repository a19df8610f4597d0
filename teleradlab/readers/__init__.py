"""Human reader studies: design, reading, storage and multi-reader multi-case (MRMC) analysis.

    from teleradlab.readers import synthetic_cases, design, read, mrmc, power, sample_size

* :func:`design` / :func:`synthetic_cases` / :func:`dicom_cases` — a blinded reading study;
* :class:`StudyStore` — the study in one SQLite file (every rating committed as given);
* :func:`read` — the reading widget; :func:`simulate_reader` — a labelled stand-in reader;
* :func:`mrmc` — Obuchowski–Rockette analysis of empirical AUC (DeLong, jackknife,
  unbiased covariance; random or fixed readers/cases); :func:`power`, :func:`sample_size`;
* :func:`simulate` — Roe & Metz simulated studies; :func:`human_vs_model` — readers vs CHO/NPWE.
"""

from teleradlab.readers.curves import average_curve, plot_curves, reader_curves
from teleradlab.readers.design import StudyDesign, design, dicom_cases, synthetic_cases
from teleradlab.readers.human_vs_model import human_vs_model
from teleradlab.readers.mrmc import MRMCResult, mrmc
from teleradlab.readers.power import power, sample_size
from teleradlab.readers.roemetz import ROE_METZ_STRUCTURES, RoeMetz, simulate
from teleradlab.readers.simulated import simulate_reader
from teleradlab.readers.store import StudyStore
from teleradlab.readers.table import ReaderStudyError
from teleradlab.readers.widget import read

__all__ = [
    "ROE_METZ_STRUCTURES", "MRMCResult", "ReaderStudyError", "RoeMetz", "StudyDesign", "StudyStore",
    "average_curve", "design", "dicom_cases", "human_vs_model", "mrmc", "plot_curves", "power", "read",
    "reader_curves", "sample_size", "simulate", "simulate_reader", "synthetic_cases",
]
