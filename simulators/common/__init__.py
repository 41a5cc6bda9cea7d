"""What every simulator shares: fault injection (``faults``), serving on loopback (``serving``,
``standalone``) and the fleet of all of them (``fleet``)."""
