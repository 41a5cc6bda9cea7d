"""A local TikTok Shop Partner API (202309+) simulator: the contract of ``tiktok_wire.md`` over a back office."""
