# Solutions to the exercises of 02_compression_lab.ipynb.

# %% exercise: compression.psnr_trap_db
trap_db = 20 * np.log10(65535 / 4095)

# %% exercise: compression.car_ct_chest
car_ct_chest = guidelines.check("CT", "chest", 2).set_index("guideline").loc["CAR", "max_ratio"]
