# Solutions to the exercises of 01_dicom_primer.ipynb (used by `make run` and CI; see teleradlab.exercises).

# %% exercise: dicom.hu_of_stored
hu_value = 1064 * 1 + (-1024)

# %% exercise: dicom.lung_window_lowest_hu
centre, width = WINDOW_PRESETS["lung"]
lowest_hu = centre - width / 2
