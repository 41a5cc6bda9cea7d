"""`make demo`: the operator's story on the embedded defaults (``run``), in a world of simulators
(``world``)."""
