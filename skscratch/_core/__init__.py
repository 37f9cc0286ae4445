"""The pure-NumPy core: activations, losses, the network, optimizers and training."""
