"""Where finished evidence files live: a local directory, or S3-compatible object storage.

Keys are content addresses (sha256 of the original photo), so writing a key that exists is a no-op:
a retried or duplicated upload is stored once.
"""

from storage.blobs import BlobStore, LocalStore, S3Store, StoreUnavailable, blob_store

__all__ = ["BlobStore", "LocalStore", "S3Store", "StoreUnavailable", "blob_store"]
