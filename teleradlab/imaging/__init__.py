"""DICOM studies in and out, synthetic studies with known truth, de-identification.

The names most work starts from::

    from teleradlab.imaging import load_study, save_study, synthesize_study, lesion_ensemble, deidentify, to_display
"""

from teleradlab.imaging.deid import BurnedInAnnotationWarning, Deidentifier, deidentify
from teleradlab.imaging.display import WINDOW_PRESETS, apply_modality_lut, to_display
from teleradlab.imaging.ensembles import LesionEnsemble, lesion_ensemble
from teleradlab.imaging.study import Series, Study, load_study, read_dataset, save_study
from teleradlab.imaging.synth import MODALITIES, synthesize_study

__all__ = [
    "MODALITIES", "WINDOW_PRESETS", "BurnedInAnnotationWarning", "Deidentifier", "LesionEnsemble", "Series", "Study",
    "apply_modality_lut", "deidentify", "lesion_ensemble", "load_study", "read_dataset", "save_study",
    "synthesize_study", "to_display",
]
