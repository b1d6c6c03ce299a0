"""Security primitives: secrets at rest (`crypto`) and password hashing (`passwords`)."""
