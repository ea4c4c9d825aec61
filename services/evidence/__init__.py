"""Job evidence: resumable photo uploads (tus), photos on orders, customer signatures, the
printable service record."""
