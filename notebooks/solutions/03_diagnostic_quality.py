# Solutions to the exercises of 03_diagnostic_quality.ipynb.

# %% exercise: quality.auc_of_dprime
from scipy.stats import norm

auc = norm.cdf(1.5 / np.sqrt(2))
