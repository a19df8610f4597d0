# Solutions to the exercises of 04_network_builder.ipynb.

# %% exercise: network.rural_transfer_minutes
rural_minutes = scenario.link("rural-clinic", "hub").transfer_minutes(2 * 10_485_760 / 20, images=2)
