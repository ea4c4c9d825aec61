"""The offline sync protocol (docs/sync-protocol.md): pull what changed in a device's scope since
its cursor, push a device's queued mutations exactly once."""
