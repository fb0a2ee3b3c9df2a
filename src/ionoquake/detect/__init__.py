"""Backgrounds, anomalies, clusters, earthquake-centred analysis."""
