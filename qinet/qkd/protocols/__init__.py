"""QKD protocols simulated from pulses and clicks."""
