"""Fake seller centres of the assisted floors (``centre``), on HTTP (``site``)."""
