# Solutions to the exercises of 05_reading_latency.ipynb.

# %% exercise: latency.mmc_wait
wq = theory.mmc_wait(3, 0.25, 0.1)
