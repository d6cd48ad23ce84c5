"""L5a: quantum key distribution: protocols, post-processing, attacks and bounds."""
