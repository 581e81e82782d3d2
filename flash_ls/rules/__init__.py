"""Rules: the registry, the engine, and one module per rule family."""
