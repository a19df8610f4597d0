# Solutions to the exercises of 00_welcome.ipynb (used by `make run` and CI; see teleradlab.exercises).

# %% exercise: welcome.transfer_minutes
answer_minutes = 400 * 0.5 * 8 / 10 / 60  # MB -> Mbit (x8), / Mbit/s -> s, / 60 -> min
