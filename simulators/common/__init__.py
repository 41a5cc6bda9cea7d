"""What every simulator shares: the HTTP front (``app``), fault injection (``faults``), multipart bodies
(``multipart``), serving on loopback (``serving``, ``standalone``) and the fleet of all of them (``fleet``)."""
