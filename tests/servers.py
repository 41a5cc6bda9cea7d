"""Marketplace sandboxes served on a real loopback port, in a thread, for tests of networked commands."""

from simulators.common.serving import serve_in_thread

__all__ = ["serve_in_thread"]
