"""Diagnostic image quality: fidelity metrics, model observers, ROC analysis, guideline ratios.

    from teleradlab.quality import psnr, ssim, model_observer, acceptable_ratio, guidelines
    from teleradlab.quality.rois import extract_rois
    from teleradlab.imaging.metaimage import load_stack
"""

from teleradlab.quality import guidelines
from teleradlab.quality.acceptable import AcceptableRatio, acceptable_ratio, pareto_front
from teleradlab.quality.metrics import (
    all_metrics,
    data_range_for,
    difference_map,
    max_abs_error,
    ms_ssim,
    mse,
    psnr,
    ssim,
)
from teleradlab.quality.observers import ObserverResult, model_observer, paired_auc_difference
from teleradlab.quality.roc import auc_from_dprime, auc_mann_whitney, bootstrap_auc_ci, roc_curve

__all__ = [
    "AcceptableRatio", "ObserverResult", "acceptable_ratio", "all_metrics", "auc_from_dprime", "auc_mann_whitney",
    "bootstrap_auc_ci", "data_range_for", "difference_map", "guidelines", "max_abs_error", "model_observer", "ms_ssim",
    "mse", "paired_auc_difference", "pareto_front", "psnr", "roc_curve", "ssim",
]
