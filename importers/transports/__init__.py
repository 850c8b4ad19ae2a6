"""Transports that fetch snapshot documents: HTTP(S), S3 and the local file system."""
