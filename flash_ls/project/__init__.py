"""Project layer: app roots, ignore rules, requirements and configuration."""
