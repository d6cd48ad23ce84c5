"""ETSI GS QKD 014 key management entities: API, TLS identity, store and servers."""
