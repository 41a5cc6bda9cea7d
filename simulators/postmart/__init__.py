"""The Postmart simulator, on the contract `config/channels/postmart.toml` assumes (``sandbox``)."""
