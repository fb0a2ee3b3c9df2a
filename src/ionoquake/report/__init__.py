"""Figures, summaries and HTML reports; they draw what the other stages computed."""
