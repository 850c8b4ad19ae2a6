"""Vectors: encoders (text → unit vectors), chunking, and vector stores (embedded qdrant-edge, Qdrant server)."""
