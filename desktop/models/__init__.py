"""Qt item models behind the tables of the target, task and diagnosis pages.

They only present figures the engine (:mod:`shared`) computed; no rule lives here.
"""
