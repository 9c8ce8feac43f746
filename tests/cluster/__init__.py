"""A stand-in for a one-node Kubernetes cluster: runs rendered manifests with Docker (see README.md)."""
