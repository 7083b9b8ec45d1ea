"""Tools on synthesized output: schema checks, export, replay, CLI helpers."""
