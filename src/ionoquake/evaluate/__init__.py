"""Scoring forecasts and alarms, always against a null: Molchan/ASS/gain, superposed
epoch analysis with null catalogues, ROC and reliability, CSEP tests through pyCSEP.

Every public function returns a frozen result record of :mod:`ionoquake.evaluate.results`
that carries the statistic, its null distribution, its p-value and the conventions used.
"""
